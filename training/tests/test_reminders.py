"""Return reminders: on the 1st and on the due day at 09:00 every responsible unit that has not
submitted last month's return gets one reminder (a row on the clerk's home page, a mail to clerks
with an address), once per kind; through the service, the Celery task and a real worker."""

import datetime
import time
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from core.models import AuditEvent, Department
from core.roles import Role
from core.tests.factories import user_with_role
from training import selectors
from training.models import MonthlyReturn, ReturnReminder, TrainingCategory
from training.services import returns as svc
from training.tasks import send_return_reminders
from training.tests.factories import clerk_of, lines_for
from xuchang_skills.celery import app as celery_app

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
JUNE = datetime.date(2014, 6, 1)
FIRST = datetime.datetime(2014, 7, 1, 9, 0, tzinfo=SH)
DUE_DAY = datetime.datetime(2014, 7, 3, 9, 0, tzinfo=SH)
RESPONSIBLE = ["gxj", "rsj", "jyj", "mzj", "nyj", "zgh", "tsw", "flh", "clh"]


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(FIRST, tick=False)
    return time_machine


def submit_june(plan, code: str) -> MonthlyReturn:
    clerk = clerk_of(code)
    ret = svc.return_save(
        campaign=plan,
        department=clerk.department,
        month=JUNE,
        lines=lines_for(plan, code, trained=10, passed=9),
        version=0,
        actor=clerk,
    )
    return svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)


def reminded(kind: str | None = None) -> list[str]:
    qs = ReturnReminder.objects.filter(month=JUNE)
    if kind:
        qs = qs.filter(kind=kind)
    return sorted(qs.values_list("department__code", flat=True))


def test_every_responsible_unit_is_one_that_owns_a_category(plan):
    owners = set(
        TrainingCategory.objects.filter(campaign=plan).values_list("department__code", flat=True)
    )
    assert owners == set(RESPONSIBLE)


def test_on_the_first_at_nine_each_unit_without_a_submitted_return_gets_an_opening_reminder(
    plan, clock
):
    clock.move_to(FIRST - datetime.timedelta(hours=1), tick=False)
    submit_june(plan, "rsj")
    clerk = clerk_of("gxj")
    svc.return_save(  # a draft is not a submission: gxj is still reminded
        campaign=plan,
        department=clerk.department,
        month=JUNE,
        lines=lines_for(plan, "gxj", trained=1),
        version=0,
        actor=clerk,
    )
    clock.move_to(FIRST, tick=False)
    created = svc.reminders_send()
    assert sorted(r.department.code for r in created) == sorted(set(RESPONSIBLE) - {"rsj"})
    assert reminded(ReturnReminder.Kind.OPENING) == sorted(set(RESPONSIBLE) - {"rsj"})
    assert ReturnReminder.objects.exclude(month=JUNE).count() == 0
    assert AuditEvent.objects.filter(action="monthly_return.remind").count() == 8


def test_on_the_due_day_the_reminder_is_a_due_reminder(plan, clock):
    clock.move_to(DUE_DAY, tick=False)
    submit_june(plan, "nyj")
    created = svc.reminders_send()
    assert {r.kind for r in created} == {ReturnReminder.Kind.DUE}
    assert reminded(ReturnReminder.Kind.DUE) == sorted(set(RESPONSIBLE) - {"nyj"})
    assert reminded(ReturnReminder.Kind.OPENING) == []


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2014, 6, 30, 9, 0, tzinfo=SH),
        datetime.datetime(2014, 7, 2, 9, 0, tzinfo=SH),
        datetime.datetime(2014, 7, 4, 9, 0, tzinfo=SH),
        datetime.datetime(2014, 7, 10, 9, 0, tzinfo=SH),
        datetime.datetime(2014, 7, 28, 9, 0, tzinfo=SH),
    ],
    ids=lambda m: f"{m:%m-%d}",
)
def test_on_other_days_nobody_is_reminded(plan, clock, moment, mailoutbox):
    clock.move_to(moment, tick=False)
    assert svc.reminders_send() == []
    assert ReturnReminder.objects.count() == 0
    assert mailoutbox == []


def test_the_due_reminder_follows_the_campaigns_due_day(plan, clock):
    plan.due_day = 5
    plan.save(update_fields=["due_day"])
    clock.move_to(DUE_DAY, tick=False)
    assert svc.reminders_send() == []
    clock.move_to(datetime.datetime(2014, 7, 5, 9, 0, tzinfo=SH), tick=False)
    assert len(svc.reminders_send()) == len(RESPONSIBLE)
    assert reminded(ReturnReminder.Kind.DUE) == sorted(RESPONSIBLE)


def test_before_the_first_reporting_month_has_ended_nobody_is_reminded(plan, clock):
    clock.move_to(datetime.datetime(2013, 1, 1, 9, 0, tzinfo=SH), tick=False)
    assert svc.reminders_send() == []


def test_running_twice_makes_no_second_reminder_and_no_second_mail(plan, clock, mailoutbox):
    clerk_of("zgh", email="zgh@xuchang.invalid")
    first = svc.reminders_send()
    assert len(first) == len(RESPONSIBLE)
    assert len(mailoutbox) == 1
    assert svc.reminders_send() == []
    assert ReturnReminder.objects.count() == len(RESPONSIBLE)
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(action="monthly_return.remind").count() == len(RESPONSIBLE)


def test_opening_and_due_reminders_are_separate_for_the_same_month(plan, clock):
    svc.reminders_send()
    clock.move_to(DUE_DAY, tick=False)
    svc.reminders_send()
    assert ReturnReminder.objects.filter(department__code="clh").count() == 2


def test_a_unit_that_submitted_before_the_due_day_gets_no_due_reminder(plan, clock):
    svc.reminders_send()
    clock.move_to(datetime.datetime(2014, 7, 2, 15, 0, tzinfo=SH), tick=False)
    submit_june(plan, "tsw")
    clock.move_to(DUE_DAY, tick=False)
    svc.reminders_send()
    assert "tsw" in reminded(ReturnReminder.Kind.OPENING)
    assert "tsw" not in reminded(ReturnReminder.Kind.DUE)


def test_clerks_with_an_address_get_a_mail_the_others_none(plan, clock, mailoutbox):
    with_mail = clerk_of("rsj", email="rsj.clerk@xuchang.invalid")
    clerk_of("rsj", email="")
    clerk_of("rsj", email="former@xuchang.invalid", is_active=False)
    user_with_role(
        Role.REVIEWER, department=Department.objects.get(code="rsj"), email="rev@xuchang.invalid"
    )
    clerk_of("gxj", email="")
    svc.reminders_send()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [with_mail.email]
    assert "2014年6月" in mail.subject
    assert Department.objects.get(code="rsj").name in mail.body
    assert "2014年07月03日" in mail.body
    assert ReturnReminder.objects.get(department__code="rsj").emailed_to == 1
    assert ReturnReminder.objects.get(department__code="gxj").emailed_to == 0


def test_every_clerk_of_a_unit_with_an_address_is_a_recipient(plan, clock, mailoutbox):
    clerk_of("flh", email="a@xuchang.invalid")
    clerk_of("flh", email="b@xuchang.invalid")
    svc.reminders_send()
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == ["a@xuchang.invalid", "b@xuchang.invalid"]
    assert ReturnReminder.objects.get(department__code="flh").emailed_to == 2


def test_the_reminder_shows_for_the_clerk_until_the_unit_submits(plan, clock):
    clerk = clerk_of("mzj")
    other = clerk_of("clh")
    office = user_with_role(Role.OFFICE)
    svc.reminders_send()
    shown = list(selectors.reminder_list_for_user(user=clerk, campaign=plan))
    assert [(r.department.code, r.month, r.kind) for r in shown] == [
        ("mzj", JUNE, ReturnReminder.Kind.OPENING)
    ]
    assert [
        r.department.code for r in selectors.reminder_list_for_user(user=other, campaign=plan)
    ] == ["clh"]
    assert not selectors.reminder_list_for_user(user=office, campaign=plan).exists()

    clock.move_to(FIRST + datetime.timedelta(hours=2), tick=False)
    ret = svc.return_save(
        campaign=plan,
        department=clerk.department,
        month=JUNE,
        lines=lines_for(plan, "mzj", trained=3),
        version=0,
        actor=clerk,
    )
    # A draft alone does not answer the reminder.
    assert selectors.reminder_list_for_user(user=clerk, campaign=plan).count() == 1
    svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)
    assert not selectors.reminder_list_for_user(user=clerk, campaign=plan).exists()
    assert selectors.reminder_list_for_user(user=other, campaign=plan).count() == 1


def test_the_task_runs_the_service_and_is_idempotent(plan, clock):
    assert send_return_reminders.delay().get() == len(RESPONSIBLE)
    assert send_return_reminders.delay().get() == 0
    assert ReturnReminder.objects.count() == len(RESPONSIBLE)


def test_the_task_without_an_active_campaign_does_nothing(plan, clock):
    plan.is_active = False
    plan.save(update_fields=["is_active"])
    assert send_return_reminders.delay().get() == 0
    assert ReturnReminder.objects.count() == 0


def test_the_management_command_does_what_the_task_does(plan, clock, capsys):
    call_command("send_reminders")
    assert ReturnReminder.objects.count() == len(RESPONSIBLE)
    assert f"共新建 {len(RESPONSIBLE)} 条提醒" in capsys.readouterr().out


def test_the_beat_schedule_names_tasks_that_exist(plan):
    celery_app.loader.import_default_modules()
    schedule = celery_app.conf.beat_schedule
    entry = schedule["monthly-return-reminders"]
    assert entry["task"] == "training.tasks.send_return_reminders"
    assert entry["schedule"].hour == {9}
    assert entry["schedule"].minute == {0}
    # Every day, so the 1st and whatever due day the campaign sets are covered; the task itself
    # acts only on those days.
    assert {1, plan.due_day} <= entry["schedule"].day_of_month
    for name, item in schedule.items():
        assert item["task"] in celery_app.tasks, f"beat entry {name!r} names a missing task"


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_the_broker_records_the_reminders(plan, time_machine, real_worker):
    # The worker is a thread of this process, so the travelled clock applies to it too; the
    # clock ticks so the broker's own timers keep running.
    time_machine.move_to(FIRST, tick=True)
    send_return_reminders.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if ReturnReminder.objects.count() >= len(RESPONSIBLE):
            break
        time.sleep(0.2)
    assert reminded(ReturnReminder.Kind.OPENING) == sorted(RESPONSIBLE)
