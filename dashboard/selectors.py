"""Reads for the office's pages and every role's home page: the home panels, the audit trail,
the progress dashboard and the bulletins."""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import clock
from core.models import AuditEvent, Department, User
from core.permissions import can_view_audit_trail, is_city_wide_reader, is_office
from core.roles import Role
from dashboard import permissions
from dashboard.models import Bulletin
from dashboard.panels import panels_for_user
from training import deadlines, reports
from training import selectors as training_selectors
from training.models import FIGURE_FIELDS, Campaign, ProgressRow, ReportRun, TrainingCategory
from training.selectors import evidence
from training.selectors.ledger import ledger_overdue_for_bulletin

Pace = ProgressRow.Pace
Punctuality = ProgressRow.Punctuality


def home_context(*, user: User) -> dict[str, Any]:
    campaign = training_selectors.campaign_current()
    context: dict[str, Any] = {"campaign": campaign, "panels": []}
    if campaign is None:
        return context
    if is_city_wide_reader(user):
        context["panels"].append("office")
        context["targets"] = training_selectors.target_list(campaign=campaign)
        context["categories"] = training_selectors.category_list(campaign=campaign)
        context["quota_total"] = training_selectors.quota_total(campaign=campaign)
        context["pending_corrections"] = training_selectors.correction_list(
            user=user, campaign=campaign, status="pending"
        ).count()
    if user.has_role(Role.CLERK) and user.department_id:
        context["panels"].append("clerk")
        context["department"] = user.department
        context["my_categories"] = training_selectors.category_list(
            campaign=campaign, department=user.department
        )
        context["current_return"] = _current_return(campaign=campaign, user=user)
        context["reminders"] = list(
            training_selectors.reminder_list_for_user(user=user, campaign=campaign)[:5]
        )
    for role, panel in (
        (Role.WORKER, "worker"),
        (Role.INSTITUTION, "institution"),
        (Role.REVIEWER, "reviewer"),
        (Role.FINANCE, "finance"),
        (Role.COMMITTEE, "committee"),
    ):
        if user.has_role(role):
            context["panels"].append(panel)
    context["app_panels"] = panels_for_user(user=user, campaign=campaign)
    if "worker" in context["panels"]:
        # The dashboard may read every app: a worker's home shows their certificates
        # (training's own worker page may not import appraisal).
        from appraisal.selectors import certificates_for_worker
        from training.models import Worker

        worker = Worker.objects.filter(user=user).first()
        context["certificates"] = list(certificates_for_worker(worker)) if worker else []
    return context


def _current_return(*, campaign, user: User) -> dict[str, Any] | None:
    """The month the clerk's department is reporting now, its status badge and its page."""
    month = deadlines.current_reporting_month(campaign, clock.now())
    if month is None:
        return None
    history = training_selectors.return_history(campaign=campaign, department=user.department)
    entry = next((item for item in history if item["month"] == month), None)
    window = deadlines.window_for(campaign, month)
    return {
        "month": month,
        "cell": entry["cell"] if entry else None,
        "due_date": window.due_date,
        "url": reverse("training:return_detail", args=[user.department.code, month]),
    }


def audit_event_list(*, user: User, action: str = "") -> QuerySet:
    if not can_view_audit_trail(user):
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.select_related("content_type")
    if action:
        qs = qs.filter(action=action)
    return qs.order_by("-created_at", "-id")


# ------------------------------------------------------------------------------
# Progress dashboard: reads of the stored monthly snapshots (training.ReportRun)
#
# Every page reads a fixed number of queries whatever the number of months, departments and
# categories: the snapshot, one GROUP BY for the departments, one for the rows, one for the
# history (pacing line, punctuality). Chart data is the same numbers as the tables beside the
# charts, shaped for static/js/dashboard.js (floats, None for "—").
# ------------------------------------------------------------------------------


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def campaign_for_dashboard():
    """The campaign the dashboard shows; 404 before a plan is loaded."""
    campaign = training_selectors.campaign_current()
    if campaign is None:
        raise Http404(_("尚未载入专项活动方案"))
    return campaign


def progress_months(*, campaign: Campaign) -> list[datetime.date]:
    """Months that have a snapshot, oldest first (the month filter offers only these)."""
    return list(
        ReportRun.objects.filter(campaign=campaign)
        .order_by("month")
        .values_list("month", flat=True)
    )


def progress_run_get(
    *, campaign: Campaign, month: datetime.date | None, months: list[datetime.date]
) -> ReportRun | None:
    """The snapshot of ``month``, or of the latest computed month when ``month`` is None.
    None when the campaign has no snapshot yet; 404 for a month without one."""
    if month is None:
        if not months:
            return None
        month = months[-1]
    elif month not in months:
        raise Http404(_("该月尚无进度快照"))
    return reports.report_run_get(campaign=campaign, month=month)


def parse_month_filter(value: str | None) -> datetime.date | None:
    """``?month=YYYY-MM``: None when absent; 404 when malformed (nothing to show for it)."""
    if not value:
        return None
    month = deadlines.parse_month(value)
    if month is None:
        raise Http404(_("月份格式应为 YYYY-MM"))
    return month


def progress_department_get_for_user(*, user: User, code: str) -> Department:
    """A responsible unit the user may see; 404 otherwise (another department's clerk)."""
    department = Department.objects.filter(code=code).first()
    if department is None or not permissions.can_view_department_progress(user, department):
        raise Http404(_("没有该单位的进度"))
    return department


def progress_category_get_for_user(
    *, user: User, campaign: Campaign, number: int
) -> TrainingCategory:
    category = (
        TrainingCategory.objects.filter(campaign=campaign, number=number)
        .select_related("department")
        .first()
    )
    if category is None or not permissions.can_view_department_progress(user, category.department):
        raise Http404(_("没有该培训类别的进度"))
    return category


#: The dashboard lists the month's largest return-vs-records gaps, this many.
GAP_LIMIT = 20


def _pace_counts(summaries) -> dict[str, int]:
    counts = {pace.value: 0 for pace in Pace}
    for summary in summaries:
        counts[summary.pace] += 1
    return counts


def _percent_bar(
    names: list[str], summaries, *, expected: Decimal, links: list[str] | None = None
) -> dict[str, Any]:
    return {
        "type": "bar",
        "categories": names,
        "series": [
            {
                "name": str(_("完成任务（%）")),
                "data": [{"value": _float(s.percent_of_quota), "pace": s.pace} for s in summaries],
            }
        ],
        "expected": _float(expected),
        "expectedName": str(_("时间进度")),
        "unit": "%",
        "links": links or [],
    }


def _rates_chart(names: list[str], rate_sets: list[dict]) -> dict[str, Any]:
    return {
        "type": "grouped",
        "categories": names,
        "series": [
            {"name": str(label), "data": [_float(rates[code]) for rates in rate_sets]}
            for code, _field, label in reports.RATES
        ],
        "unit": "%",
    }


def _line_chart(points: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "line",
        "categories": [f"{p['month']:%Y-%m}" for p in points],
        "series": [
            {"name": str(_("时间进度")), "data": [_float(p["expected"]) for p in points]},
            {"name": str(_("实际进度")), "data": [_float(p["actual"]) for p in points]},
        ],
        "unit": "%",
    }


def _gauges(targets: list[reports.HeadlineTarget]) -> dict[str, Any]:
    return {
        "type": "gauge",
        "gauges": [
            {
                "name": t.name,
                "value": _float(t.percent),
                "achieved": t.achieved,
                "figure": t.figure,
                "unit": t.unit,
            }
            for t in targets
        ],
    }


def _year_months(run: ReportRun, months: list[datetime.date]) -> list[datetime.date]:
    return [m for m in months if m.year == run.month.year and m <= run.month]


def punctuality_matrix(
    *, run: ReportRun, months: list[datetime.date], department: Department | None = None
) -> dict[str, Any]:
    """Department × month punctuality for the months of the run's year up to the run's month,
    and per department the year's counts (on time / late / missing / amended). One query."""
    shown = _year_months(run, months)
    qs = ProgressRow.objects.filter(
        report_run__campaign_id=run.campaign_id,
        report_run__month__in=shown,
    )
    if department is not None:
        qs = qs.filter(department=department)
    values = (
        qs.values(
            "department_id",
            "department__code",
            "department__short_name",
            "department__sort_order",
            "report_run__month",
            "punctuality",
        )
        .distinct()
        .order_by("department__sort_order", "department__code", "report_run__month")
    )
    rows: dict[int, dict[str, Any]] = {}
    for item in values:
        row = rows.setdefault(
            item["department_id"],
            {
                "code": item["department__code"],
                "name": item["department__short_name"],
                "cells": {},
                "counts": {p.value: 0 for p in Punctuality},
            },
        )
        row["cells"][item["report_run__month"]] = item["punctuality"]
        row["counts"][item["punctuality"]] += 1
    labels = {p.value: str(p.label) for p in Punctuality}
    result = []
    for row in rows.values():
        result.append(
            {
                "code": row["code"],
                "name": row["name"],
                "cells": [
                    {
                        "month": m,
                        "code": row["cells"].get(m),
                        "label": labels.get(row["cells"].get(m), ""),
                    }
                    for m in shown
                ],
                "counts": row["counts"],
            }
        )
    return {"year": run.month.year, "months": shown, "rows": result, "labels": labels}


def city_progress(*, run: ReportRun, months: list[datetime.date]) -> dict[str, Any]:
    """Everything the city dashboard shows for one snapshot (office and auditor)."""
    city = reports.city_from_totals(run.totals)
    targets = reports.targets_from_totals(run.totals)
    departments = reports.department_summaries(run=run)
    rows = list(reports.report_rows(run=run))
    categories = [(row, _row_summary(row)) for row in rows]
    pacing = [
        {"month": p.month, "expected": p.expected_percent, "actual": p.actual_percent}
        for p in reports.pacing_series(campaign=run.campaign)
        if p.month <= run.month
    ]
    department_names = [d.short_name for d in departments]
    city_label = str(_("全市"))
    charts = {
        "targets": _gauges(targets),
        "departments": _percent_bar(
            department_names,
            departments,
            expected=run.expected_percent,
            links=[
                reverse("dashboard:progress_department", args=[d.code])
                + f"?month={run.month:%Y-%m}"
                for d in departments
            ],
        ),
        "categories": _percent_bar(
            [row.category.name for row, _s in categories],
            [s for _r, s in categories],
            expected=run.expected_percent,
        ),
        "pacing": _line_chart(pacing),
        "rates": _rates_chart(
            [*department_names, city_label], [*(d.rates for d in departments), city.rates]
        ),
    }
    return {
        "city": city,
        "targets": targets,
        "departments": departments,
        "categories": categories,
        "pacing": pacing,
        "pace_counts": _pace_counts(departments),
        "punctuality": punctuality_matrix(run=run, months=months),
        # From the snapshot: the class-record aggregates are computed with it, not per request.
        "counties": evidence.run_counties(run),
        "gaps": evidence.run_evidence_gaps(run, limit=GAP_LIMIT),
        "charts": charts,
    }


def _row_summary(row: ProgressRow) -> reports.Summary:
    """A category row as a Summary (its stored percent, gap and pace; rates derived)."""
    return reports.Summary(
        month=reports.Figures.from_mapping(row.month_figures()),
        cumulative=reports.Figures.from_mapping(row.cumulative_figures()),
        quota=row.quota,
        percent_of_quota=row.percent_of_quota,
        gap_points=row.gap_points,
        pace=row.pace,
    )


def _department_history(*, run: ReportRun, department: Department) -> list[dict[str, Any]]:
    """The department month by month up to the run's month: figures, % of quota against the
    expected %, pace and punctuality. One GROUP BY over the snapshots."""
    values = (
        ProgressRow.objects.filter(
            report_run__campaign_id=run.campaign_id,
            report_run__month__lte=run.month,
            department=department,
        )
        .values("report_run__month", "report_run__expected_percent", "punctuality")
        .annotate(
            **{f"m_{name}": Sum(f"month_{name}") for name in FIGURE_FIELDS},
            **{f"c_{name}": Sum(f"cumulative_{name}") for name in FIGURE_FIELDS},
            sum_quota=Sum("quota"),
        )
        .order_by("report_run__month")
    )
    behind = run.campaign.behind_pace_points
    history = []
    for item in values:
        summary = reports.summarize(
            month=reports.Figures.from_mapping(item, "m_"),
            cumulative=reports.Figures.from_mapping(item, "c_"),
            quota=item["sum_quota"] or 0,
            expected_percent=item["report_run__expected_percent"],
            behind_points=behind,
        )
        history.append(
            {
                "month": item["report_run__month"],
                "expected": item["report_run__expected_percent"],
                "actual": summary.percent_of_quota,
                "summary": summary,
                "punctuality": item["punctuality"],
                "punctuality_label": str(Punctuality(item["punctuality"]).label),
            }
        )
    return history


def department_progress(*, run: ReportRun, department: Department) -> dict[str, Any]:
    """A department's page for one snapshot: its summary, its categories, its months. 404 when
    the department holds no category of the campaign."""
    found = reports.department_summaries(run=run, department=department)
    if not found:
        raise Http404(_("该单位没有培训任务"))
    summary = found[0]
    rows = list(reports.report_rows(run=run, department=department))
    categories = [(row, _row_summary(row)) for row in rows]
    history = _department_history(run=run, department=department)
    names = [row.category.name for row in rows]
    counts = {p.value: 0 for p in Punctuality}
    for item in history:
        if item["month"].year == run.month.year:
            counts[item["punctuality"]] += 1
    return {
        "summary": summary,
        "categories": categories,
        "history": history,
        "year_counts": counts,
        "punctuality_labels": {p.value: str(p.label) for p in Punctuality},
        "charts": {
            "categories": _percent_bar(
                names,
                [s for _r, s in categories],
                expected=run.expected_percent,
                links=[
                    reverse("dashboard:progress_category", args=[row.category.number])
                    + f"?month={run.month:%Y-%m}"
                    for row in rows
                ],
            ),
            "pacing": _line_chart(history),
            "rates": _rates_chart(
                [*names, summary.short_name],
                [*(s.rates for _r, s in categories), summary.rates],
            ),
        },
    }


def category_progress(*, run: ReportRun, category: TrainingCategory) -> dict[str, Any]:
    """One category month by month up to the run's month (one query)."""
    rows = list(
        ProgressRow.objects.filter(
            report_run__campaign_id=run.campaign_id,
            report_run__month__lte=run.month,
            category=category,
        )
        .select_related("report_run")
        .order_by("report_run__month")
    )
    history = [
        {
            "month": row.report_run.month,
            "expected": row.report_run.expected_percent,
            "actual": row.percent_of_quota,
            "row": row,
            "summary": _row_summary(row),
        }
        for row in rows
    ]
    months = [f"{item['month']:%Y-%m}" for item in history]
    return {
        "history": history,
        "charts": {
            "pacing": _line_chart(history),
            "monthly": {
                "type": "grouped",
                "categories": months,
                "series": [
                    {
                        "name": str(_("本月培训人次")),
                        "data": [item["row"].month_trained for item in history],
                    },
                    {
                        "name": str(_("本月考核合格")),
                        "data": [item["row"].month_passed for item in history],
                    },
                ],
                "unit": "",
            },
        },
    }


# ------------------------------------------------------------------------------
# Bulletins (通报)
# ------------------------------------------------------------------------------


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def _points(value: Decimal) -> str:
    """10.00 → "10", 7.50 → "7.5"."""
    return f"{value.normalize():f}"


def _names(items: list[dict[str, Any]]) -> str:
    return "、".join(item["name"] for item in items)


@dataclass(frozen=True)
class BulletinContent:
    title: str
    sentences: list[str]
    commended: list[dict[str, Any]]
    behind: list[dict[str, Any]]
    late_or_missing: list[dict[str, Any]]


def bulletin_title(campaign: Campaign, month: datetime.date) -> str:
    name = re.split(r"[（(]", campaign.name, maxsplit=1)[0].strip() or campaign.name
    return f"{name}{month.year}年{month.month}月工作进展情况通报"


def bulletin_content(*, run: ReportRun) -> BulletinContent:
    """The bulletin's text generated from the snapshot's figures (one query: the departments).

    Commended: departments at or above the expected % (pace ahead). Behind: more than the
    campaign's ``behind_pace_points`` below it. Late or missing: the month's return reported
    after the due day, or not at all (a return amended after the lock day was reported)."""
    campaign = run.campaign
    month_text = f"{run.month.year}年{run.month.month}月"
    city = reports.city_from_totals(run.totals)
    departments = reports.department_summaries(run=run)

    def entry(summary) -> dict[str, Any]:
        return {
            "department_id": summary.department_id,
            "code": summary.code,
            "name": summary.short_name,
            "percent_of_quota": None
            if summary.percent_of_quota is None
            else str(summary.percent_of_quota),
            "gap_points": None if summary.gap_points is None else str(summary.gap_points),
        }

    commended = [entry(d) for d in departments if d.pace == Pace.AHEAD]
    behind = [entry(d) for d in departments if d.pace == Pace.BEHIND]
    late_or_missing = [
        {
            "department_id": d.department_id,
            "code": d.code,
            "name": d.short_name,
            "punctuality": d.punctuality,
            "label": d.punctuality_label,
        }
        for d in departments
        if d.punctuality in (Punctuality.LATE, Punctuality.MISSING)
    ]

    sentences = [
        f"截至{month_text}底，全市累计培训{city.cumulative.trained}人次，"
        f"完成目标任务的{_pct(city.percent_of_quota)}，时间进度为{_pct(run.expected_percent)}。"
    ]
    gap = city.gap_points
    pace_text = ""
    if gap is not None and gap > 0:
        pace_text = f"；累计完成进度超过时间进度{gap}个百分点"
    elif gap is not None and gap < 0:
        pace_text = f"；累计完成进度落后时间进度{-gap}个百分点"
    elif gap is not None:
        pace_text = "；累计完成进度与时间进度持平"
    sentences.append(f"{month_text}当月全市培训{city.month.trained}人次{pace_text}。")
    rates = city.rates
    sentences.append(
        "全市累计"
        + "，".join(f"{label}{_pct(rates[code])}" for code, _f, label in reports.RATES)
        + "。"
    )
    if commended:
        sentences.append(f"{_names(commended)}完成任务进度达到或超过时间进度，予以通报表扬。")
    else:
        sentences.append("本月没有单位完成任务进度达到时间进度。")
    points = _points(campaign.behind_pace_points)
    if behind:
        sentences.append(
            f"{_names(behind)}完成任务进度落后时间进度超过{points}个百分点，予以责任追究提示，"
            "请分析原因、采取措施，加快工作进度。"
        )
    else:
        sentences.append(f"没有单位落后时间进度超过{points}个百分点。")
    late = [item for item in late_or_missing if item["punctuality"] == Punctuality.LATE]
    missing = [item for item in late_or_missing if item["punctuality"] == Punctuality.MISSING]
    parts = []
    if late:
        parts.append(f"{_names(late)}逾期报送")
    if missing:
        parts.append(f"{_names(missing)}未报送")
    if parts:
        sentences.append(
            f"{'，'.join(parts)}{month_text}目标任务完成情况，"
            f"请严格落实每月{campaign.due_day}日前报送制度。"
        )
    else:
        sentences.append(f"各责任单位均按时报送了{month_text}目标任务完成情况。")
    # The work ledger's overdue tasks at the month's end (training.selectors.ledger, one query).
    sentences.extend(ledger_overdue_for_bulletin(campaign, run.month))
    return BulletinContent(
        title=bulletin_title(campaign, run.month),
        sentences=sentences,
        commended=commended,
        behind=behind,
        late_or_missing=late_or_missing,
    )


def bulletin_list_for_user(*, user: User, campaign: Campaign) -> QuerySet:
    """Published bulletins for every reader of the dashboard; drafts too for the office."""
    if not permissions.can_view_progress(user):
        return Bulletin.objects.none()
    qs = Bulletin.objects.filter(campaign=campaign).select_related(
        "report_run", "published_by", "created_by"
    )
    if not is_office(user):
        qs = qs.filter(status=Bulletin.Status.PUBLISHED)
    return qs.order_by("-month")


def bulletin_get_for_user(*, user: User, pk: int) -> Bulletin:
    """404 when it does not exist or the user may not read it (a draft, for anyone but the
    office)."""
    bulletin = (
        Bulletin.objects.select_related(
            "campaign", "report_run", "report_run__campaign", "published_by", "created_by"
        )
        .filter(pk=pk)
        .first()
    )
    if bulletin is None or not permissions.can_view_bulletin(user, bulletin):
        raise Http404(_("没有该通报"))
    return bulletin


def bulletin_months_without(*, campaign: Campaign) -> list[datetime.date]:
    """Months with a snapshot and no bulletin yet (newest first), for the office's draft form."""
    return list(
        ReportRun.objects.filter(campaign=campaign, bulletin__isnull=True)
        .order_by("-month")
        .values_list("month", flat=True)
    )


def bulletin_is_stale(bulletin: Bulletin) -> bool:
    """A draft whose snapshot was recomputed after the text was generated."""
    return (
        not bulletin.is_published
        and bulletin.report_run.computed_at != bulletin.snapshot_computed_at
    )
