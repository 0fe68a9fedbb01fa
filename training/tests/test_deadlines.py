"""Deadline boundaries with frozen time (Asia/Shanghai): due day 23:59:59 on time, +1 s late,
lock day passed closed, unlock expiry passed closed again."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core.errors import RuleViolation
from core.roles import Role
from core.tests.factories import user_with_role
from training import deadlines
from training.models import MonthlyReturn
from training.services import returns as svc
from training.tests.factories import clerk_of, lines_for

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MAY = datetime.date(2014, 5, 1)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


def _save_and_submit(plan, clerk, month=MAY):
    ret = svc.return_save(
        campaign=plan,
        department=clerk.department,
        month=month,
        lines=lines_for(plan, clerk.department.code, trained=10, passed=8),
        version=0,
        actor=clerk,
    )
    return svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)


def test_window_is_computed_from_campaign_days(plan):
    window = deadlines.window_for(plan, MAY)
    assert window.opens_at == at(2014, 6, 1)
    assert window.due_at == at(2014, 6, 4)
    assert window.locks_at == at(2014, 6, 11)
    assert window.due_date == datetime.date(2014, 6, 3)


def test_window_follows_a_changed_due_day(plan):
    plan.due_day, plan.lock_day = 5, 15
    window = deadlines.window_for(plan, MAY)
    assert window.due_at == at(2014, 6, 6)
    assert window.locks_at == at(2014, 6, 16)


def test_submitted_at_23_59_59_on_due_day_is_on_time(plan):
    clerk = clerk_of("rsj")
    with time_machine.travel(at(2014, 6, 3, 23, 59, 59), tick=False):
        ret = _save_and_submit(plan, clerk)
    assert ret.status == MonthlyReturn.Status.SUBMITTED
    assert ret.is_late is False


def test_submitted_one_second_after_due_day_is_late(plan):
    clerk = clerk_of("rsj")
    with time_machine.travel(at(2014, 6, 4, 0, 0, 0), tick=False):
        ret = _save_and_submit(plan, clerk)
    assert ret.is_late is True


def test_return_cannot_be_entered_before_the_month_ends(plan):
    clerk = clerk_of("rsj")
    with (
        time_machine.travel(at(2014, 5, 31, 23, 59, 59), tick=False),
        pytest.raises(RuleViolation, match="本月尚未结束"),
    ):
        _save_and_submit(plan, clerk)


def test_lock_day_last_second_still_open_then_closed(plan):
    clerk = clerk_of("rsj")
    with time_machine.travel(at(2014, 6, 10, 23, 59, 59), tick=False):
        _save_and_submit(plan, clerk)
    other = clerk_of("gxj")
    with (
        time_machine.travel(at(2014, 6, 11, 0, 0, 0), tick=False),
        pytest.raises(RuleViolation, match="已过锁定日期"),
    ):
        _save_and_submit(plan, other)
    assert not MonthlyReturn.objects.filter(department=other.department).exists()


def test_unlock_reopens_until_expiry_then_closes_again(plan):
    clerk = clerk_of("gxj")
    office = user_with_role(Role.OFFICE)
    with time_machine.travel(at(2014, 6, 20, 9), tick=False):
        svc.unlock_grant(
            campaign=plan,
            department=clerk.department,
            month=MAY,
            reason="系统故障补报",
            expires_at=at(2014, 6, 21, 12),
            actor=office,
        )
    with time_machine.travel(at(2014, 6, 21, 12, 0, 0), tick=False):
        ret = svc.return_save(
            campaign=plan,
            department=clerk.department,
            month=MAY,
            lines=lines_for(plan, "gxj", trained=5),
            version=0,
            actor=clerk,
        )
    with (
        time_machine.travel(at(2014, 6, 21, 12, 0, 1), tick=False),
        pytest.raises(RuleViolation, match="已过锁定日期"),
    ):
        svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)
    with time_machine.travel(at(2014, 6, 21, 12, 0, 1), tick=False):
        assert svc.unlocks_close_expired() == 1
        assert svc.unlocks_close_expired() == 0


def test_unlock_needs_reason_and_future_expiry(plan):
    office = user_with_role(Role.OFFICE)
    clerk = clerk_of("gxj")
    with time_machine.travel(at(2014, 6, 20, 9), tick=False), pytest.raises(ValidationError) as exc:
        svc.unlock_grant(
            campaign=plan,
            department=clerk.department,
            month=MAY,
            reason=" ",
            expires_at=at(2014, 6, 20, 8),
            actor=office,
        )
    assert set(exc.value.message_dict) == {"reason", "expires_at"}


def test_current_reporting_month_is_last_month_clipped_to_the_campaign(plan):
    assert deadlines.current_reporting_month(plan, at(2014, 7, 2)) == datetime.date(2014, 6, 1)
    assert deadlines.current_reporting_month(plan, at(2013, 1, 15)) is None
    assert deadlines.current_reporting_month(plan, at(2026, 11, 26)) == datetime.date(2014, 12, 1)
