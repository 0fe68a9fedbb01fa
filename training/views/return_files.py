"""Excel round-trip of a monthly return: download the pre-filled template, upload it back."""

import datetime
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.decorators import role_required
from core.errors import RuleViolation
from core.roles import Role
from core.xlsx import XlsxError
from training import selectors
from training.services import return_files
from training.services.returns import ReturnConflict

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _campaign():
    campaign = selectors.campaign_current()
    if campaign is None:
        raise Http404
    return campaign


@role_required(Role.CLERK, Role.OFFICE, Role.AUDITOR)
@require_GET
def return_download(request: HttpRequest, department: str, month: datetime.date) -> FileResponse:
    """The month's return as a pre-filled xlsx template (the department's clerks, the office and
    the auditor; 404 for anyone else's department)."""
    campaign = _campaign()
    dept, ret = selectors.return_get_for_user(
        user=request.user, campaign=campaign, department_code=department, month=month
    )
    filename, content = return_files.return_template(
        campaign=campaign, department=dept, month=month, monthly_return=ret
    )
    return FileResponse(
        content, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


@role_required(Role.CLERK)
@require_POST
def return_upload(request: HttpRequest, department: str, month: datetime.date) -> HttpResponse:
    """Import a filled-in template. Every problem in the file is listed on an error page (400)
    and nothing is saved; a stale page gives 409; success redirects to the return page."""
    campaign = _campaign()
    dept, ret = selectors.return_get_for_user(
        user=request.user, campaign=campaign, department_code=department, month=month
    )
    back = reverse("training:return_detail", kwargs={"department": dept.code, "month": month})
    upload = request.FILES.get("file")

    def refuse(errors: list[str], status: int = 400) -> HttpResponse:
        return render(
            request,
            "training/return_upload_errors.html",
            {
                "department": dept,
                "month": month,
                "filename": upload.name if upload is not None else "",
                "errors": errors,
                "back_url": back,
            },
            status=status,
        )

    if upload is None:
        return refuse(["请选择要上传的月报文件（.xlsx）"])
    version_text = (request.POST.get("version") or "").strip()
    if not version_text:
        # Without the page's version the upload is checked against the return as it is now.
        version = ret.version if ret is not None else 0
    elif re.fullmatch(r"[0-9]{1,9}", version_text):
        version = int(version_text)
    else:
        return refuse(["页面已过期，请刷新月报页面后重新上传"])

    try:
        saved = return_files.return_import(
            campaign=campaign,
            department=dept,
            month=month,
            fileobj=upload,
            filename=upload.name,
            version=version,
            actor=request.user,
        )
    except XlsxError as exc:
        return refuse(exc.messages)
    except ReturnConflict as exc:
        return refuse([exc.message], status=409)
    except RuleViolation as exc:
        return refuse([exc.message])
    except ValidationError as exc:
        return refuse(exc.messages)
    messages.success(
        request,
        f"已从文件“{upload.name}”导入{saved.month_label}月报（{saved.lines.count()}个培训类别），"
        "请核对后提交。",
    )
    return redirect(back)
