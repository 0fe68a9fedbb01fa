"""Institution staff: their entrusted trainees (tick and claim, or upload an xlsx), the shortage
high-skill subsidy for their 技师/高级技师 graduates, and their claims. Only their own
institution's rows are ever listed or accepted."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.actions import perform, submit
from core.decorators import role_required
from core.errors import RuleViolation
from core.roles import Role
from core.xlsx import SheetSpec, XlsxError, write_workbook
from subsidies.forms import EntrustForm, TickForm, UploadForm, WithdrawForm
from subsidies.models import SubsidyClaim
from subsidies.selectors import claims as selectors
from subsidies.services import claims as claim_services
from subsidies.services import entrustments as entrust_services
from subsidies.services import institution_claims as services

UNENTRUSTED_PAGE = 50


def _institution(request: HttpRequest):
    from django.core.exceptions import PermissionDenied

    institution = request.user.institution
    if institution is None:
        raise PermissionDenied
    return institution


def _report(request: HttpRequest, results) -> None:
    done = [r for r in results if r.ok]
    refused = [r for r in results if not r.ok]
    if done:
        numbers = "、".join(r.claim.number for r in done)
        messages.success(request, f"已提交{len(done)}份补贴申请：{numbers}")
    for row in refused:
        messages.error(request, f"{row.label}：{row.error}")


@role_required(Role.INSTITUTION)
@require_http_methods(["GET", "POST"])
def trainees(request: HttpRequest) -> HttpResponse:
    """Entrusted trainees with checkboxes; POST claims the ticked ones (per row)."""
    institution = _institution(request)
    rows = list(selectors.entrusted_trainees(institution))
    if request.method == "POST":
        form = TickForm(request.POST, choices=[r.pk for r in rows])
        if not form.is_valid() or not form.cleaned_data["ids"]:
            messages.error(request, "请至少勾选一名学员")
            return render(
                request,
                "subsidies/institution_trainees.html",
                _trainees_context(request, institution, rows),
                status=400,
            )
        try:
            results = services.institution_claims_submit(
                institution=institution, enrollment_ids=form.cleaned_data["ids"], actor=request.user
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            _report(request, results)
        return redirect("subsidies:institution_trainees")
    return render(
        request,
        "subsidies/institution_trainees.html",
        _trainees_context(request, institution, rows),
    )


def _trainees_context(request: HttpRequest, institution, rows) -> dict:
    # Trainees not yet entrusting the institution: a paper 委托书 can be recorded for them.
    unentrusted = Paginator(selectors.unentrusted_trainees(institution), UNENTRUSTED_PAGE)
    return {
        "institution": institution,
        "rows": rows,
        "upload_form": UploadForm(),
        "unentrusted": unentrusted.get_page(request.GET.get("page")),
    }


@role_required(Role.INSTITUTION)
@require_POST
def trainees_upload(request: HttpRequest) -> HttpResponse:
    """xlsx of 身份证号码 / 姓名 / 班级编号 (sheet “委托代领”): all or nothing, with row errors."""
    institution = _institution(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        form.mark_invalid()
        return render(
            request,
            "subsidies/upload_errors.html",
            {"errors": ["请选择要上传的 Excel 文件"], "filename": ""},
            status=400,
        )
    upload = form.cleaned_data["file"]
    try:
        claims = services.institution_claims_upload(
            institution=institution, file=upload, filename=upload.name, actor=request.user
        )
    except (XlsxError, RuleViolation) as exc:
        errors = exc.messages if isinstance(exc, XlsxError) else [exc.message]
        return render(
            request,
            "subsidies/upload_errors.html",
            {"errors": errors, "filename": upload.name},
            status=400,
        )
    messages.success(request, f"已按上传文件提交{len(claims)}份补贴申请。")
    return redirect("subsidies:institution_claims")


@role_required(Role.INSTITUTION)
@require_http_methods(["GET", "POST"])
def shortage(request: HttpRequest) -> HttpResponse:
    """技师/高级技师 graduates in 急需紧缺 occupations; POST claims the ticked ones (per row)."""
    institution = _institution(request)
    rows = list(selectors.shortage_candidates(institution))
    if request.method == "POST":
        form = TickForm(request.POST, choices=[r.pk for r in rows])
        if not form.is_valid() or not form.cleaned_data["ids"]:
            messages.error(request, "请至少勾选一名学员")
            return render(
                request,
                "subsidies/institution_shortage.html",
                {"institution": institution, "rows": rows},
                status=400,
            )
        try:
            results = services.shortage_claims_submit(
                institution=institution,
                certificate_ids=form.cleaned_data["ids"],
                actor=request.user,
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            _report(request, results)
        return redirect("subsidies:institution_shortage")
    return render(
        request,
        "subsidies/institution_shortage.html",
        {"institution": institution, "rows": rows},
    )


@role_required(Role.INSTITUTION)
def claims(request: HttpRequest) -> HttpResponse:
    institution = _institution(request)
    return render(
        request,
        "subsidies/institution_claims.html",
        {
            "institution": institution,
            "claims": selectors.claims_of_institution(institution),
        },
    )


@role_required(Role.INSTITUTION)
@require_http_methods(["GET", "POST"])
def entrustment_record(request: HttpRequest, pk: int) -> HttpResponse:
    """登记纸质委托书: the trainee signed a paper entrustment of this institution; staff upload
    the scan. Another institution's trainee is not found (404)."""
    enrollment = selectors.enrollment_for_institution(request.user, pk)
    form = EntrustForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            entrustment = submit(
                form,
                lambda: entrust_services.entrustment_create(
                    worker=enrollment.worker,
                    enrollment=enrollment,
                    document=form.cleaned_data["document"],
                    signed_on=form.cleaned_data["signed_on"],
                    actor=request.user,
                ),
            )
            if entrustment is not None:
                messages.success(
                    request,
                    f"已登记{enrollment.worker.name}的纸质委托书（班级 "
                    f"{enrollment.training_class.code}）。",
                )
                return redirect("subsidies:institution_trainees")
        else:
            form.mark_invalid()
        status = 400
    return render(
        request,
        "subsidies/institution_entrustment_record.html",
        {"enrollment": enrollment, "form": form},
        status=status,
    )


def _can_withdraw(claim: SubsidyClaim) -> bool:
    # Only a claim the institution itself submitted; one the worker submitted (with the
    # institution as payee) is the worker's to withdraw.
    return (
        claim.channel == SubsidyClaim.Channel.INSTITUTION
        and claim.status in SubsidyClaim.WITHDRAWABLE_STATUSES
    )


@role_required(Role.INSTITUTION)
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_for_institution(request.user, pk)
    return render(
        request,
        "subsidies/institution_claim_detail.html",
        {
            "claim": claim,
            "timeline": list(claim.status_changes.all()),
            "withdraw_form": WithdrawForm(),
            "can_withdraw": _can_withdraw(claim),
        },
    )


@role_required(Role.INSTITUTION)
@require_POST
def claim_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a claim the institution submitted, with a reason (not once approved)."""
    claim = selectors.claim_for_institution(request.user, pk)
    form = WithdrawForm(request.POST)
    form.is_valid()
    perform(
        request,
        lambda: claim_services.claim_withdraw(
            claim=claim, reason=form.cleaned_data.get("reason", ""), actor=request.user
        ),
        success=f"申请 {claim.number} 已撤回。",
    )
    return redirect("subsidies:institution_claim", pk=claim.pk)


@role_required(Role.INSTITUTION)
def trainees_template(request: HttpRequest) -> FileResponse:
    """The empty upload template: sheet “委托代领” with its three text columns."""
    _institution(request)
    buffer = io.BytesIO()
    write_workbook(
        buffer,
        [SheetSpec(title=services.UPLOAD_SHEET, headers=services.UPLOAD_HEADERS, rows=[])],
    )
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename="委托代领申请模板.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
