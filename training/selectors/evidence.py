"""Evidence vs reported (台账核对): what the class records support for a month, beside what a
department reported for it.

The evidence for a training category and a month is read from the classes of that category
that actually ran — status approved or closed — and whose end date falls in the month:

* trained  — their enrollments;
* passed   — of those, the ones with the result "passed";
* employed — of those, the ones whose job referral ended "employed" or "self-employed"
  (starting a business is a way into work too).

They are compared with the return line's 培训人次, 考核合格 and 实现就业. 取得证书 (appraisal) and
成功创业 are not compared: the class records do not hold them.

A figure is a *gap* when ``|reported − evidence| > tolerance × max(reported, evidence)`` and
``max(reported, evidence) > 0``, where the tolerance is ``Campaign.evidence_tolerance`` (data,
0.100 in the 2013 plan). So exactly 10 % apart is not a gap, anything more is. The comparison is
made in Decimal, so the boundary is exact.

Both functions run a fixed number of queries (one and two) whatever the number of classes,
enrollments or months: the enrollments are aggregated in the database, by category (and month),
and what comes back is at most categories × months rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncMonth

from core import clock
from core.models import Department
from training import deadlines
from training.models import (
    Campaign,
    Enrollment,
    JobReferral,
    MonthlyReturn,
    ReturnLine,
    TrainingCategory,
    TrainingClass,
)

# The figures compared, in the order the pages show them, with their short labels.
EVIDENCE_FIELDS: tuple[str, ...] = ("trained", "passed", "employed")
EVIDENCE_LABELS: dict[str, str] = {"trained": "培训", "passed": "合格", "employed": "就业"}
# The labels of the same figures on the return (ReturnLine's verbose names).
REPORTED_LABELS: dict[str, str] = {
    name: str(ReturnLine._meta.get_field(name).verbose_name) for name in EVIDENCE_FIELDS
}
# Classes that ran: an approved class is under way or waiting to be closed; refused, draft and
# submitted classes never trained anybody.
RAN_STATUSES: tuple[str, ...] = (TrainingClass.Status.APPROVED, TrainingClass.Status.CLOSED)
# Returns the office has received; a draft has not been reported yet.
REPORTED_STATUSES: tuple[str, ...] = tuple(
    status for status in MonthlyReturn.Status.values if status != MonthlyReturn.Status.DRAFT
)
EMPLOYED_OUTCOMES: tuple[str, ...] = (
    JobReferral.Outcome.EMPLOYED,
    JobReferral.Outcome.SELF_EMPLOYED,
)


def is_gap(*, reported: int, evidence: int, tolerance: Decimal) -> bool:
    """Whether a reported figure and the records differ by more than ``tolerance`` of the
    larger of the two (nothing on either side is never a gap)."""
    largest = max(reported, evidence)
    return largest > 0 and Decimal(abs(reported - evidence)) > tolerance * largest


#: A month has at most one line per category and department: the snapshot keeps all its gaps.
SNAPSHOT_GAP_LIMIT = 1000


def tolerance_percent(tolerance: Decimal) -> Decimal:
    """The tolerance as a percentage for people: 0.100 → 10, 0.125 → 12.5."""
    percent = tolerance * 100
    if percent == percent.to_integral_value():
        return percent.quantize(Decimal(1))
    return percent.normalize()


@dataclass(frozen=True)
class FigureCheck:
    """One figure of one category and month: reported, supported by the records, and the gap."""

    name: str
    reported: int | None
    evidence: int
    flagged: bool

    @property
    def label(self) -> str:
        return EVIDENCE_LABELS[self.name]

    @property
    def reported_label(self) -> str:
        return REPORTED_LABELS[self.name]

    @property
    def gap(self) -> int | None:
        """reported − evidence: positive when more was reported than the records support."""
        return None if self.reported is None else self.reported - self.evidence


@dataclass(frozen=True)
class EvidenceRow:
    """What the class records support for one category and month, beside the return's line.

    ``reported`` is None when the department has no return for the month (nothing to compare
    with yet); then nothing is flagged. ``tolerance`` is the campaign's, as a fraction.
    """

    category_id: int
    month: datetime.date
    trained: int
    passed: int
    employed: int
    reported: dict[str, int] | None
    tolerance: Decimal

    @property
    def figures(self) -> list[FigureCheck]:
        evidence = {name: getattr(self, name) for name in EVIDENCE_FIELDS}
        if self.reported is None:
            return [FigureCheck(name, None, evidence[name], False) for name in EVIDENCE_FIELDS]
        return _checks(reported=self.reported, evidence=evidence, tolerance=self.tolerance)

    @property
    def flagged(self) -> bool:
        return any(check.flagged for check in self.figures)

    @property
    def flagged_labels(self) -> list[str]:
        return [check.reported_label for check in self.figures if check.flagged]

    @property
    def tolerance_percent(self) -> Decimal:
        return tolerance_percent(self.tolerance)


@dataclass(frozen=True)
class GapRow:
    """A category-month of a department where at least one figure is a gap.

    ``as_json`` / ``from_json`` carry it through a snapshot's ``breakdowns`` unchanged.
    """

    department_id: int
    department_code: str
    department_name: str
    category_id: int
    category_number: int
    category_name: str
    month: datetime.date
    figures: list[FigureCheck]

    @property
    def largest_gap(self) -> int:
        """The largest absolute gap among the flagged figures (what the list is ordered by)."""
        return max((abs(f.gap or 0) for f in self.figures if f.flagged), default=0)

    @property
    def flagged_labels(self) -> list[str]:
        return [check.reported_label for check in self.figures if check.flagged]

    def as_json(self) -> dict:
        return {
            "department_id": self.department_id,
            "department_code": self.department_code,
            "department_name": self.department_name,
            "category_id": self.category_id,
            "category_number": self.category_number,
            "category_name": self.category_name,
            "month": self.month.isoformat(),
            "figures": [
                [check.name, check.reported, check.evidence, check.flagged]
                for check in self.figures
            ],
        }

    @classmethod
    def from_json(cls, data: dict) -> GapRow:
        return cls(
            **{key: value for key, value in data.items() if key not in ("month", "figures")},
            month=datetime.date.fromisoformat(data["month"]),
            figures=[FigureCheck(*figure) for figure in data["figures"]],
        )


def _ran_enrollments(*, campaign: Campaign, start: datetime.date, end: datetime.date) -> QuerySet:
    """Enrollments of classes that ran and ended in [start, end)."""
    return Enrollment.objects.filter(
        training_class__campaign=campaign,
        training_class__status__in=RAN_STATUSES,
        training_class__end_date__gte=start,
        training_class__end_date__lt=end,
    )


_EVIDENCE_COUNTS = {
    "trained": Count("pk"),
    "passed": Count("pk", filter=Q(result=Enrollment.Result.PASSED)),
    "employed": Count("pk", filter=Q(referral__outcome__in=EMPLOYED_OUTCOMES)),
}


def evidence_for_return(
    *, campaign: Campaign, department: Department, month: datetime.date
) -> dict[int, EvidenceRow]:
    """Every category of ``department``: the evidence for ``month`` and the return's figures.

    Keyed by category id, in category order. The department's return for the month is used
    whatever its status (a clerk filling a draft sees the comparison before submitting).
    One query: the department's categories, each with the return line's figures and the
    aggregated enrollments as correlated subqueries.
    """
    month = deadlines.month_start(month)
    line = ReturnLine.objects.filter(
        category=OuterRef("pk"),
        monthly_return__campaign=campaign,
        monthly_return__department=department,
        monthly_return__month=month,
    )
    ran = (
        _ran_enrollments(campaign=campaign, start=month, end=deadlines.next_month(month))
        .filter(training_class__category=OuterRef("pk"))
        .order_by()
        .values("training_class__category")
    )
    rows = (
        TrainingCategory.objects.filter(campaign=campaign, department=department)
        .order_by("number")
        .annotate(
            **{
                f"reported_{name}": Subquery(line.values(name)[:1], output_field=IntegerField())
                for name in EVIDENCE_FIELDS
            },
            **{
                f"evidence_{name}": Coalesce(
                    Subquery(ran.annotate(n=count).values("n"), output_field=IntegerField()),
                    0,
                )
                for name, count in _EVIDENCE_COUNTS.items()
            },
        )
        .values_list(
            "pk",
            *(f"reported_{name}" for name in EVIDENCE_FIELDS),
            *(f"evidence_{name}" for name in EVIDENCE_FIELDS),
        )
    )
    result: dict[int, EvidenceRow] = {}
    width = len(EVIDENCE_FIELDS)
    for category_id, *figures in rows:
        reported, evidence = figures[:width], figures[width:]
        result[category_id] = EvidenceRow(
            category_id=category_id,
            month=month,
            reported=None
            if reported[0] is None
            else dict(zip(EVIDENCE_FIELDS, reported, strict=True)),
            tolerance=campaign.evidence_tolerance,
            **dict(zip(EVIDENCE_FIELDS, evidence, strict=True)),
        )
    return result


def evidence_gaps(
    *, campaign: Campaign, month: datetime.date | None = None, limit: int = 20
) -> list[GapRow]:
    """The largest gaps between reported returns and the class records, across departments.

    ``month`` None means every month owed so far (``deadlines.months_due`` at ``clock.now()``).
    Only returns the office has received count (submitted, returned or accepted; a draft has
    not been reported yet, and a missing return is shown as missing elsewhere, not as a gap).
    Rows are ordered by the largest absolute gap among their flagged figures, then newest month
    first. Two queries whatever the number of classes, enrollments or months.
    """
    if month is None:
        months = deadlines.months_due(campaign, clock.now())
    else:
        months = [deadlines.month_start(month)]
    if not months or limit <= 0:
        return []
    evidence = {
        (row["training_class__category_id"], row["month"]): row
        for row in _ran_enrollments(
            campaign=campaign, start=months[0], end=deadlines.next_month(months[-1])
        )
        .annotate(month=TruncMonth("training_class__end_date"))
        .values("training_class__category_id", "month")
        .annotate(**_EVIDENCE_COUNTS)
        .order_by()
    }
    lines = (
        ReturnLine.objects.filter(
            monthly_return__campaign=campaign,
            monthly_return__month__in=months,
            monthly_return__status__in=REPORTED_STATUSES,
        )
        .values_list(
            "monthly_return__department_id",
            "monthly_return__department__code",
            "monthly_return__department__name",
            "category_id",
            "category__number",
            "category__name",
            "monthly_return__month",
            *EVIDENCE_FIELDS,
        )
        .order_by()
    )
    rows = []
    for (
        department_id,
        department_code,
        department_name,
        category_id,
        number,
        name,
        line_month,
        *reported,
    ) in lines:
        found = evidence.get((category_id, _as_date(line_month)), {})
        checks = _checks(
            reported=dict(zip(EVIDENCE_FIELDS, reported, strict=True)),
            evidence={field: found.get(field, 0) for field in EVIDENCE_FIELDS},
            tolerance=campaign.evidence_tolerance,
        )
        if any(check.flagged for check in checks):
            rows.append(
                GapRow(
                    department_id=department_id,
                    department_code=department_code,
                    department_name=department_name,
                    category_id=category_id,
                    category_number=number,
                    category_name=name,
                    month=line_month,
                    figures=checks,
                )
            )
    rows.sort(key=lambda row: (-row.largest_gap, -row.month.toordinal(), row.category_number))
    return rows[:limit]


def _checks(
    *, reported: dict[str, int], evidence: dict[str, int], tolerance: Decimal
) -> list[FigureCheck]:
    return [
        FigureCheck(
            name,
            reported[name],
            evidence[name],
            is_gap(reported=reported[name], evidence=evidence[name], tolerance=tolerance),
        )
        for name in EVIDENCE_FIELDS
    ]


def _as_date(value: datetime.date | datetime.datetime) -> datetime.date:
    """TruncMonth gives a date on a DateField; be lenient if a backend hands back a datetime."""
    return value.date() if isinstance(value, datetime.datetime) else value


def county_totals(*, campaign: Campaign, month: datetime.date) -> list[dict[str, object]]:
    """Trainees by county (县市区) up to the end of ``month``, from the class records: monthly
    returns carry no county, the classes do (the institution's county). Enrollments of classes
    that ran and ended by the month's end, and how many of them passed. One grouped query."""
    month_end = deadlines.next_month(deadlines.month_start(month)) - datetime.timedelta(days=1)
    county = "training_class__institution__county__"
    rows = (
        Enrollment.objects.filter(
            campaign=campaign,
            training_class__status__in=RAN_STATUSES,
            training_class__end_date__lte=month_end,
            training_class__institution__county__isnull=False,
        )
        .values(f"{county}name", f"{county}sort_order")
        .annotate(
            trained=Count("pk"), passed=Count("pk", filter=Q(result=Enrollment.Result.PASSED))
        )
        .order_by(f"{county}sort_order")
    )
    return [
        {"name": row[f"{county}name"], "trained": row["trained"], "passed": row["passed"]}
        for row in rows
    ]


def snapshot_breakdowns(*, campaign: Campaign, month: datetime.date) -> dict:
    """The class-record figures a month's progress snapshot keeps (``ReportRun.breakdowns``):
    the county totals and every evidence gap of the month, largest first. Three queries."""
    return {
        "counties": county_totals(campaign=campaign, month=month),
        "evidence_gaps": [
            gap.as_json()
            for gap in evidence_gaps(campaign=campaign, month=month, limit=SNAPSHOT_GAP_LIMIT)
        ],
    }


def run_counties(run) -> list[dict[str, object]]:
    """A snapshot's county totals (computed live for a snapshot older than ``breakdowns``)."""
    if "counties" in run.breakdowns:
        return run.breakdowns["counties"]
    return county_totals(campaign=run.campaign, month=run.month)


def run_evidence_gaps(run, *, limit: int = 20) -> list[GapRow]:
    """A snapshot's largest evidence gaps (computed live for a snapshot older than
    ``breakdowns``)."""
    if "evidence_gaps" in run.breakdowns:
        return [GapRow.from_json(gap) for gap in run.breakdowns["evidence_gaps"][:limit]]
    return evidence_gaps(campaign=run.campaign, month=run.month, limit=limit)
