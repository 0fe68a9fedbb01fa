"""The work ledger's services: the plan's tasks loaded, meetings and their follow-up tasks,
progress notes, completion and reopening, and the derived state on a date."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import LedgerProgressNote, LedgerTask
from training.services import ledger as services
from training.services.plan import plan_load
from training.tests.test_ledger_support import (  # noqa: F401 (fixtures)
    TODAY,
    clerk,
    dept,
    frozen_fixture,
    meeting,
    meeting_task,
    office_user,
    plan_task,
    task_input,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

State = LedgerTask.State


# --------------------------------------------------------------------------------------------
# The plan's tasks
# --------------------------------------------------------------------------------------------


def test_plan_load_creates_the_plans_tasks_with_lead_and_assisting_units(plan):
    tasks = LedgerTask.objects.filter(campaign=plan)
    assert tasks.count() == 18
    assert set(tasks.values_list("source", flat=True)) == {LedgerTask.Source.PLAN}
    task = plan_task(plan, "4.3.1")
    assert task.title == "强力推进“1688建设工程”"
    assert task.lead_unit.code == "rsj"
    assert set(task.assisting_units.values_list("code", flat=True)) == {"fgw", "czj", "gtj"}
    assert task.deadline == datetime.date(2014, 12, 31)
    assert plan_task(plan, "5.2").lead_unit.code == "czj"


def test_plan_load_twice_changes_nothing(plan):
    before = list(LedgerTask.objects.order_by("pk").values("pk", "updated_at"))
    result = plan_load()
    assert not result.changed
    assert list(LedgerTask.objects.order_by("pk").values("pk", "updated_at")) == before


def test_plan_reload_keeps_the_offices_changes_to_deadline_and_units(plan):
    office = office_user()
    task = plan_task(plan)
    services.ledger_task_update(
        task=task,
        data=task_input(
            title=task.title,
            requirements=task.requirements,
            lead_unit=dept("jyj"),
            assisting_units=[],
            deadline=datetime.date(2014, 6, 30),
        ),
        reason="联席会议决定提前",
        actor=office,
    )
    plan_load()
    task.refresh_from_db()
    assert task.deadline == datetime.date(2014, 6, 30)
    assert task.lead_unit.code == "jyj"
    assert task.assisting_units.count() == 0


def test_plan_reload_refreshes_a_changed_title(plan):
    task = plan_task(plan)
    LedgerTask.objects.filter(pk=task.pk).update(title="旧标题")
    result = plan_load()
    task.refresh_from_db()
    assert task.title == "开展“三定”培训和校企合作"
    assert result.updated == {"ledger_tasks": 1}


# --------------------------------------------------------------------------------------------
# Derived state
# --------------------------------------------------------------------------------------------


def test_state_is_in_time_on_the_deadline_and_overdue_the_day_after(plan):
    task = meeting_task(plan, office_user(), deadline=datetime.date(2014, 3, 31))
    assert task.state_on(datetime.date(2014, 3, 31)) == State.NOT_STARTED
    assert task.state_on(datetime.date(2014, 4, 1)) == State.OVERDUE
    assert task.days_overdue(datetime.date(2014, 4, 1)) == 1
    assert task.days_overdue(datetime.date(2014, 3, 31)) == 0


def test_state_in_progress_after_a_note_and_done_wins_over_the_deadline(plan):
    task = meeting_task(plan, office_user(), deadline=datetime.date(2014, 3, 31))
    services.ledger_note_create(task=task, text="已部署", actor=clerk("rsj"))
    task.refresh_from_db()
    assert task.state_on(TODAY) == State.IN_PROGRESS
    services.ledger_task_complete(task=task, actor=clerk("rsj"))
    task.refresh_from_db()
    assert task.state_on(datetime.date(2015, 1, 1)) == State.DONE


# --------------------------------------------------------------------------------------------
# Meetings and follow-up tasks
# --------------------------------------------------------------------------------------------


def test_meetings_are_numbered_and_audited(plan):
    office = office_user()
    first = meeting(plan, office)
    second = meeting(plan, office)
    assert (first.number, second.number) == (1, 2)
    assert str(first) == "第1次联席会议（2014-03-03）"
    assert set(first.attendee_units.values_list("code", flat=True)) == {"rsj", "gxj"}
    assert AuditEvent.objects.filter(action="ledger.meeting_create").count() == 2


@pytest.mark.parametrize("role", [Role.CLERK, Role.AUDITOR, Role.REVIEWER])
def test_only_the_office_records_meetings(plan, role):
    with pytest.raises(PermissionDenied):
        meeting(plan, user_with_role(role, department=dept("rsj")))


def test_meeting_date_in_the_future_and_empty_decisions_are_refused(plan):
    with pytest.raises(ValidationError) as exc:
        meeting(plan, office_user(), held_on=TODAY + datetime.timedelta(days=1), decisions=" ")
    assert set(exc.value.message_dict) == {"held_on", "decisions"}


def test_follow_up_tasks_land_in_the_ledger_with_meeting_codes(plan):
    office = office_user()
    m = meeting(plan, office)
    first = services.ledger_task_create(meeting=m, data=task_input(), actor=office)
    second = services.ledger_task_create(meeting=m, data=task_input(title="第二项"), actor=office)
    assert (first.code, second.code) == ("H1-1", "H1-2")
    assert first.source == LedgerTask.Source.MEETING
    assert first.meeting == m
    assert list(first.assisting_units.values_list("code", flat=True)) == ["czj"]
    event = AuditEvent.objects.get(action="ledger.task_create", object_id=str(first.pk))
    assert event.changes["lead_unit"] == "市人社局"
    assert event.changes["deadline"] == "2014-03-31"


def test_task_lead_unit_cannot_also_assist(plan):
    office = office_user()
    with pytest.raises(ValidationError) as exc:
        meeting_task(plan, office, assisting_units=[dept("rsj")])
    assert "不能同时是协办单位" in exc.value.message_dict["assisting_units"][0]


def test_task_deadline_before_the_meeting_is_refused_and_on_the_day_accepted(plan):
    office = office_user()
    m = meeting(plan, office)
    with pytest.raises(ValidationError) as exc:
        services.ledger_task_create(
            meeting=m, data=task_input(deadline=TODAY - datetime.timedelta(days=1)), actor=office
        )
    assert "deadline" in exc.value.message_dict
    task = services.ledger_task_create(meeting=m, data=task_input(deadline=TODAY), actor=office)
    assert task.deadline == TODAY


def test_clerk_may_not_create_tasks(plan):
    m = meeting(plan, office_user())
    with pytest.raises(PermissionDenied):
        services.ledger_task_create(meeting=m, data=task_input(), actor=clerk("rsj"))


def test_moving_a_deadline_needs_a_reason_and_is_audited_old_and_new(plan):
    office = office_user()
    task = meeting_task(plan, office)
    moved = task_input(deadline=datetime.date(2014, 4, 30))
    with pytest.raises(ValidationError) as exc:
        services.ledger_task_update(task=task, data=moved, actor=office)
    assert "reason" in exc.value.message_dict
    services.ledger_task_update(task=task, data=moved, reason="资金未到位", actor=office)
    event = AuditEvent.objects.get(action="ledger.task_update")
    assert event.changes == {"deadline": ["2014-03-31", "2014-04-30"]}
    assert event.reason == "资金未到位"


def test_the_database_refuses_a_meeting_task_without_its_meeting(plan):
    task = meeting_task(plan, office_user())
    with pytest.raises(IntegrityError):
        LedgerTask.objects.filter(pk=task.pk).update(meeting=None)


# --------------------------------------------------------------------------------------------
# Progress notes
# --------------------------------------------------------------------------------------------


def test_lead_and_assisting_clerks_report_progress(plan):
    task = plan_task(plan)  # lead rsj, assisting jyj and gxj
    services.ledger_note_create(task=task, text="已签协议", percent=30, actor=clerk("rsj"))
    services.ledger_note_create(task=task, text="配合开展订单培训", actor=clerk("gxj"))
    task.refresh_from_db()
    assert task.progress_percent == 30  # a note without a percentage keeps the last one
    assert task.last_reported_on == TODAY
    notes = LedgerProgressNote.objects.filter(task=task)
    assert set(notes.values_list("department__code", flat=True)) == {"rsj", "gxj"}
    assert AuditEvent.objects.filter(action="ledger.note_create").count() == 2


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: clerk("nyj"),  # a unit with no part in 4.2.2
        lambda: office_user(),
        lambda: user_with_role(Role.AUDITOR),
        lambda: user_with_role(Role.REVIEWER, department=dept("rsj")),
    ],
    ids=["other_department_clerk", "office", "auditor", "reviewer_of_lead_unit"],
)
def test_others_may_not_report_progress(plan, make_user):
    with pytest.raises(PermissionDenied):
        services.ledger_note_create(task=plan_task(plan), text="x", actor=make_user())


@pytest.mark.parametrize(("percent", "ok"), [(-1, False), (0, True), (100, True), (101, False)])
def test_progress_percent_bounds(plan, percent, ok):
    task = plan_task(plan)
    if ok:
        services.ledger_note_create(task=task, text="进展", percent=percent, actor=clerk("rsj"))
        task.refresh_from_db()
        assert task.progress_percent == percent
    else:
        with pytest.raises(ValidationError) as exc:
            services.ledger_note_create(task=task, text="进展", percent=percent, actor=clerk("rsj"))
        assert "percent" in exc.value.message_dict


def test_note_dated_tomorrow_is_refused_today_accepted(plan):
    task = plan_task(plan)
    with pytest.raises(ValidationError) as exc:
        services.ledger_note_create(
            task=task, text="x", reported_on=TODAY + datetime.timedelta(days=1), actor=clerk("rsj")
        )
    assert "reported_on" in exc.value.message_dict
    services.ledger_note_create(task=task, text="x", reported_on=TODAY, actor=clerk("rsj"))


def test_an_older_note_typed_late_does_not_replace_the_latest_percentage(plan):
    task = plan_task(plan)
    rsj = clerk("rsj")
    services.ledger_note_create(task=task, text="新", percent=60, actor=rsj)
    services.ledger_note_create(
        task=task, text="补录", percent=20, reported_on=datetime.date(2014, 2, 1), actor=rsj
    )
    task.refresh_from_db()
    assert (task.progress_percent, task.last_reported_on) == (60, TODAY)


def test_no_notes_on_a_completed_task(plan):
    task = plan_task(plan)
    services.ledger_task_complete(task=task, actor=clerk("rsj"))
    from core.errors import RuleViolation

    with pytest.raises(RuleViolation):
        services.ledger_note_create(task=task, text="x", actor=clerk("gxj"))


def test_the_offices_own_tasks_are_reported_and_completed_by_the_office(plan):
    office = office_user()  # department: 领导小组办公室, the lead unit of 5.3 and 5.4
    task = plan_task(plan, "5.4")
    services.ledger_note_create(task=task, text="已在许昌日报开设专栏", percent=50, actor=office)
    done = services.ledger_task_complete(task=task, actor=office)
    assert done.status == LedgerTask.Status.DONE
    # ...but the office does not report on a unit's task.
    with pytest.raises(PermissionDenied):
        services.ledger_note_create(task=plan_task(plan), text="x", actor=office)


# --------------------------------------------------------------------------------------------
# Completion and reopening
# --------------------------------------------------------------------------------------------


def test_only_the_lead_units_clerk_completes(plan):
    task = plan_task(plan)
    for user in (clerk("gxj"), office_user(), clerk("nyj")):
        with pytest.raises(PermissionDenied):
            services.ledger_task_complete(task=task, actor=user)
    done = services.ledger_task_complete(task=task, actor=clerk("rsj"))
    assert done.status == LedgerTask.Status.DONE
    assert done.completed_on == TODAY
    assert done.progress_percent == 100
    event = AuditEvent.objects.get(action="ledger.task_complete")
    assert (event.from_state, event.to_state) == ("open", "done")
    assert event.changes["late"] is False


def test_completion_after_the_deadline_is_recorded_as_late(plan):
    task = meeting_task(plan, office_user(), deadline=datetime.date(2014, 3, 3))
    rsj = clerk("rsj")
    services.ledger_task_complete(task=task, completed_on=datetime.date(2014, 3, 3), actor=rsj)
    assert AuditEvent.objects.get(action="ledger.task_complete").changes["late"] is False
    earlier = meeting(plan, office_user(), held_on=datetime.date(2014, 3, 1))
    other = meeting_task(plan, office_user(), meeting=earlier, deadline=datetime.date(2014, 3, 2))
    services.ledger_task_complete(task=other, actor=rsj)
    assert (
        AuditEvent.objects.filter(action="ledger.task_complete")
        .order_by("pk")
        .last()
        .changes["late"]
        is True
    )


def test_completion_date_in_the_future_is_refused(plan):
    with pytest.raises(ValidationError):
        services.ledger_task_complete(
            task=plan_task(plan),
            completed_on=TODAY + datetime.timedelta(days=1),
            actor=clerk("rsj"),
        )


def test_completing_twice_is_a_rule_violation(plan):
    from core.errors import RuleViolation

    task = plan_task(plan)
    services.ledger_task_complete(task=task, actor=clerk("rsj"))
    with pytest.raises(RuleViolation):
        services.ledger_task_complete(task=task, actor=clerk("rsj"))


def test_office_reopens_with_a_reason(plan):
    from core.errors import RuleViolation

    task = plan_task(plan)
    office = office_user()
    with pytest.raises(RuleViolation):
        services.ledger_task_reopen(task=task, reason="x", actor=office)
    services.ledger_task_complete(task=task, actor=clerk("rsj"))
    with pytest.raises(ValidationError):
        services.ledger_task_reopen(task=task, reason=" ", actor=office)
    with pytest.raises(PermissionDenied):
        services.ledger_task_reopen(task=task, reason="未完成", actor=clerk("rsj"))
    reopened = services.ledger_task_reopen(task=task, reason="校企合作协议未落实", actor=office)
    assert reopened.status == LedgerTask.Status.OPEN
    assert reopened.completed_on is None
    event = AuditEvent.objects.get(action="ledger.task_reopen")
    assert event.reason == "校企合作协议未落实"
    assert (event.from_state, event.to_state) == ("done", "open")


def test_plan_with_an_unknown_department_is_refused_with_its_code(plan):
    data = {"ledger_tasks": [{"code": "9.9", "title": "x", "lead": "nope", "deadline": TODAY}]}
    from training.services.plan import LoadResult

    with pytest.raises(ValueError, match=r"9\.9.*nope"):
        services.load_ledger_tasks(campaign=plan, data=data, result=LoadResult(campaign=plan))
    assert not LedgerTask.objects.filter(code="9.9").exists()


def test_sql_state_filter_agrees_with_state_on_at_the_boundaries(plan):
    """Every combination (open / reported / done × deadline before, on, after the day) lands in
    the same state through ``LedgerTask.state_on`` and ``selectors.ledger.state_filter``."""
    from training.selectors.ledger import state_filter

    office = office_user()
    m = meeting(plan, office, held_on=datetime.date(2014, 3, 1))
    rsj = clerk("rsj")
    for deadline in (datetime.date(2014, 3, 2), TODAY, datetime.date(2014, 3, 4)):
        meeting_task(plan, office, meeting=m, deadline=deadline)
        reported = meeting_task(plan, office, meeting=m, deadline=deadline)
        services.ledger_note_create(task=reported, text="进展", actor=rsj)
        done = meeting_task(plan, office, meeting=m, deadline=deadline)
        services.ledger_task_complete(task=done, actor=rsj)
    tasks = LedgerTask.objects.filter(meeting=m)
    assert tasks.count() == 9
    for day in (datetime.date(2014, 3, 2), TODAY, datetime.date(2014, 3, 4)):
        for state in State.values:
            by_sql = set(tasks.filter(state_filter(state, day)).values_list("pk", flat=True))
            by_python = {t.pk for t in tasks if t.state_on(day) == state}
            assert by_sql == by_python, (day, state)


def test_moving_a_follow_up_deadline_before_its_meeting_is_refused(plan):
    office = office_user()
    task = meeting_task(plan, office)  # meeting held on TODAY
    with pytest.raises(ValidationError) as exc:
        services.ledger_task_update(
            task=task,
            data=task_input(deadline=TODAY - datetime.timedelta(days=1)),
            reason="提前",
            actor=office,
        )
    assert "完成时限不能早于会议日期" in exc.value.message_dict["deadline"][0]
