"""Builders and fixtures shared by the ledger and "1688" tests (imported by them)."""

import datetime
import zoneinfo

import pytest

from core.models import County, Department
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import Facility, FacilityTarget, LedgerTask
from training.services import facilities as facility_services
from training.services import ledger as services

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2014, 3, 3)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


def test_support_module_has_no_tests_of_its_own():
    """(pytest collects this module by its name; the builders are exercised everywhere.)"""


@pytest.fixture(name="frozen")
def frozen_fixture(time_machine):
    time_machine.move_to(at(2014, 3, 3, 10), tick=False)
    return time_machine


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def dept(code: str) -> Department:
    return Department.objects.get(code=code)


def clerk(code: str, **kwargs):
    return user_with_role(Role.CLERK, department=dept(code), **kwargs)


def office_user(**kwargs):
    return user_with_role(Role.OFFICE, department=dept("office"), **kwargs)


def plan_task(plan, code: str = "4.2.2") -> LedgerTask:
    """4.2.2 “三定”培训: lead 市人社局, assisting 市教育局 and 市工信局, deadline 2014-09-30."""
    return LedgerTask.objects.get(campaign=plan, code=code)


def close_plan_phase_one(plan) -> None:
    """Mark 3.1 (drafting the plan, due 2013-07-31) done in time, so that in March 2014 only the
    tasks a test makes are overdue."""
    LedgerTask.objects.filter(campaign=plan, code="3.1").update(
        status=LedgerTask.Status.DONE, completed_on=datetime.date(2013, 7, 30)
    )


def meeting(plan, actor, *, held_on=TODAY, **kwargs):
    data = services.MeetingInput(
        held_on=held_on,
        place=kwargs.pop("place", "市政府第一会议室"),
        chair=kwargs.pop("chair", "李副市长"),
        decisions=kwargs.pop("decisions", "一、加快推进“1688建设工程”。"),
        attendee_units=kwargs.pop("attendee_units", [dept("rsj"), dept("gxj")]),
        attendees_other=kwargs.pop("attendees_other", ""),
    )
    return services.meeting_create(campaign=plan, data=data, actor=actor)


def task_input(**kwargs) -> services.TaskInput:
    values = {
        "title": "报送县办技工学校建设进度",
        "requirements": "每月底前报送",
        "lead_unit": dept("rsj"),
        "assisting_units": [dept("czj")],
        "leader": "张局长",
        "deadline": datetime.date(2014, 3, 31),
    }
    values.update(kwargs)
    return services.TaskInput(**values)


def meeting_task(plan, actor, **kwargs) -> LedgerTask:
    m = kwargs.pop("meeting", None) or meeting(plan, actor)
    return services.ledger_task_create(meeting=m, data=task_input(**kwargs), actor=actor)


def target(plan, kind: str = "service_centre") -> FacilityTarget:
    return FacilityTarget.objects.get(campaign=plan, kind=kind)


def county(code: str = "yuzhou") -> County:
    return County.objects.get(code=code)


def facility(plan, actor, *, kind="service_centre", name="禹州市就业培训服务中心", **kwargs):
    data = facility_services.FacilityInput(
        name=name,
        county=kwargs.pop("county", None) or county(),
        planned_on=kwargs.pop("planned_on", datetime.date(2013, 9, 1)),
    )
    return facility_services.facility_create(target=target(plan, kind), data=data, actor=actor)


def bulk_facilities(plan, kind: str, status: str, count: int, *, prefix: str = "项目") -> None:
    """Rows straight into the table (the status dates filled consistently), for counting tests."""
    dates = {
        "planned_on": datetime.date(2013, 9, 1),
        "construction_started_on": None,
        "completed_on": None,
        "accepted_on": None,
    }
    order = list(Facility.Status.values)
    for value in order[1 : order.index(status) + 1]:
        dates[Facility.DATE_FIELDS[value]] = datetime.date(2013, 9 + order.index(value), 1)
    tgt = target(plan, kind)
    start = Facility.objects.filter(target=tgt).count()
    Facility.objects.bulk_create(
        Facility(target=tgt, name=f"{prefix}{start + i}", county=county(), status=status, **dates)
        for i in range(count)
    )
