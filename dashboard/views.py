from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core import exports as core_exports
from core.decorators import role_required
from core.errors import RuleViolation
from core.roles import Role
from dashboard import selectors
from dashboard.exports import AUDIT_WORKBOOK

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def home(request):
    """What needs this person's attention, by role."""
    context = selectors.home_context(user=request.user)
    return render(request, "dashboard/home.html", context)


@role_required(Role.OFFICE, Role.AUDITOR)
def audit_list(request):
    events = selectors.audit_event_list(user=request.user, action=request.GET.get("action", ""))
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "dashboard/audit_list.html", {"page": page})


# ------------------------------------------------------------------------------
# Exports: the audit workbook is built by a background job the requester polls
# ------------------------------------------------------------------------------


@role_required(Role.OFFICE, Role.AUDITOR)
@require_http_methods(["GET", "POST"])
def export_audit(request):
    """GET: what the audit workbook holds and the user's recent jobs; POST: start a job."""
    if request.method == "POST":
        try:
            job = core_exports.export_job_start(kind=AUDIT_WORKBOOK, actor=request.user)
        except RuleViolation as exc:
            messages.error(request, exc.message)
            return redirect("dashboard:export_audit")
        return redirect("dashboard:export_job_detail", pk=job.pk)
    context = {
        "sheets": [cls.sheet_name for cls in core_exports.audit_exporter_classes()],
        "jobs": core_exports.export_job_list_for_user(user=request.user, kind=AUDIT_WORKBOOK)[:10],
    }
    return render(request, "dashboard/export_audit.html", context)


@role_required(Role.OFFICE, Role.AUDITOR)
@require_GET
def export_job_detail(request, pk: int):
    """The job's progress; polled every 2 s (HTMX, or a meta refresh without JavaScript)."""
    job = core_exports.export_job_get_for_user(user=request.user, pk=pk)
    template = (
        "dashboard/export_job_progress.html" if request.htmx else "dashboard/export_job_detail.html"
    )
    return render(request, template, {"job": job})


@role_required(Role.OFFICE, Role.AUDITOR)
@require_GET
def export_job_download(request, pk: int):
    job = core_exports.export_job_get_for_user(user=request.user, pk=pk)
    try:
        fileobj = core_exports.export_job_download(job=job, actor=request.user)
    except RuleViolation as exc:
        messages.info(request, exc.message)
        return redirect("dashboard:export_job_detail", pk=job.pk)
    return FileResponse(
        fileobj,
        as_attachment=True,
        filename=job.download_name or "export.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
