"""Progress-report arithmetic, and reads of the stored snapshots.

Which figures count: a return counts once the office holds it, i.e. its status is ``submitted`` or
``accepted`` ("reported"). A draft has not been sent, and a return the office sent back for
revision (``returned``) is being corrected by its department; neither counts until it is
(re)submitted. The month's figures are the reported returns for month M; the cumulative ones are
every reported month of the campaign up to and including M.

Every percentage has one decimal place, rounded half up, and is None when its denominator is 0
(pages show "—"; nothing divides by zero). Pacing: expected % = elapsed / total reporting months,
elapsed counting M itself (the first month's report expects 1/24 = 4.2 %, the last 100 %). The
gap is taken between the two rounded figures a reader sees, so "10.0 points behind" on the page is
exactly the boundary: more than ``campaign.behind_pace_points`` below is behind, at or above
expected is ahead, anything between is on track.

The first half of the module is pure (no queries); the second reads snapshots for the dashboard
and the bulletin, each read a fixed number of queries whatever the number of rows.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from django.db.models import Min, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exports import percent as _percent
from core.models import Department, User
from core.permissions import is_city_wide_reader
from core.roles import Role
from training import deadlines
from training.models import FIGURE_FIELDS, Campaign, MonthlyReturn, ProgressRow, ReportRun

REPORTED_STATUSES: tuple[str, ...] = (
    MonthlyReturn.Status.SUBMITTED,
    MonthlyReturn.Status.ACCEPTED,
)

# (code, numerator figure, label): each rate is numerator / trained.
RATES: tuple[tuple[str, str, Any], ...] = (
    ("pass_rate", "passed", _("培训合格率")),
    ("appraisal_rate", "certified", _("鉴定率")),
    ("employment_rate", "employed", _("就业率")),
    ("entrepreneurship_rate", "entrepreneurs", _("创业率")),
)
RATE_LABELS: dict[str, Any] = {code: label for code, _field, label in RATES}

Pace = ProgressRow.Pace
Punctuality = ProgressRow.Punctuality


# ------------------------------------------------------------------------------
# Arithmetic (pure)
# ------------------------------------------------------------------------------


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator × 100, one place, half up; None when the denominator is 0
    (the one rounding rule of the project: core.exports.percent)."""
    return _percent(numerator, denominator)


@dataclass(frozen=True)
class Figures:
    """The five figures of a return line, a row, a department or the city."""

    trained: int = 0
    passed: int = 0
    certified: int = 0
    employed: int = 0
    entrepreneurs: int = 0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], prefix: str = "") -> "Figures":
        """Reads ``{prefix}{figure}`` keys; a missing or NULL (empty Sum) figure is 0."""
        return cls(**{name: values.get(f"{prefix}{name}") or 0 for name in FIGURE_FIELDS})

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            **{name: getattr(self, name) + getattr(other, name) for name in FIGURE_FIELDS}
        )

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FIGURE_FIELDS}

    def rates(self) -> dict[str, Decimal | None]:
        """培训合格率, 鉴定率, 就业率, 创业率 over trained; None when trained is 0."""
        return {code: percent(getattr(self, field), self.trained) for code, field, _l in RATES}


def figures_sum(items: Iterable[Figures]) -> Figures:
    total = Figures()
    for item in items:
        total = total + item
    return total


@dataclass(frozen=True)
class Pacing:
    elapsed_months: int
    total_months: int

    @property
    def expected_percent(self) -> Decimal:
        return percent(self.elapsed_months, self.total_months) or Decimal("0.0")


def pacing_for(campaign: Campaign, month: datetime.date) -> Pacing:
    """Raises ValueError when ``month`` is not one of the campaign's reporting months."""
    months = campaign.reporting_months()
    return Pacing(elapsed_months=months.index(month) + 1, total_months=len(months))


def gap_points(actual: Decimal | None, expected: Decimal) -> Decimal | None:
    """Actual % − expected %, in points (negative = behind); None when there is no actual %."""
    if actual is None:
        return None
    return actual - expected


def pace_status(gap: Decimal | None, behind_points: Decimal) -> str:
    """Ahead at or above expected; behind when more than ``behind_points`` below; else on track.
    With no quota to measure against (gap None) a category is on track."""
    if gap is None:
        return Pace.ON_TRACK
    if gap >= 0:
        return Pace.AHEAD
    if gap < -behind_points:
        return Pace.BEHIND
    return Pace.ON_TRACK


def punctuality_of(monthly_return: MonthlyReturn | None) -> str:
    """Missing without a reported return; amended (after the lock day) before late/on time."""
    if monthly_return is None or monthly_return.status not in REPORTED_STATUSES:
        return Punctuality.MISSING
    if monthly_return.amended_after_deadline:
        return Punctuality.AMENDED
    return Punctuality.LATE if monthly_return.is_late else Punctuality.ON_TIME


def month_to_compute_on(campaign: Campaign, today: datetime.date) -> datetime.date | None:
    """The reporting month whose report falls due ``today`` (the day after its due day), if any."""
    for month in campaign.reporting_months():
        if timezone.localdate(deadlines.window_for(campaign, month).due_at) == today:
            return month
    return None


def last_month_owed(campaign: Campaign, moment: datetime.datetime) -> datetime.date | None:
    """The latest reporting month that has ended by ``moment`` (None before the first)."""
    months = deadlines.months_due(campaign, moment)
    return months[-1] if months else None


@dataclass(frozen=True)
class Summary:
    """Figures, quota and pace of a set of rows (a department, the city)."""

    month: Figures
    cumulative: Figures
    quota: int
    percent_of_quota: Decimal | None
    gap_points: Decimal | None
    pace: str

    @property
    def rates(self) -> dict[str, Decimal | None]:
        """The four rates on the cumulative figures."""
        return self.cumulative.rates()

    @property
    def month_rates(self) -> dict[str, Decimal | None]:
        return self.month.rates()

    @property
    def pace_label(self) -> str:
        return str(Pace(self.pace).label)


def summarize(
    *,
    month: Figures,
    cumulative: Figures,
    quota: int,
    expected_percent: Decimal,
    behind_points: Decimal,
) -> Summary:
    done = percent(cumulative.trained, quota)
    gap = gap_points(done, expected_percent)
    return Summary(
        month=month,
        cumulative=cumulative,
        quota=quota,
        percent_of_quota=done,
        gap_points=gap,
        pace=pace_status(gap, behind_points),
    )


@dataclass(frozen=True)
class HeadlineTarget:
    """A campaign target with its progress; ``achieved``/``percent`` None until an app
    provides the figure (appraisal, high-skilled)."""

    code: str
    name: str
    figure: int
    unit: str
    achieved: int | None
    percent: Decimal | None


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def build_totals(
    *,
    month: datetime.date,
    pacing: Pacing,
    city: Summary,
    targets: list[HeadlineTarget],
    punctuality: Mapping[str, int],
) -> dict[str, Any]:
    """The JSON stored on ``ReportRun.totals`` (Decimals as strings, None as null)::

    {"month": "2013-03",
     "pacing": {"elapsed_months", "total_months", "expected_percent"},
     "city": {"month": {5 figures}, "cumulative": {5 figures}, "quota",
              "percent_of_quota", "gap_points", "pace"},
     "rates": {pass_rate, appraisal_rate, employment_rate, entrepreneurship_rate},  # cumulative
     "month_rates": {the same four on the month's figures},
     "targets": [{"code", "name", "figure", "unit", "achieved", "percent"}, ...],
     "punctuality": {"on_time", "late", "missing", "amended"}}  # departments per status
    """
    return {
        "month": f"{month:%Y-%m}",
        "pacing": {
            "elapsed_months": pacing.elapsed_months,
            "total_months": pacing.total_months,
            "expected_percent": _dec(pacing.expected_percent),
        },
        "city": {
            "month": city.month.as_dict(),
            "cumulative": city.cumulative.as_dict(),
            "quota": city.quota,
            "percent_of_quota": _dec(city.percent_of_quota),
            "gap_points": _dec(city.gap_points),
            "pace": city.pace,
        },
        "rates": {code: _dec(value) for code, value in city.rates.items()},
        "month_rates": {code: _dec(value) for code, value in city.month_rates.items()},
        "targets": [
            {
                "code": t.code,
                "name": t.name,
                "figure": t.figure,
                "unit": t.unit,
                "achieved": t.achieved,
                "percent": _dec(t.percent),
            }
            for t in targets
        ],
        "punctuality": {p.value: punctuality.get(p.value, 0) for p in Punctuality},
    }


def city_from_totals(totals: Mapping[str, Any]) -> Summary:
    """The city Summary stored in a snapshot's totals (no query)."""
    city = totals["city"]
    return Summary(
        month=Figures.from_mapping(city["month"]),
        cumulative=Figures.from_mapping(city["cumulative"]),
        quota=city["quota"],
        percent_of_quota=_undec(city["percent_of_quota"]),
        gap_points=_undec(city["gap_points"]),
        pace=city["pace"],
    )


def targets_from_totals(totals: Mapping[str, Any]) -> list[HeadlineTarget]:
    """The headline targets stored in a snapshot's totals, for gauges (no query)."""
    return [
        HeadlineTarget(**{**t, "percent": _undec(t["percent"])}) for t in totals.get("targets", [])
    ]


# ------------------------------------------------------------------------------
# Reads of stored snapshots
# ------------------------------------------------------------------------------

_PERIODS = ("month", "cumulative")
_ROW_SUMS = {
    f"sum_{period}_{name}": Sum(f"{period}_{name}") for period in _PERIODS for name in FIGURE_FIELDS
}


def report_run_get(*, campaign: Campaign, month: datetime.date) -> ReportRun | None:
    return (
        ReportRun.objects.select_related("campaign", "computed_by", "published_by")
        .filter(campaign=campaign, month=month)
        .first()
    )


def report_run_list(*, campaign: Campaign) -> QuerySet:
    """Every snapshot of the campaign, oldest month first."""
    return (
        ReportRun.objects.filter(campaign=campaign)
        .select_related("computed_by", "published_by")
        .order_by("month")
    )


def report_rows(*, run: ReportRun, department: Department | None = None) -> QuerySet:
    """The snapshot's rows in category order, with department and category loaded."""
    qs = ProgressRow.objects.filter(report_run=run).select_related("department", "category")
    if department is not None:
        qs = qs.filter(department=department)
    return qs.order_by("category__number")


def report_rows_for_user(*, user: User, run: ReportRun) -> QuerySet:
    """All rows for the office and the auditor; a clerk's own department's rows; nothing else."""
    if is_city_wide_reader(user):
        return report_rows(run=run)
    if user.is_authenticated and user.has_role(Role.CLERK) and user.department_id:
        return report_rows(run=run).filter(department_id=user.department_id)
    return ProgressRow.objects.none()


@dataclass(frozen=True)
class DepartmentSummary(Summary):
    department_id: int
    code: str
    name: str
    short_name: str
    punctuality: str
    submitted_at: datetime.datetime | None

    @property
    def punctuality_label(self) -> str:
        return str(Punctuality(self.punctuality).label)


def _behind_points(run: ReportRun) -> Decimal:
    return run.campaign.behind_pace_points


def department_summaries(
    *, run: ReportRun, department: Department | None = None
) -> list[DepartmentSummary]:
    """Per department: sums of its rows, % of its quota, gap, pace, the four rates and its
    punctuality. One query (GROUP BY department) whatever the number of rows."""
    qs = ProgressRow.objects.filter(report_run=run)
    if department is not None:
        qs = qs.filter(department=department)
    grouped = (
        qs.values(
            "department_id",
            "department__code",
            "department__name",
            "department__short_name",
            "department__sort_order",
            "punctuality",
        )
        .annotate(**_ROW_SUMS, sum_quota=Sum("quota"), first_submitted=Min("submitted_at"))
        .order_by("department__sort_order", "department__code")
    )
    expected, behind = run.expected_percent, _behind_points(run)
    result = []
    for values in grouped:
        base = summarize(
            month=Figures.from_mapping(values, "sum_month_"),
            cumulative=Figures.from_mapping(values, "sum_cumulative_"),
            quota=values["sum_quota"] or 0,
            expected_percent=expected,
            behind_points=behind,
        )
        result.append(
            DepartmentSummary(
                **{f.name: getattr(base, f.name) for f in fields(Summary)},
                department_id=values["department_id"],
                code=values["department__code"],
                name=values["department__name"],
                short_name=values["department__short_name"],
                punctuality=values["punctuality"],
                submitted_at=values["first_submitted"],
            )
        )
    return result


def city_summary(*, run: ReportRun) -> Summary:
    """The city: sums of every row of the snapshot (one query); equals ``run.totals["city"]``."""
    values = ProgressRow.objects.filter(report_run=run).aggregate(
        **_ROW_SUMS, sum_quota=Sum("quota")
    )
    return summarize(
        month=Figures.from_mapping(values, "sum_month_"),
        cumulative=Figures.from_mapping(values, "sum_cumulative_"),
        quota=values["sum_quota"] or 0,
        expected_percent=run.expected_percent,
        behind_points=_behind_points(run),
    )


@dataclass(frozen=True)
class PacingPoint:
    month: datetime.date
    expected_percent: Decimal
    actual_percent: Decimal | None


def pacing_series(*, campaign: Campaign) -> list[PacingPoint]:
    """Expected vs actual % of the city quota for every computed month (one query)."""
    return [
        PacingPoint(
            month=values["month"],
            expected_percent=values["expected_percent"],
            actual_percent=_undec(values["totals"]["city"]["percent_of_quota"]),
        )
        for values in ReportRun.objects.filter(campaign=campaign)
        .order_by("month")
        .values("month", "expected_percent", "totals")
    ]
