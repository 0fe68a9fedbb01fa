"""Report pages of skill appraisal: appraisals by occupation, level, county and month, with the
high-skilled talents against the target and the pilots' evaluations; "双一" exceptions by kind
and enterprise. City-wide readers (office, auditor) and 人社 reviewers."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from appraisal import reports
from core import clock
from core.decorators import role_required
from training.models import Campaign

REPORT_ROLES = tuple(reports.REPORT_ROLES)


@role_required(*REPORT_ROLES)
@require_GET
def report_overview(request):
    """The campaign's appraisal figures up to today (the demo clock)."""
    campaign = Campaign.objects.current()
    context = {"campaign": campaign, "report": None}
    if campaign is not None:
        context["report"] = reports.appraisal_report(campaign=campaign, until=clock.today())
    return render(request, "appraisal/reports/report_overview.html", context)


@role_required(*REPORT_ROLES)
@require_GET
def report_exceptions(request):
    """ "双一" exceptions counted by enterprise and kind."""
    return render(
        request,
        "appraisal/reports/report_exceptions.html",
        {"report": reports.exception_report()},
    )
