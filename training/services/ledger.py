"""Writes of the work ledger (工作台帐) and the joint meetings (联席会议).

Every function is ``<entity>_<verb>(*, ..., actor)``: permission first, one transaction, the task
row locked with ``select_for_update`` before its state changes, one ``AuditEvent`` per change.
Errors: ``ValidationError`` (field-keyed, the user can correct it), ``RuleViolation`` (the ledger's
rules refuse it, a Chinese message), ``PermissionDenied``.

Decisions this module makes where the plan is silent:

* Tasks come from two sources only: the plan itself (loaded by ``load_plan``) and the leading
  group's joint meetings (``ledger_task_create`` with the meeting). The office assigns new work by
  recording the meeting that decided it, so every task in the ledger can be traced to a decision.
* Completion is declared by the *lead unit's* clerk (it knows when its work is done) with the
  date it was finished; the office does not confirm each task but may reopen a completed one with a
  reason (audited). Assisting units report progress but do not close the task. The tasks the plan
  gives the office itself (5.3, 5.4) are reported and closed by the office's own staff.
* The office may move any deadline (``ledger_task_update``) but must give a reason, kept in the
  audit row with the old and new dates; a follow-up task's deadline may not fall before its
  meeting.
* A progress note may carry a percentage; the task keeps the latest reported percentage and date
  so lists show them without a query per row. Notes are accepted only while the task is open.
* Dates: no note, completion or meeting may be dated in the future (``clock.today()``). Past
  dates are accepted as typed: a unit may record work finished before it was entered.
* Codes: a meeting's follow-up tasks are numbered ``H<meeting>-<n>`` (会议), in creation order.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.errors import RuleViolation
from core.models import Department, User
from core.roles import Role
from core.services import audit_record
from training.models import Campaign, JointMeeting, LedgerProgressNote, LedgerTask
from training.permissions import ledger as perms

Status = LedgerTask.Status


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass
class TaskInput:
    """A task's fields as the office typed them (parsed, not yet checked)."""

    title: str
    requirements: str
    lead_unit: Department
    deadline: datetime.date
    leader: str = ""
    assisting_units: list[Department] = field(default_factory=list)

    FIELDS = ("title", "requirements", "lead_unit", "leader", "deadline")


@dataclass
class MeetingInput:
    held_on: datetime.date
    place: str
    chair: str
    decisions: str
    attendee_units: list[Department] = field(default_factory=list)
    attendees_other: str = ""


def _task_errors(data: TaskInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = _("请填写工作任务")
    if any(unit.pk == data.lead_unit.pk for unit in data.assisting_units):
        errors["assisting_units"] = _("主办单位“%(name)s”不能同时是协办单位") % {
            "name": data.lead_unit.short_name
        }
    return errors


def _describe_task(task: LedgerTask, assisting: Iterable[Department]) -> dict[str, str]:
    return {
        "title": task.title,
        "requirements": task.requirements,
        "lead_unit": task.lead_unit.short_name,
        "assisting_units": "、".join(sorted(unit.short_name for unit in assisting)),
        "leader": task.leader,
        "deadline": task.deadline.isoformat(),
    }


def _lock(task: LedgerTask) -> LedgerTask:
    return (
        LedgerTask.objects.select_for_update(of=("self",))
        .select_related("lead_unit", "campaign")
        .get(pk=task.pk)
    )


def _not_in_future(day: datetime.date, field_name: str, label: str) -> None:
    if day > clock.today():
        raise ValidationError(
            {
                field_name: _("%(label)s不能晚于今天（%(today)s）")
                % {"label": label, "today": clock.today()}
            }
        )


# --------------------------------------------------------------------------------------------
# Joint meetings
# --------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(*, campaign: Campaign, data: MeetingInput, actor: User) -> JointMeeting:
    """Record a joint meeting with the next number of the campaign (第N次联席会议).

    Writes ``ledger.meeting_create``. Raises PermissionDenied (not the office), ValidationError
    (a date in the future, empty place / chair / decisions)."""
    if not perms.can_manage_ledger(actor):
        raise PermissionDenied
    errors = {}
    if data.held_on > clock.today():
        errors["held_on"] = _("会议日期不能晚于今天")
    for name, label in (
        ("place", _("会议地点")),
        ("chair", _("主持人")),
        ("decisions", _("议定事项")),
    ):
        if not getattr(data, name).strip():
            errors[name] = _("请填写%(label)s") % {"label": label}
    if errors:
        raise ValidationError(errors)
    # Numbering is serialised on the campaign row; the unique constraint backs it up.
    Campaign.objects.select_for_update().only("pk").get(pk=campaign.pk)
    last = (
        JointMeeting.objects.filter(campaign=campaign)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    meeting = JointMeeting.objects.create(
        campaign=campaign,
        number=(last or 0) + 1,
        held_on=data.held_on,
        place=data.place.strip(),
        chair=data.chair.strip(),
        attendees_other=data.attendees_other.strip(),
        decisions=data.decisions.strip(),
        created_by=actor,
    )
    meeting.attendee_units.set(data.attendee_units)
    audit_record(
        actor=actor,
        action="ledger.meeting_create",
        obj=meeting,
        changes={
            "held_on": meeting.held_on.isoformat(),
            "place": meeting.place,
            "chair": meeting.chair,
            "attendee_units": "、".join(u.short_name for u in data.attendee_units),
            "decisions": meeting.decisions,
        },
    )
    return meeting


# --------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------


@transaction.atomic
def ledger_task_create(*, meeting: JointMeeting, data: TaskInput, actor: User) -> LedgerTask:
    """Add a follow-up task decided at ``meeting`` to the ledger (source 联席会议), coded
    ``H<meeting number>-<n>``.

    Writes ``ledger.task_create``. Raises PermissionDenied (not the office), ValidationError
    (empty title, the lead unit also among the assisting units, a deadline before the meeting)."""
    if not perms.can_manage_ledger(actor):
        raise PermissionDenied
    errors = _task_errors(data)
    if data.deadline < meeting.held_on:
        errors["deadline"] = _("完成时限不能早于会议日期（%(date)s）") % {"date": meeting.held_on}
    if errors:
        raise ValidationError(errors)
    meeting = JointMeeting.objects.select_for_update().get(pk=meeting.pk)
    count = LedgerTask.objects.filter(meeting=meeting).count()
    task = LedgerTask(
        campaign_id=meeting.campaign_id,
        code=f"H{meeting.number}-{count + 1}",
        sort_order=10000 + meeting.number * 100 + count + 1,
        source=LedgerTask.Source.MEETING,
        meeting=meeting,
    )
    for name in TaskInput.FIELDS:
        setattr(task, name, getattr(data, name))
    task.title = task.title.strip()
    task.save()
    task.assisting_units.set(data.assisting_units)
    audit_record(
        actor=actor,
        action="ledger.task_create",
        obj=task,
        to_state=task.status,
        changes={"meeting": str(meeting), **_describe_task(task, data.assisting_units)},
    )
    return task


@transaction.atomic
def ledger_task_update(
    *, task: LedgerTask, data: TaskInput, reason: str = "", actor: User
) -> LedgerTask:
    """Change a task's content, units, leader or deadline (the office; plan tasks included).

    Writes ``ledger.task_update`` with the changed fields, old and new. Raises PermissionDenied
    (not the office), ValidationError (as for create; a moved deadline needs a reason)."""
    if not perms.can_manage_ledger(actor):
        raise PermissionDenied
    task = _lock(task)
    errors = _task_errors(data)
    if data.deadline != task.deadline and not reason.strip():
        errors["reason"] = _("调整完成时限须说明理由")
    if task.meeting_id is not None and data.deadline < task.meeting.held_on:
        errors["deadline"] = _("完成时限不能早于会议日期（%(date)s）") % {
            "date": task.meeting.held_on
        }
    if errors:
        raise ValidationError(errors)
    before = _describe_task(task, task.assisting_units.all())
    for name in TaskInput.FIELDS:
        setattr(task, name, getattr(data, name))
    task.title = task.title.strip()
    after = _describe_task(task, data.assisting_units)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    if not changes:
        return task
    task.save()
    task.assisting_units.set(data.assisting_units)
    audit_record(
        actor=actor, action="ledger.task_update", obj=task, changes=changes, reason=reason.strip()
    )
    return task


@transaction.atomic
def ledger_note_create(
    *,
    task: LedgerTask,
    text: str,
    percent: int | None = None,
    reported_on: datetime.date | None = None,
    actor: User,
) -> LedgerProgressNote:
    """A unit's progress report on an open task; updates the task's latest percentage and date.

    ``reported_on`` defaults to today. Writes ``ledger.note_create``. Raises PermissionDenied
    (not a clerk of the lead or an assisting unit), RuleViolation (the task is done),
    ValidationError (empty text, percent outside 0–100, a date in the future)."""
    assisting = set(task.assisting_units.values_list("pk", flat=True))
    if not perms.is_unit_clerk(actor, task, assisting):
        raise PermissionDenied
    task = _lock(task)
    if task.status != Status.OPEN:
        raise RuleViolation(_("该任务已完成，不能再报告进展"), code="done")
    reported_on = reported_on or clock.today()
    errors = {}
    if not text.strip():
        errors["text"] = _("请填写进展情况")
    if percent is not None and not 0 <= percent <= 100:
        errors["percent"] = _("完成进度应在0到100之间")
    if reported_on > clock.today():
        errors["reported_on"] = _("报告日期不能晚于今天")
    if errors:
        raise ValidationError(errors)
    note = LedgerProgressNote.objects.create(
        task=task,
        department_id=actor.department_id,
        author=actor,
        reported_on=reported_on,
        text=text.strip(),
        percent=percent,
    )
    # The latest report wins; an older date typed late does not overwrite a newer one.
    if task.last_reported_on is None or reported_on >= task.last_reported_on:
        task.last_reported_on = reported_on
        if percent is not None:
            task.progress_percent = percent
        task.save(update_fields=["last_reported_on", "progress_percent", "updated_at"])
    audit_record(
        actor=actor,
        action="ledger.note_create",
        obj=task,
        changes={
            "department": actor.department.short_name if actor.department else "",
            "reported_on": reported_on.isoformat(),
            "percent": "" if percent is None else str(percent),
            "text": note.text,
        },
    )
    return note


@transaction.atomic
def ledger_task_complete(
    *, task: LedgerTask, completed_on: datetime.date | None = None, note: str = "", actor: User
) -> LedgerTask:
    """The lead unit declares the task done on ``completed_on`` (default today).

    Sets the latest percentage to 100. Writes ``ledger.task_complete`` (open → done). Raises
    PermissionDenied (not a clerk of the lead unit), RuleViolation (already done),
    ValidationError (a completion date in the future)."""
    if not perms.is_lead_clerk(actor, task):
        raise PermissionDenied
    task = _lock(task)
    if Status.DONE not in LedgerTask.TRANSITIONS[task.status]:
        raise RuleViolation(_("该任务已完成"), code="transition")
    completed_on = completed_on or clock.today()
    _not_in_future(completed_on, "completed_on", _("完成日期"))
    task.status = Status.DONE
    task.completed_on = completed_on
    task.completed_by = actor
    task.progress_percent = 100
    task.last_reported_on = max(completed_on, task.last_reported_on or completed_on)
    task.save()
    audit_record(
        actor=actor,
        action="ledger.task_complete",
        obj=task,
        from_state=Status.OPEN,
        to_state=Status.DONE,
        changes={
            "completed_on": completed_on.isoformat(),
            "late": completed_on > task.deadline,
        },
        reason=note.strip(),
    )
    return task


@transaction.atomic
def ledger_task_reopen(*, task: LedgerTask, reason: str, actor: User) -> LedgerTask:
    """The office sends a completed task back to open (the work is not in fact done).

    Writes ``ledger.task_reopen`` (done → open) with the reason. Raises PermissionDenied (not the
    office), RuleViolation (the task is open), ValidationError (no reason)."""
    if not perms.can_manage_ledger(actor):
        raise PermissionDenied
    task = _lock(task)
    if Status.OPEN not in LedgerTask.TRANSITIONS[task.status]:
        raise RuleViolation(_("该任务尚未完成，无需退回"), code="transition")
    if not reason.strip():
        raise ValidationError({"reason": _("请说明退回理由")})
    previous = task.completed_on
    task.status = Status.OPEN
    task.completed_on = None
    task.completed_by = None
    task.save()
    audit_record(
        actor=actor,
        action="ledger.task_reopen",
        obj=task,
        from_state=Status.DONE,
        to_state=Status.OPEN,
        changes={"completed_on": [previous.isoformat() if previous else "", ""]},
        reason=reason.strip(),
    )
    return task


# --------------------------------------------------------------------------------------------
# The plan's own tasks (load_plan section "ledger_tasks")
# --------------------------------------------------------------------------------------------


def load_ledger_tasks(*, campaign: Campaign, data: dict, result) -> None:
    """Create the plan's tasks on the first load; later loads refresh only the plan's wording
    (title, requirements, order). Lead unit, assisting units, leader and deadline are the
    office's to keep once the task exists (changed through ``ledger_task_update``, audited), so a
    reload never undoes them. Idempotent: a second load writes nothing."""
    from training.services.plan import upsert

    raw_tasks = data.get("ledger_tasks", [])
    if not raw_tasks:
        return
    departments = {d.code: d for d in Department.objects.all()}
    for raw in raw_tasks:
        unknown = {raw["lead"], *raw.get("assisting", [])} - set(departments)
        if unknown:
            raise ValueError(f"ledger task {raw['code']}: unknown departments {sorted(unknown)}")
    for order, raw in enumerate(raw_tasks, start=1):
        lookup = {"campaign": campaign, "code": raw["code"]}
        wording = {
            "title": raw["title"],
            "requirements": raw.get("requirements", ""),
            "sort_order": order,
        }
        if LedgerTask.objects.filter(**lookup).exists():
            _, c, u = upsert(LedgerTask, lookup, wording)
        else:
            task = LedgerTask.objects.create(
                **lookup,
                **wording,
                lead_unit=departments[raw["lead"]],
                leader=raw.get("leader", ""),
                deadline=raw["deadline"],
                source=LedgerTask.Source.PLAN,
            )
            task.assisting_units.set([departments[code] for code in raw.get("assisting", [])])
            c, u = True, False
        result.count("ledger_tasks", created=c, updated=u)


# --------------------------------------------------------------------------------------------
# Registration (called from training.apps.TrainingConfig.ready)
# --------------------------------------------------------------------------------------------


def register_extensions() -> None:
    """Plan sections ``ledger_tasks`` and ``facility_targets`` for ``load_plan``, and the home-page
    panels of the ledger (overdue tasks) and of the 1688 programme (progress per target)."""
    from dashboard.panels import register_panel
    from training.selectors import facilities as facility_selectors
    from training.selectors import ledger as ledger_selectors
    from training.services.facilities import load_facility_targets
    from training.services.plan import register_plan_section

    register_plan_section("ledger_tasks", load_ledger_tasks)
    register_plan_section("facility_targets", load_facility_targets)
    register_panel(
        "ledger_overdue",
        title=_("工作台帐 · 逾期任务"),
        template="training/ledger/_home_panel.html",
        roles={Role.OFFICE, Role.AUDITOR, Role.CLERK},
        context=ledger_selectors.ledger_home_panel,
        order=40,
    )
    register_panel(
        "facilities_1688",
        title=_("“1688建设工程”进度"),
        template="training/facilities/_home_panel.html",
        roles={Role.OFFICE, Role.AUDITOR},
        context=facility_selectors.facility_home_panel,
        order=45,
    )
