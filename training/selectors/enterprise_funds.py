"""Reads of the enterprise education-fund area, for the roles that may see it (office, auditor,
finance); everyone else gets nothing."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404

from core.models import User
from training.models import EducationFundReturn, EducationFundRule, Enterprise
from training.models.enterprise_funds import CENT
from training.permissions import enterprise_funds as perms


def fund_rule_for(*, campaign) -> EducationFundRule | None:
    if campaign is None:
        return None
    return EducationFundRule.objects.filter(campaign=campaign).first()


def enterprise_list(*, user: User, query: str = "", above_scale: bool | None = None) -> QuerySet:
    """Registered enterprises with their county and number of returns, filtered by a name or
    credit-code fragment and by scale."""
    if not perms.can_view_funds(user):
        return Enterprise.objects.none()
    qs = Enterprise.objects.select_related("county", "department").annotate(
        return_count=Count("fund_returns")
    )
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(credit_code__icontains=query.upper()))
    if above_scale is not None:
        qs = qs.filter(above_scale=above_scale)
    return qs.order_by("name")


def enterprise_get_for_user(*, user: User, pk: int) -> Enterprise:
    enterprise = Enterprise.objects.select_related("county", "department").filter(pk=pk).first()
    if enterprise is None or not perms.can_view_funds(user):
        raise Http404
    return enterprise


def fund_return_list(
    *, user: User, year: int | None = None, due_only: bool = False, enterprise=None
) -> QuerySet:
    """Returns with their enterprise (and county), the largest amount due first."""
    if not perms.can_view_funds(user):
        return EducationFundReturn.objects.none()
    qs = EducationFundReturn.objects.select_related("enterprise", "enterprise__county")
    if year is not None:
        qs = qs.filter(year=year)
    if due_only:
        qs = qs.filter(due__gt=0)
    if enterprise is not None:
        qs = qs.filter(enterprise=enterprise)
    return qs.order_by("-year", "-due", "enterprise__name")


def fund_years() -> list[int]:
    return list(
        EducationFundReturn.objects.order_by("-year").values_list("year", flat=True).distinct()
    )


def fund_totals(*, year: int | None) -> dict:
    """Count of returns, of those owing, and the sums, for a year (all years when None)."""
    qs = EducationFundReturn.objects.all()
    if year is not None:
        qs = qs.filter(year=year)
    totals = qs.aggregate(
        returns=Count("id"),
        owing=Count("id", filter=Q(due__gt=0)),
        due=Sum("due"),
        payroll=Sum("payroll"),
        set_aside=Sum("set_aside"),
        spent=Sum("spent_on_training"),
    )
    # SQLite sums decimals as floats; every backend gets yuan with two places.
    for key in ("due", "payroll", "set_aside", "spent"):
        totals[key] = Decimal(str(totals[key] or 0)).quantize(CENT, rounding=ROUND_HALF_UP)
    return totals


def tax_list(*, year: int) -> QuerySet:
    """The list for the tax office: the year's returns with an amount due, by county and name."""
    return (
        EducationFundReturn.objects.filter(year=year, due__gt=0)
        .select_related("enterprise", "enterprise__county")
        .order_by("enterprise__county__sort_order", "enterprise__name")
    )


def home_panel(*, user: User, campaign) -> dict | None:
    """Dashboard panel: the latest year's amount due and how many enterprises owe it. Two
    queries."""
    latest = EducationFundReturn.objects.aggregate(year=Max("year"))["year"]
    if latest is None:
        return {"year": None}
    return {"year": latest, **fund_totals(year=latest)}
