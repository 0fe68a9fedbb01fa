"""Reads of the labour-market area, scoped to the user: job fairs (a clerk sees their own
department's), skill demand, and the supply–demand reports (drafts for the office only)."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.http import Http404

from core.models import User
from training.models import JobFair, SkillDemand, SupplyDemandReport, SupplyDemandRow
from training.permissions import labour_market as perms


def ratio(demand: int, supply: int) -> Decimal | None:
    """Demand per unit of supply (求人倍率), two decimals half up; None without supply."""
    if not supply:
        return None
    return (Decimal(demand) / Decimal(supply)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def job_fair_list(*, user: User) -> QuerySet:
    """Fairs the user may see with their organiser, county and the demand recorded at each."""
    qs = JobFair.objects.select_related("organiser", "county").annotate(
        demand_rows=Count("demands"), demand_total=Sum("demands__count")
    )
    if not perms.can_read_all_fairs(user):
        if not perms.is_department_clerk(user):
            return qs.none()
        qs = qs.filter(organiser_id=user.department_id)
    return qs.order_by("-held_on", "name")


def job_fair_get_for_user(*, user: User, pk: int) -> JobFair:
    fair = (
        JobFair.objects.select_related("organiser", "county")
        .prefetch_related(
            Prefetch(
                "demands",
                queryset=SkillDemand.objects.select_related("occupation").order_by(
                    "employer", "id"
                ),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if fair is None or not perms.can_view_fair(user, fair):
        raise Http404
    return fair


def survey_demand_list(*, user: User) -> QuerySet:
    """Demand from surveys (not tied to a fair): city-wide readers only."""
    if not perms.can_read_all_fairs(user):
        return SkillDemand.objects.none()
    return (
        SkillDemand.objects.filter(source=SkillDemand.Source.SURVEY)
        .select_related("occupation")
        .order_by("-month", "employer")
    )


def report_list(*, user: User) -> QuerySet:
    """Reports the user may read: every one for the office, the published ones for the other
    readers, none for anyone else."""
    qs = SupplyDemandReport.objects.select_related("published_by").annotate(row_count=Count("rows"))
    if perms.can_compute_report(user):
        return qs
    if not (user.is_authenticated and user.has_role(*perms.REPORT_READERS)):
        return qs.none()
    return qs.filter(status=SupplyDemandReport.Status.PUBLISHED)


def report_get_for_user(*, user: User, pk: int) -> SupplyDemandReport:
    report = (
        SupplyDemandReport.objects.select_related("published_by", "computed_by")
        .filter(pk=pk)
        .first()
    )
    if report is None or not perms.can_view_report(user, report):
        raise Http404
    return report


def report_rows(*, report: SupplyDemandReport) -> QuerySet:
    return SupplyDemandRow.objects.filter(report=report).order_by("-gap", "occupation_code")


def latest_published(*, campaign) -> SupplyDemandReport | None:
    if campaign is None:
        return None
    return (
        SupplyDemandReport.objects.filter(
            campaign=campaign, status=SupplyDemandReport.Status.PUBLISHED
        )
        .order_by("-period_end", "-id")
        .first()
    )


def home_panel(*, user: User, campaign) -> dict | None:
    """Dashboard panel: the latest published report's five largest shortages. Two queries."""
    report = latest_published(campaign=campaign)
    if report is None:
        return {"report": None}
    gaps = list(report_rows(report=report).filter(gap__gt=0)[:5])
    return {"report": report, "gaps": gaps}
