"""Shared fixtures and builders for the class tests (test_classes_*.py).

Fixtures here are imported by name into each test module. Workers and enrollments are made with
the ORM (the roster import is tested on its own); classes go through the services.

Every test starts on 2014-03-03 10:00 in Xuchang; the standard class runs 2014-03-10 to
2014-03-21 (12 days) with 10 planned sessions.
"""

import datetime
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.crypto import encrypt, keyed_hash
from core.models import Department
from core.roles import Role
from core.tests.factories import user_with_role
from core.validators import make_resident_id, mask_resident_id
from training.models import (
    Enrollment,
    Institution,
    Occupation,
    TrainingCategory,
    TrainingClass,
    Worker,
)
from training.services import classes as svc

SH = ZoneInfo("Asia/Shanghai")
START = datetime.date(2014, 3, 10)
END = datetime.date(2014, 3, 21)
HOME = "许昌技师学院"  # 魏都区
OTHER = "许昌陶瓷职业学院"  # 禹州市

_serial = itertools.count(1)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


def test_support_module_has_no_tests_of_its_own():
    """(pytest collects this module by its name; the builders are exercised everywhere.)"""


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True, name="frozen")
def frozen_fixture(time_machine):
    time_machine.move_to(at(2014, 3, 3, 10), tick=False)
    return time_machine


def institution(name: str = HOME) -> Institution:
    return Institution.objects.get(name=name)


def staff_of(name: str = HOME, **kwargs):
    return user_with_role(Role.INSTITUTION, institution=institution(name), **kwargs)


def department_user(role: Role, code: str, **kwargs):
    return user_with_role(role, department=Department.objects.get(code=code), **kwargs)


def category(plan, number: int = 2) -> TrainingCategory:
    """Category 2 (下岗失业人员培训) belongs to 市人社局 (rsj)."""
    return TrainingCategory.objects.get(campaign=plan, number=number)


def occupation(code: str = "ZY001") -> Occupation:
    return Occupation.objects.get(code=code)


def pdf(name: str = "审批表.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%test\n", content_type="application/pdf")


def class_input(plan, **overrides) -> svc.ClassInput:
    values = {
        "name": "电工培训班",
        "category": category(plan),
        "occupation": occupation(),
        "kind": TrainingClass.Kind.EMPLOYMENT,
        "start_date": START,
        "end_date": END,
        "planned_sessions": 10,
        "capacity": 30,
        "teachers": "张老师、李老师",
    }
    values.update(overrides)
    return svc.ClassInput(**values)


def make_class(plan, actor=None, *, files: bool = True, **overrides) -> TrainingClass:
    actor = actor or staff_of()
    return svc.class_create(
        campaign=plan,
        institution=actor.institution,
        data=class_input(plan, **overrides),
        approval_form=pdf() if files else None,
        teaching_plan=pdf("教学计划.pdf") if files else None,
        actor=actor,
    )


def make_worker(name: str | None = None) -> Worker:
    n = next(_serial)
    number = make_resident_id(f"41100219900101{n % 1000:03d}")
    while Worker.objects.filter(id_number_hash=keyed_hash(number)).exists():
        n = next(_serial)
        number = make_resident_id(f"41100219900101{n % 1000:03d}")
    return Worker.objects.create(
        id_number_hash=keyed_hash(number),
        id_number_encrypted=encrypt(number),
        id_number_masked=mask_resident_id(number),
        name=name or f"学员{n}",
        sex=Worker.Sex.MALE if int(number[16]) % 2 else Worker.Sex.FEMALE,
        birth_date=datetime.date(1990, 1, 1),
        household=Worker.Household.RURAL,
        education=Worker.Education.JUNIOR,
    )


def enroll(training_class: TrainingClass, count: int) -> list[Enrollment]:
    return [
        Enrollment.objects.create(
            campaign=training_class.campaign,
            training_class=training_class,
            worker=make_worker(),
            subsidised=training_class.subsidised,
        )
        for _ in range(count)
    ]


def rsj_clerk():
    return department_user(Role.CLERK, "rsj")


def approved_class(plan, actor=None, *, trainees: int = 3, approver=None, **overrides):
    """A class with ``trainees`` enrolled, submitted and approved by a 市人社局 clerk."""
    actor = actor or staff_of()
    training_class = make_class(plan, actor, **overrides)
    enroll(training_class, trainees)
    svc.class_submit(training_class=training_class, actor=actor)
    return svc.class_approve(training_class=training_class, actor=approver or rsj_clerk())
