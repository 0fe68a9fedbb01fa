import datetime
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import clock
from core import exports as core_exports
from core.decorators import role_required
from core.errors import RuleViolation
from core.roles import Role
from dashboard import permissions, selectors, services
from dashboard.exports import AUDIT_WORKBOOK
from training import deadlines, reports
from training.models import ReportRun
from training.reports import last_month_owed
from training.selectors import evidence

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


# ------------------------------------------------------------------------------
# Progress dashboard: city → department → category, a month filter, the office's recompute
# ------------------------------------------------------------------------------

PROGRESS_ROLES = (Role.OFFICE, Role.AUDITOR, Role.CLERK)


def _month_context(request, campaign) -> tuple[list[datetime.date], ReportRun | None]:
    months = selectors.progress_months(campaign=campaign)
    month = selectors.parse_month_filter(request.GET.get("month"))
    return months, selectors.progress_run_get(campaign=campaign, month=month, months=months)


def _progress_url(name: str, *args, month: datetime.date | None = None) -> str:
    url = reverse(f"dashboard:{name}", args=args)
    return f"{url}?month={month:%Y-%m}" if month else url


@role_required(*PROGRESS_ROLES)
@require_GET
def progress(request):
    """The city's progress for a month (office, auditor). A clerk is sent to their own
    department's page: clerks see their own unit's progress only."""
    if not permissions.can_view_city_progress(request.user):
        if not permissions.is_department_clerk(request.user):
            raise PermissionDenied
        query = f"?{request.GET.urlencode()}" if request.GET.get("month") else ""
        return redirect(
            reverse("dashboard:progress_department", args=[request.user.department.code]) + query
        )
    campaign = selectors.campaign_for_dashboard()
    months, run = _month_context(request, campaign)
    context = {
        "campaign": campaign,
        "months": months,
        "run": run,
        "can_recompute": permissions.can_recompute_progress(request.user),
        "owed_month": _owed_month_without_run(campaign, months),
    }
    if run is not None:
        context.update(selectors.city_progress(run=run, months=months))
        context["tolerance"] = evidence.tolerance_percent(campaign.evidence_tolerance)
    return render(request, "dashboard/progress.html", context)


def _owed_month_without_run(campaign, months: list[datetime.date]) -> datetime.date | None:
    """The latest month owed by now, when it has no snapshot yet (offered to the office)."""
    owed = last_month_owed(campaign, clock.now())
    return owed if owed is not None and owed not in months else None


@role_required(*PROGRESS_ROLES)
@require_GET
def progress_department(request, code: str):
    """One department: its categories for the month and its months so far. Another
    department's page is a 404 for a clerk."""
    campaign = selectors.campaign_for_dashboard()
    department = selectors.progress_department_get_for_user(user=request.user, code=code)
    months, run = _month_context(request, campaign)
    context = {
        "campaign": campaign,
        "department": department,
        "months": months,
        "run": run,
        "is_city_reader": permissions.can_view_city_progress(request.user),
    }
    if run is not None:
        context.update(selectors.department_progress(run=run, department=department))
    return render(request, "dashboard/progress_department.html", context)


@role_required(*PROGRESS_ROLES)
@require_GET
def progress_category(request, number: int):
    """One category month by month up to the chosen month."""
    campaign = selectors.campaign_for_dashboard()
    category = selectors.progress_category_get_for_user(
        user=request.user, campaign=campaign, number=number
    )
    months, run = _month_context(request, campaign)
    context = {
        "campaign": campaign,
        "category": category,
        "department": category.department,
        "months": months,
        "run": run,
        "is_city_reader": permissions.can_view_city_progress(request.user),
    }
    if run is not None:
        context.update(selectors.category_progress(run=run, category=category))
    return render(request, "dashboard/progress_category.html", context)


@role_required(Role.OFFICE)
@require_POST
def progress_recompute(request):
    """The office's button: compute the month's snapshot again now (or queue it with a
    broker). A published month is refused with the reason."""
    campaign = selectors.campaign_for_dashboard()
    month = deadlines.parse_month(request.POST.get("month", ""))
    if month is None:
        messages.error(request, _("请选择要计算的月份（YYYY-MM）"))
        return redirect("dashboard:progress")
    try:
        run = services.progress_recompute(campaign=campaign, month=month, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
        shown = month if month in selectors.progress_months(campaign=campaign) else None
        return redirect(_progress_url("progress", month=shown))
    label = f"{month.year}年{month.month}月"
    if run is None:
        messages.info(
            request, _("已提交后台计算%(month)s进度，稍后刷新本页查看") % {"month": label}
        )
        return redirect("dashboard:progress")
    messages.success(request, _("已重新计算%(month)s进度") % {"month": label})
    return redirect(_progress_url("progress", month=month))


# ------------------------------------------------------------------------------
# Bulletins (通报)
# ------------------------------------------------------------------------------


def _bulletin_list_context(request, campaign, *, form_error: str = "") -> dict:
    office = permissions.can_draft_bulletin(request.user)
    return {
        "campaign": campaign,
        "bulletins": selectors.bulletin_list_for_user(user=request.user, campaign=campaign),
        "can_draft": office,
        "draft_months": selectors.bulletin_months_without(campaign=campaign) if office else [],
        "form_error": form_error,
    }


@role_required(*PROGRESS_ROLES)
@require_GET
def bulletin_list(request):
    """Published bulletins (kept and listed for every unit); drafts and the draft form for
    the office."""
    campaign = selectors.campaign_for_dashboard()
    return render(
        request, "dashboard/bulletin_list.html", _bulletin_list_context(request, campaign)
    )


@role_required(Role.OFFICE)
@require_POST
def bulletin_create(request):
    """Draft (or refresh the draft of) a month's bulletin from its snapshot."""
    campaign = selectors.campaign_for_dashboard()
    month = deadlines.parse_month(request.POST.get("month", ""))
    if month is None:
        context = _bulletin_list_context(
            request, campaign, form_error=_("请选择已生成进度快照的月份")
        )
        return render(request, "dashboard/bulletin_list.html", context, status=400)
    try:
        bulletin = services.bulletin_draft(campaign=campaign, month=month, actor=request.user)
    except RuleViolation as exc:
        context = _bulletin_list_context(request, campaign, form_error=exc.message)
        return render(request, "dashboard/bulletin_list.html", context, status=400)
    messages.success(request, _("通报草稿已生成，请核对后发布"))
    return redirect("dashboard:bulletin_detail", pk=bulletin.pk)


@role_required(*PROGRESS_ROLES)
@require_GET
def bulletin_detail(request, pk: int):
    """The bulletin with its tables by department (prints on A4)."""
    bulletin = selectors.bulletin_get_for_user(user=request.user, pk=pk)
    run = bulletin.report_run
    context = {
        "bulletin": bulletin,
        "run": run,
        "departments": reports.department_summaries(run=run),
        "city": reports.city_from_totals(run.totals),
        "rate_labels": [label for _c, _f, label in reports.RATES],
        "stale": selectors.bulletin_is_stale(bulletin),
        "can_publish": permissions.can_publish_bulletin(request.user) and not bulletin.is_published,
    }
    return render(request, "dashboard/bulletin_detail.html", context)


@role_required(Role.OFFICE)
@require_POST
def bulletin_publish(request, pk: int):
    bulletin = selectors.bulletin_get_for_user(user=request.user, pk=pk)
    try:
        services.bulletin_publish(bulletin=bulletin, actor=request.user)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("通报已发布，各责任单位均可查阅；本月进度快照已冻结"))
    return redirect("dashboard:bulletin_detail", pk=bulletin.pk)


@role_required(*PROGRESS_ROLES)
@require_GET
def bulletin_download(request, pk: int):
    bulletin = selectors.bulletin_get_for_user(user=request.user, pk=pk)
    buffer = io.BytesIO()
    services.bulletin_export(bulletin=bulletin, actor=request.user, target=buffer)
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"{bulletin.title}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
