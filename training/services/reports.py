"""Writes of the monthly progress report: compute (or recompute) a month's snapshot.

The arithmetic and the rule for which returns count are in ``training.reports``.
"""

import datetime
from collections import Counter

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from core import clock
from core.errors import RuleViolation
from core.faults import fault_point
from core.models import User
from core.permissions import is_office
from core.services import audit_record
from training import progress
from training.models import (
    FIGURE_FIELDS,
    Campaign,
    MonthlyReturn,
    ProgressRow,
    ReportRun,
    ReturnLine,
    Target,
    TrainingCategory,
)
from training.reports import (
    REPORTED_STATUSES,
    Figures,
    HeadlineTarget,
    Pacing,
    build_totals,
    figures_sum,
    pacing_for,
    percent,
    punctuality_of,
    summarize,
)
from training.selectors.evidence import snapshot_breakdowns


def _refuse_if_published(run: ReportRun | None) -> None:
    if run is not None and run.is_published:
        raise RuleViolation(_("本月通报已发布，进度快照不可再改"), code="published")


def _month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(
        days=1
    )


def _figure_sums(campaign: Campaign, month: datetime.date) -> dict[int, dict]:
    """Per category: the month's and the cumulative sums of reported lines, in one GROUP BY."""
    this_month = Q(monthly_return__month=month)
    rows = (
        ReturnLine.objects.filter(
            monthly_return__campaign=campaign,
            monthly_return__month__lte=month,
            monthly_return__status__in=REPORTED_STATUSES,
        )
        .values("category_id")
        .annotate(
            **{f"m_{name}": Sum(name, filter=this_month) for name in FIGURE_FIELDS},
            **{f"c_{name}": Sum(name) for name in FIGURE_FIELDS},
        )
        .order_by()
    )
    return {row["category_id"]: row for row in rows}


def _headline_targets(campaign: Campaign, month: datetime.date) -> list[HeadlineTarget]:
    """Each target through the provider hook (training.progress); a fixed number of queries."""
    until = _month_end(month)
    targets = []
    for target in Target.objects.filter(campaign=campaign).order_by("sort_order"):
        achieved = progress.target_achieved(campaign=campaign, code=target.code, until=until)
        targets.append(
            HeadlineTarget(
                code=target.code,
                name=target.name,
                figure=target.figure,
                unit=target.unit,
                achieved=achieved,
                percent=None if achieved is None else percent(achieved, target.figure),
            )
        )
    return targets


def _compute(
    campaign: Campaign, month: datetime.date, pacing: Pacing
) -> tuple[list[ProgressRow], dict]:
    """The snapshot's rows (unsaved) and totals. A fixed number of queries: categories, one
    GROUP BY over the lines, the month's returns, the targets and their providers."""
    expected = pacing.expected_percent
    behind = campaign.behind_pace_points
    categories = list(
        TrainingCategory.objects.filter(campaign=campaign)
        .select_related("department")
        .order_by("number")
    )
    sums = _figure_sums(campaign, month)
    returns = {
        r.department_id: r
        for r in MonthlyReturn.objects.filter(campaign=campaign, month=month).only(
            "department_id", "status", "is_late", "amended_after_deadline", "first_submitted_at"
        )
    }
    rows: list[ProgressRow] = []
    month_parts: list[Figures] = []
    cumulative_parts: list[Figures] = []
    punctuality: dict[int, str] = {}
    for category in categories:
        values = sums.get(category.pk, {})
        month_figures = Figures.from_mapping(values, "m_")
        cumulative_figures = Figures.from_mapping(values, "c_")
        summary = summarize(
            month=month_figures,
            cumulative=cumulative_figures,
            quota=category.quota,
            expected_percent=expected,
            behind_points=behind,
        )
        ret = returns.get(category.department_id)
        on_time = punctuality_of(ret)
        punctuality[category.department_id] = on_time
        rows.append(
            ProgressRow(
                department_id=category.department_id,
                category=category,
                **{f"month_{k}": v for k, v in month_figures.as_dict().items()},
                **{f"cumulative_{k}": v for k, v in cumulative_figures.as_dict().items()},
                quota=category.quota,
                percent_of_quota=summary.percent_of_quota,
                gap_points=summary.gap_points,
                pace=summary.pace,
                punctuality=on_time,
                submitted_at=(
                    ret.first_submitted_at if on_time != ProgressRow.Punctuality.MISSING else None
                ),
            )
        )
        month_parts.append(month_figures)
        cumulative_parts.append(cumulative_figures)
    city = summarize(
        month=figures_sum(month_parts),
        cumulative=figures_sum(cumulative_parts),
        quota=sum(c.quota for c in categories),
        expected_percent=expected,
        behind_points=behind,
    )
    totals = build_totals(
        month=month,
        pacing=pacing,
        city=city,
        targets=_headline_targets(campaign, month),
        punctuality=Counter(punctuality.values()),
    )
    return rows, totals


@transaction.atomic
def report_compute(
    *, campaign: Campaign, month: datetime.date, actor: User | None = None
) -> ReportRun:
    """Compute the progress snapshot of ``month`` (first day), replacing any earlier one.

    ``actor`` None is the scheduled job or the command; a person must be the office. The old rows
    are deleted and the new ones written in this one transaction, so a worker that dies midway
    leaves the old snapshot (or, once committed, the new one), never a mix; two deliveries of the
    same job run one after the other on the run's row lock (or the unique constraint) and give the
    same snapshot. The query count is fixed whatever the number of departments, months and lines.

    Writes one AuditEvent ``progress_report.compute`` with the totals (``recompute`` true when it
    replaced a snapshot, with the previous totals). Raises PermissionDenied (not the office),
    RuleViolation (not a reporting month of the campaign; the month's bulletin is published).
    """
    if actor is not None and not is_office(actor):
        raise PermissionDenied
    try:
        pacing = pacing_for(campaign, month)
    except ValueError:
        raise RuleViolation(
            _("%(month)s 不在本专项活动的报送月份内") % {"month": f"{month:%Y年%m月}"},
            code="month",
        ) from None
    run = ReportRun.objects.select_for_update().filter(campaign=campaign, month=month).first()
    _refuse_if_published(run)
    rows, totals = _compute(campaign, month, pacing)
    fields = {
        "computed_at": clock.now(),
        "computed_by": actor,
        "totals": totals,
        "breakdowns": snapshot_breakdowns(campaign=campaign, month=month),
        "elapsed_months": pacing.elapsed_months,
        "total_months": pacing.total_months,
        "expected_percent": pacing.expected_percent,
    }
    created = False
    if run is None:
        try:
            with transaction.atomic():
                run = ReportRun.objects.create(campaign=campaign, month=month, **fields)
                created = True
        except IntegrityError:
            # Another delivery of the job created it after our read: replace theirs.
            run = ReportRun.objects.select_for_update().get(campaign=campaign, month=month)
            _refuse_if_published(run)
    previous = None
    if not created:
        run.campaign = campaign  # for the audit row's text, without another query
        previous = run.totals
        ProgressRow.objects.filter(report_run=run).delete()
        for name, value in fields.items():
            setattr(run, name, value)
        run.save()
    for row in rows:
        row.report_run = run
    ProgressRow.objects.bulk_create(rows)
    fault_point("report_compute.rows_written")  # core/faults.py: inert unless a test injects
    changes: dict = {"recompute": previous is not None, "totals": totals}
    if previous is not None:
        changes["previous_totals"] = previous
    audit_record(
        actor=actor,
        action="progress_report.compute",
        obj=run,
        to_state=run.status,
        changes=changes,
    )
    return run


def report_compute_enqueue(*, campaign: Campaign, month: datetime.date, actor: User) -> None:
    """Queue the computation for a worker once the caller's transaction commits (for a button
    that should not wait). Checks what ``report_compute`` checks first, so the office sees a
    refusal at once; the job itself writes the snapshot and its audit row."""
    from core.outbox import outbox_enqueue
    from training.tasks import compute_monthly_progress

    if not is_office(actor):
        raise PermissionDenied
    if month not in campaign.reporting_months():
        raise RuleViolation(
            _("%(month)s 不在本专项活动的报送月份内") % {"month": f"{month:%Y年%m月}"},
            code="month",
        )
    _refuse_if_published(ReportRun.objects.filter(campaign=campaign, month=month).first())
    # Through the outbox, so a broker outage neither loses the request nor fails the page.
    outbox_enqueue(
        compute_monthly_progress,
        month=f"{month:%Y-%m}",
        campaign_id=campaign.pk,
        actor_id=actor.pk,
    )
