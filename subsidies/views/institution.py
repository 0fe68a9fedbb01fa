"""Institution staff: their entrusted trainees (tick and claim, or upload an xlsx), the shortage
high-skill subsidy for their 技师/高级技师 graduates, and their claims. Only their own
institution's rows are ever listed or accepted."""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.decorators import role_required
from core.errors import RuleViolation
from core.roles import Role
from core.xlsx import SheetSpec, XlsxError, write_workbook
from subsidies.forms import TickForm, UploadForm
from subsidies.selectors import claims as selectors
from subsidies.services import institution_claims as services


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
                {"institution": institution, "rows": rows, "upload_form": UploadForm()},
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
        {"institution": institution, "rows": rows, "upload_form": UploadForm()},
    )


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
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_for_institution(request.user, pk)
    return render(
        request,
        "subsidies/institution_claim_detail.html",
        {"claim": claim, "timeline": list(claim.status_changes.all())},
    )


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
