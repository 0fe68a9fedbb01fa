"""Reports of skill appraisal: appraisals by occupation, level, county and month; high-skilled
talents against the campaign's target; enterprise evaluations by pilot; "双一" exceptions by
kind and enterprise.

Every figure is one grouped query (``values().annotate()``), so a report costs the same number
of queries whatever the volume. Appraisals are ``appraisal.selectors.results_in_period`` and
high-skilled talents ``high_skilled_certificates`` — the same row sets the dashboard's headline
gauges count — so the report and the gauges always agree:

* an appraisal (鉴定人次) is a result recorded at a sitting (passed or failed; absent is not an
  appraisal), dated by the sitting's exam day, within the campaign;
* a high-skilled talent is a certificate of 高级工 or above issued within the campaign, from a
  sitting or from an enterprise evaluation pilot.

"By county" is the worker's county (where the campaign's people live), not the body's.
Enterprise evaluations are reported beside appraisals, not inside them: they are the pilots'
own evaluations, and their passes already count as certificates.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from appraisal.models import (
    HIGH_SKILLED,
    DualOneException,
    EnterpriseEvaluation,
    Level,
    PilotEnterprise,
    Registration,
)
from appraisal.selectors import high_skilled_certificates, results_in_period
from core.models import User
from core.roles import Role
from training.models import Campaign, Target

PASSED = Q(status=Registration.Status.PASSED)
NO_COUNTY = "未填写"
REPORT_ROLES = frozenset({Role.OFFICE, Role.AUDITOR, Role.REVIEWER})


def can_view_reports(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*REPORT_ROLES))


def rate(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, one decimal, half up; None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Row:
    label: str
    taken: int
    passed: int

    @property
    def pass_rate(self) -> Decimal | None:
        return rate(self.passed, self.taken)


@dataclass(frozen=True)
class Breakdown:
    rows: list[Row]

    @property
    def taken(self) -> int:
        return sum(row.taken for row in self.rows)

    @property
    def passed(self) -> int:
        return sum(row.passed for row in self.rows)

    @property
    def pass_rate(self) -> Decimal | None:
        return rate(self.passed, self.taken)


def _results(campaign: Campaign, until: datetime.date):
    return results_in_period(campaign=campaign, until=until).order_by()


def _counted(qs, *keys: str):
    return qs.values(*keys).annotate(taken=Count("pk"), passed=Count("pk", filter=PASSED))


def appraisals_by_occupation(*, campaign: Campaign, until: datetime.date) -> Breakdown:
    """Appraisals per occupation, most taken first (one query)."""
    rows = _counted(_results(campaign, until), "occupation__code", "occupation__name")
    ordered = sorted(rows, key=lambda r: (-r["taken"], r["occupation__code"]))
    return Breakdown([Row(r["occupation__name"], r["taken"], r["passed"]) for r in ordered])


def appraisals_by_level(*, campaign: Campaign, until: datetime.date) -> Breakdown:
    """Appraisals per level, 初级工 to 高级技师, every level shown (one query)."""
    found = {r["level"]: r for r in _counted(_results(campaign, until), "level")}
    rows = []
    for level in sorted(Level.values, reverse=True):
        r = found.get(level, {"taken": 0, "passed": 0})
        rows.append(Row(str(Level(level).label), r["taken"], r["passed"]))
    return Breakdown(rows)


def appraisals_by_county(*, campaign: Campaign, until: datetime.date) -> Breakdown:
    """Appraisals per county of the worker, in the counties' order; workers without a county
    last (one query)."""
    rows = _counted(
        _results(campaign, until),
        "worker__county__sort_order",
        "worker__county__code",
        "worker__county__name",
    )
    ordered = sorted(
        rows,
        key=lambda r: (
            r["worker__county__name"] is None,
            r["worker__county__sort_order"] or 0,
            r["worker__county__code"] or "",
        ),
    )
    return Breakdown(
        [Row(r["worker__county__name"] or NO_COUNTY, r["taken"], r["passed"]) for r in ordered]
    )


def appraisals_by_month(*, campaign: Campaign, until: datetime.date) -> Breakdown:
    """Appraisals per month of the exam day, oldest first, months without any left out (one
    query)."""
    rows = _counted(
        _results(campaign, until).annotate(month=TruncMonth("sitting__exam_date")), "month"
    )
    ordered = sorted(rows, key=lambda r: r["month"])
    return Breakdown([Row(f"{r['month']:%Y-%m}", r["taken"], r["passed"]) for r in ordered])


@dataclass(frozen=True)
class HighSkilled:
    """High-skilled talents against the campaign's target (``Target`` code "high_skilled")."""

    target: int | None
    achieved: int
    by_level: list[tuple[str, int]]
    from_pilots: int

    @property
    def percent(self) -> Decimal | None:
        return rate(self.achieved, self.target or 0)


def high_skilled_progress(*, campaign: Campaign, until: datetime.date) -> HighSkilled:
    """High-skilled certificates by level (高级工, 技师, 高级技师) and how many came from
    enterprise pilots, against the target figure (two queries)."""
    target = (
        Target.objects.filter(campaign=campaign, code=Target.Code.HIGH_SKILLED)
        .values_list("figure", flat=True)
        .first()
    )
    counts = {
        r["level"]: r
        for r in high_skilled_certificates(campaign=campaign, until=until)
        .order_by()
        .values("level")
        .annotate(
            n=Count("pk"),
            pilots=Count("pk", filter=Q(enterprise_evaluation__isnull=False)),
        )
    }
    by_level = [
        (str(Level(level).label), counts.get(level, {}).get("n", 0))
        for level in sorted(HIGH_SKILLED, reverse=True)
    ]
    return HighSkilled(
        target=target,
        achieved=sum(n for _label, n in by_level),
        by_level=by_level,
        from_pilots=sum(r["pilots"] for r in counts.values()),
    )


@dataclass(frozen=True)
class PilotRow:
    pk: int
    name: str
    size_class: str
    evaluated: int
    passed: int

    @property
    def pass_rate(self) -> Decimal | None:
        return rate(self.passed, self.evaluated)


def evaluations_by_pilot(*, campaign: Campaign, until: datetime.date) -> list[PilotRow]:
    """Each pilot's evaluations within the campaign up to ``until``, and passes (one query)."""
    within = Q(
        evaluations__evaluated_on__gte=campaign.start_date,
        evaluations__evaluated_on__lte=min(until, campaign.end_date),
    )
    passed = within & Q(evaluations__result=EnterpriseEvaluation.Result.PASSED)
    rows = (
        PilotEnterprise.objects.annotate(
            evaluated=Count("evaluations", filter=within),
            passed=Count("evaluations", filter=passed),
        )
        .order_by("county__sort_order", "name")
        .values_list("pk", "name", "size_class", "evaluated", "passed")
    )
    labels = dict(PilotEnterprise.SizeClass.choices)
    return [
        PilotRow(pk, name, str(labels.get(size, size)), evaluated, passed_count)
        for pk, name, size, evaluated, passed_count in rows
    ]


@dataclass
class ExceptionRow:
    """One enterprise's "双一" requests of one kind, by status."""

    pilot: str
    kind: str
    pending: int = 0
    approved: int = 0
    refused: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.approved + self.refused


@dataclass
class ExceptionReport:
    rows: list[ExceptionRow] = field(default_factory=list)
    by_kind: dict[str, ExceptionRow] = field(default_factory=dict)
    used: int = 0

    @property
    def total(self) -> ExceptionRow:
        total = ExceptionRow(pilot="合计", kind="")
        for row in self.by_kind.values():
            total.pending += row.pending
            total.approved += row.approved
            total.refused += row.refused
        return total


def exception_report() -> ExceptionReport:
    """ "双一" exceptions counted by enterprise, kind and status, with totals per kind and how many
    approvals were used by an evaluation (two queries)."""
    kinds = dict(DualOneException.Kind.choices)
    report = ExceptionReport(
        by_kind={kind: ExceptionRow(pilot="合计", kind=str(label)) for kind, label in kinds.items()}
    )
    grouped = (
        DualOneException.objects.order_by()
        .values("pilot__county__sort_order", "pilot__name", "kind", "status")
        .annotate(n=Count("pk"))
    )
    rows: dict[tuple[str, str], ExceptionRow] = {}
    order: dict[tuple[str, str], tuple] = {}
    for r in grouped:
        key = (r["pilot__name"], r["kind"])
        row = rows.setdefault(key, ExceptionRow(pilot=r["pilot__name"], kind=str(kinds[r["kind"]])))
        order[key] = (r["pilot__county__sort_order"], r["pilot__name"], r["kind"])
        setattr(row, r["status"], getattr(row, r["status"]) + r["n"])
        total = report.by_kind[r["kind"]]
        setattr(total, r["status"], getattr(total, r["status"]) + r["n"])
    report.rows = [rows[key] for key in sorted(rows, key=lambda k: order[k])]
    report.used = (
        EnterpriseEvaluation.objects.filter(exception__isnull=False)
        .values("exception")
        .distinct()
        .count()
    )
    return report


@dataclass(frozen=True)
class AppraisalReport:
    campaign: Campaign
    until: datetime.date
    by_occupation: Breakdown
    by_level: Breakdown
    by_county: Breakdown
    by_month: Breakdown
    high_skilled: HighSkilled
    pilots: list[PilotRow]


def appraisal_report(*, campaign: Campaign, until: datetime.date) -> AppraisalReport:
    """Everything the report page shows, up to ``until`` (eight queries whatever the volume)."""
    return AppraisalReport(
        campaign=campaign,
        until=until,
        by_occupation=appraisals_by_occupation(campaign=campaign, until=until),
        by_level=appraisals_by_level(campaign=campaign, until=until),
        by_county=appraisals_by_county(campaign=campaign, until=until),
        by_month=appraisals_by_month(campaign=campaign, until=until),
        high_skilled=high_skilled_progress(campaign=campaign, until=until),
        pilots=evaluations_by_pilot(campaign=campaign, until=until),
    )
