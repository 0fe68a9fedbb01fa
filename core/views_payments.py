"""Pages of payment batches (拨付) under /payments/: list, detail with lines and totals, approve,
cancel, bank-file download, per-line results and the results upload.

Finance works here; the office and the auditor may read. Pages show masked account numbers only;
the full numbers appear in the bank file, which only finance may download (audited).
Apps build batches from their own "ready for payment" pages.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core import payments as services
from core.decorators import role_required
from core.errors import RuleViolation
from core.models import PaymentBatch, PaymentLine
from core.roles import Role
from core.xlsx import XlsxError

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH_READERS = (Role.FINANCE, Role.OFFICE, Role.AUDITOR)
PAGE_SIZE = 25
LINE_PAGE_SIZE = 100
STATUS_BADGES = {
    PaymentBatch.Status.DRAFT: "warning",
    PaymentBatch.Status.APPROVED: "primary",
    PaymentBatch.Status.CLOSED: "success",
    PaymentBatch.Status.CANCELLED: "secondary",
}
LINE_BADGES = {
    PaymentLine.Status.PENDING: "warning",
    PaymentLine.Status.PAID: "success",
    PaymentLine.Status.FAILED: "danger",
    PaymentLine.Status.CANCELLED: "secondary",
}


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="作废原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class LineResultForm(forms.Form):
    result = forms.ChoiceField(
        label="拨付结果",
        choices=(("paid", "成功"), ("failed", "失败")),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    reason = forms.CharField(
        label="失败原因",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("result") == "failed" and not (data.get("reason") or "").strip():
            self.add_error("reason", "拨付失败须填写失败原因。")
        return data


class ResultsUploadForm(forms.Form):
    file = forms.FileField(
        label="拨付结果文件（xlsx）",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}),
    )


def _is_finance(user) -> bool:
    return user.is_superuser or user.has_role(Role.FINANCE)


@role_required(*BATCH_READERS)
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    """Every batch, newest first; ``?kind=`` and ``?status=`` filter."""
    queryset = PaymentBatch.objects.select_related("prepared_by", "approved_by").order_by(
        "-created_at", "-pk"
    )
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    if kind:
        queryset = queryset.filter(kind=kind)
    if status in PaymentBatch.Status.values:
        queryset = queryset.filter(status=status)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for batch in page.object_list:
        batch.kind_label = services.payment_kind_label(batch.kind)
        batch.badge = STATUS_BADGES.get(batch.status, "secondary")
    kinds = services.payment_kinds()
    return render(
        request,
        "core/payments/batch_list.html",
        {
            "page": page,
            "kinds": kinds,
            "statuses": PaymentBatch.Status.choices,
            "current_kind": kind,
            "current_status": status,
        },
    )


def _render_detail(
    request,
    batch,
    *,
    cancel_form=None,
    upload_form=None,
    upload_errors=None,
    bound=None,
    status=200,
):
    user = request.user
    finance = _is_finance(user)
    lines_qs = batch.lines.select_related("result_recorded_by").order_by("pk")
    page = Paginator(lines_qs, LINE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for line in page.object_list:
        form = None
        if finance and batch.status == PaymentBatch.Status.APPROVED and line.status == "pending":
            if bound is not None and bound.prefix == f"l{line.pk}":
                form = bound
            else:
                form = LineResultForm(prefix=f"l{line.pk}")
        rows.append({"line": line, "badge": LINE_BADGES.get(line.status), "form": form})
    context = {
        "batch": batch,
        "kind_label": services.payment_kind_label(batch.kind),
        "badge": STATUS_BADGES.get(batch.status, "secondary"),
        "page": page,
        "rows": rows,
        "totals": services.batch_totals_by_status(batch),
        "line_statuses": PaymentLine.Status.choices,
        "finance": finance,
        "can_approve": finance
        and batch.status == PaymentBatch.Status.DRAFT
        and batch.prepared_by_id != user.pk,
        "maker_is_me": batch.prepared_by_id == user.pk,
        "can_cancel": finance and batch.status == PaymentBatch.Status.DRAFT,
        "can_download": finance
        and batch.status in (PaymentBatch.Status.APPROVED, PaymentBatch.Status.CLOSED),
        "can_record": finance and batch.status == PaymentBatch.Status.APPROVED,
        "cancel_form": cancel_form or CancelForm(),
        "upload_form": upload_form or ResultsUploadForm(),
        "upload_errors": upload_errors or [],
    }
    return render(request, "core/payments/batch_detail.html", context, status=status)


def _batch(pk: int) -> PaymentBatch:
    return get_object_or_404(
        PaymentBatch.objects.select_related("prepared_by", "approved_by"), pk=pk
    )


@role_required(*BATCH_READERS)
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _batch(pk))


@role_required(Role.FINANCE)
@require_POST
def batch_approve(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    try:
        services.batch_approve(batch=batch, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"批次 {batch.number} 已复核，可以导出银行文件。")
    return redirect("core:batch_detail", pk=batch.pk)


@role_required(Role.FINANCE)
@require_POST
def batch_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, batch, cancel_form=form, status=400)
    try:
        services.batch_cancel(batch=batch, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        form.add_error("reason", exc.messages)
        return _render_detail(request, batch, cancel_form=form, status=400)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"批次 {batch.number} 已作废，其中各笔可重新生成批次。")
    return redirect("core:batch_detail", pk=batch.pk)


@role_required(Role.FINANCE)
@require_GET
def batch_bank_file(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    try:
        data = services.batch_bank_file_download(batch=batch, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("core:batch_detail", pk=batch.pk)
    return FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename=services.bank_file_name(batch),
        content_type=XLSX_CONTENT_TYPE,
    )


@role_required(Role.FINANCE)
@require_GET
def batch_results_template(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    return FileResponse(
        io.BytesIO(services.result_template(batch=batch)),
        as_attachment=True,
        filename=f"拨付结果_{batch.number}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


@role_required(Role.FINANCE)
@require_POST
def line_record_result(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    batch = _batch(pk)
    line = get_object_or_404(PaymentLine, pk=line_pk, batch=batch)
    form = LineResultForm(request.POST, prefix=f"l{line.pk}")
    if not form.is_valid():
        return _render_detail(request, batch, bound=form, status=400)
    try:
        services.line_record_result(
            line=line,
            paid=form.cleaned_data["result"] == "paid",
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except ValidationError as exc:
        form.add_error("reason", exc.messages)
        return _render_detail(request, batch, bound=form, status=400)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{line.reference} 的拨付结果已登记。")
    return redirect("core:batch_detail", pk=batch.pk)


@role_required(Role.FINANCE)
@require_POST
def batch_results_upload(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    form = ResultsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, batch, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        count = services.batch_record_results_upload(
            batch=batch, file=upload, filename=upload.name, actor=request.user
        )
    except XlsxError as exc:
        return _render_detail(
            request, batch, upload_form=form, upload_errors=exc.messages, status=400
        )
    except ValidationError as exc:
        return _render_detail(
            request, batch, upload_form=form, upload_errors=exc.messages, status=400
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        raise
    else:
        messages.success(request, f"已登记 {count} 笔拨付结果。")
    return redirect("core:batch_detail", pk=batch.pk)
