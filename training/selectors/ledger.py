"""Reads of the work ledger and the joint meetings, scoped to what the user may see.

Office and auditor see every task; a department clerk the tasks their department leads or
assists on; anyone else nothing (the views answer 403, and a task outside a clerk's scope is a
404). The displayed state (未启动 / 推进中 / 已完成 / 已逾期) is derived on a date: see
``LedgerTask.state_on``; the filters below express the same rule in SQL.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from core import clock
from core.models import Department, User
from core.permissions import is_city_wide_reader
from core.roles import Role
from training.models import Campaign, JointMeeting, LedgerProgressNote, LedgerTask
from training.permissions import ledger as perms

State = LedgerTask.State
Status = LedgerTask.Status
# How many overdue tasks the home-page panel lists by name.
PANEL_LIMIT = 10


def state_filter(state: str, day: datetime.date) -> Q:
    """The SQL twin of ``LedgerTask.state_on(day)``."""
    open_ = Q(status=Status.OPEN)
    if state == State.DONE:
        return Q(status=Status.DONE)
    if state == State.OVERDUE:
        return open_ & Q(deadline__lt=day)
    if state == State.IN_PROGRESS:
        return open_ & Q(deadline__gte=day, last_reported_on__isnull=False)
    if state == State.NOT_STARTED:
        return open_ & Q(deadline__gte=day, last_reported_on__isnull=True)
    return Q()


def _clerk_department_id(user: User) -> int | None:
    if user.is_authenticated and user.has_role(Role.CLERK) and user.department_id is not None:
        return user.department_id
    return None


def _scoped(*, user: User, campaign: Campaign) -> QuerySet:
    qs = LedgerTask.objects.filter(campaign=campaign)
    if is_city_wide_reader(user):
        return qs
    department_id = _clerk_department_id(user)
    if department_id is None:
        return qs.none()
    return qs.of_department(Department(pk=department_id))


def ledger_list_for_user(
    *,
    user: User,
    campaign: Campaign,
    state: str = "",
    source: str = "",
    day: datetime.date | None = None,
) -> QuerySet:
    """Tasks the user may see, optionally of one derived ``state`` on ``day`` (default today)
    and one ``source``; lead unit and meeting joined, assisting units prefetched (two queries
    whatever the number of tasks)."""
    day = day or clock.today()
    qs = _scoped(user=user, campaign=campaign).filter(state_filter(state, day))
    if source in LedgerTask.Source.values:
        qs = qs.filter(source=source)
    return (
        qs.select_related("lead_unit", "meeting")
        .prefetch_related(
            Prefetch("assisting_units", queryset=Department.objects.order_by("sort_order"))
        )
        .order_by("deadline", "sort_order", "code")
    )


def ledger_state_counts(
    *, user: User, campaign: Campaign, day: datetime.date | None = None
) -> dict[str, int]:
    """How many of the user's tasks are in each derived state on ``day`` (one query)."""
    day = day or clock.today()
    counts = _scoped(user=user, campaign=campaign).aggregate(
        total=Count("pk"),
        **{state: Count("pk", filter=state_filter(state, day)) for state in State.values},
    )
    return counts


def ledger_task_get_for_user(*, user: User, pk: int) -> LedgerTask:
    """The task with ``assisting_ids`` (a set of department ids) and ``assisting`` (the units)
    attached, or 404 when it does not exist or the user may not see it."""
    task = (
        LedgerTask.objects.select_related("lead_unit", "meeting", "campaign", "completed_by")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404("没有该台帐任务")
    task.assisting = list(task.assisting_units.order_by("sort_order"))
    task.assisting_ids = {unit.pk for unit in task.assisting}
    if not perms.can_view_task(user, task, task.assisting_ids):
        raise Http404("没有该台帐任务")
    return task


def ledger_notes(*, task: LedgerTask) -> QuerySet:
    return LedgerProgressNote.objects.filter(task=task).select_related("department", "author")


# --------------------------------------------------------------------------------------------
# Meetings
# --------------------------------------------------------------------------------------------


def meeting_list(*, campaign: Campaign) -> QuerySet:
    return (
        JointMeeting.objects.filter(campaign=campaign)
        .annotate(task_count=Count("tasks"))
        .prefetch_related(
            Prefetch("attendee_units", queryset=Department.objects.order_by("sort_order"))
        )
        .order_by("-held_on", "-number")
    )


def meeting_get_for_user(*, user: User, pk: int) -> JointMeeting:
    meeting = JointMeeting.objects.select_related("campaign", "created_by").filter(pk=pk).first()
    if meeting is None or not perms.can_view_meetings(user):
        raise Http404("没有该联席会议")
    return meeting


def meeting_tasks(*, meeting: JointMeeting) -> QuerySet:
    return (
        LedgerTask.objects.filter(meeting=meeting)
        .select_related("lead_unit")
        .prefetch_related(
            Prefetch("assisting_units", queryset=Department.objects.order_by("sort_order"))
        )
        .order_by("sort_order")
    )


# --------------------------------------------------------------------------------------------
# Home page and monthly bulletin
# --------------------------------------------------------------------------------------------


def ledger_home_panel(*, user: User, campaign: Campaign | None) -> dict | None:
    """The overdue tasks the user may see, on today: the office's (and auditor's) whole ledger, a
    clerk's own department's. Two queries (the counts, the first ``PANEL_LIMIT`` overdue tasks);
    hidden when there is no campaign."""
    if campaign is None or not perms.can_view_ledger(user):
        return None
    day = clock.today()
    counts = ledger_state_counts(user=user, campaign=campaign, day=day)
    overdue = [
        {"task": task, "days": task.days_overdue(day)}
        for task in _scoped(user=user, campaign=campaign)
        .filter(state_filter(State.OVERDUE, day))
        .select_related("lead_unit")
        .order_by("deadline", "sort_order")[:PANEL_LIMIT]
    ]
    return {"counts": counts, "overdue": overdue, "day": day, "limit": PANEL_LIMIT}


@dataclass(frozen=True)
class OverdueItem:
    code: str
    title: str
    lead_unit: str
    deadline: datetime.date
    days: int


def ledger_overdue_at_month_end(*, campaign: Campaign, month: datetime.date) -> list[OverdueItem]:
    """Tasks that were overdue at the end of ``month``: deadline before the next month's first
    day and not completed by then (still open, or completed later). Reproducible afterwards
    because completion dates are kept. One query."""
    cutoff = (month.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    last_day = cutoff - datetime.timedelta(days=1)
    rows = (
        LedgerTask.objects.filter(campaign=campaign, deadline__lt=cutoff)
        .filter(Q(status=Status.OPEN) | Q(completed_on__gte=cutoff))
        .select_related("lead_unit")
        .order_by("deadline", "sort_order")
    )
    return [
        OverdueItem(
            code=task.code,
            title=task.title,
            lead_unit=task.lead_unit.short_name,
            deadline=task.deadline,
            days=(last_day - task.deadline).days,
        )
        for task in rows
    ]


def ledger_overdue_for_bulletin(campaign: Campaign, month: datetime.date) -> list[str]:
    """The bulletin's sentence on the ledger's overdue tasks at the end of ``month`` (one query),
    or no sentence when none is overdue (the bulletin names what needs action; a month without
    overdue tasks keeps its usual text). Frozen with the bulletin's text when published."""
    month_text = f"{month.year}年{month.month}月"
    items = ledger_overdue_at_month_end(campaign=campaign, month=month)
    if not items:
        return []
    listed = "；".join(
        f"{item.code}“{item.title}”（主办单位{item.lead_unit}，"
        f"完成时限{item.deadline:%Y年%m月%d日}，逾期{item.days}天）"
        for item in items
    )
    return [
        f"截至{month_text}底，工作台帐中有{len(items)}项任务逾期未完成：{listed}。"
        "请主办单位会同协办单位抓紧办理，并向领导小组办公室报告进展。"
    ]
