"""Builders and fixtures for the appraisal tests (test_bodies_*, test_registrations_*,
test_results_*, test_certificates_*). Import the fixtures by name into each test module.

Every test starts on 2014-03-03 10:00 in Xuchang, inside the 2013–2014 campaign (the ``plan``
fixture). Workers, classes and enrollments are made with the ORM (training tests their own
services); appraisal objects go through appraisal's services unless a test needs a state the
services would refuse.
"""

import datetime
import io
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from appraisal.models import AppraisalBody, BodyAuthorisation, Level, Registration, Sitting
from appraisal.services import registrations as reg_svc
from appraisal.services import results as res_svc
from core.crypto import decrypt, encrypt, keyed_hash
from core.models import Department
from core.roles import Role
from core.tests.factories import user_with_role
from core.validators import make_resident_id, mask_resident_id
from training.models import (
    Enrollment,
    Institution,
    Occupation,
    RegistrationPoint,
    TrainingCategory,
    TrainingClass,
    Worker,
)

SH = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2014, 3, 3)
EXAM_DAY = datetime.date(2014, 3, 20)
HOME = "许昌技师学院"
OTHER = "许昌陶瓷职业学院"
DEFAULT_OCCUPATION = "ZY001"

_serial = itertools.count(1)
_class_codes = itertools.count(1)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 3, 3, 10), tick=False)
    return time_machine


def occupation(code: str = DEFAULT_OCCUPATION) -> Occupation:
    return Occupation.objects.get(code=code)


def other_occupation() -> Occupation:
    return Occupation.objects.exclude(code=DEFAULT_OCCUPATION).order_by("code").first()


def institution(name: str = HOME) -> Institution:
    return Institution.objects.get(name=name)


# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------


def new_id_number() -> str:
    while True:
        n = next(_serial)
        number = make_resident_id(
            f"4110021990{(n // 900) % 12 + 1:02d}{n % 28 + 1:02d}{n % 900 + 100:03d}"
        )
        if not Worker.objects.filter(id_number_hash=keyed_hash(number)).exists():
            return number


def make_worker(name: str | None = None, *, with_login: bool = False) -> Worker:
    """A worker in the base; ``worker.id_number`` holds the full number for the test."""
    number = new_id_number()
    worker = Worker.objects.create(
        id_number_hash=keyed_hash(number),
        id_number_encrypted=encrypt(number),
        id_number_masked=mask_resident_id(number),
        name=name or f"劳动者{next(_serial)}",
        sex=Worker.Sex.MALE if int(number[16]) % 2 else Worker.Sex.FEMALE,
        birth_date=datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        household=Worker.Household.RURAL,
        education=Worker.Education.JUNIOR,
    )
    if with_login:
        worker.user = user_with_role(Role.WORKER)
        worker.save(update_fields=["user"])
    worker.id_number = number
    return worker


def reviewer(**kwargs):
    return user_with_role(Role.REVIEWER, department=Department.objects.get(code="rsj"), **kwargs)


def office():
    return user_with_role(Role.OFFICE, department=Department.objects.get(code="office"))


def auditor():
    return user_with_role(Role.AUDITOR)


def clerk(code: str = "rsj"):
    return user_with_role(Role.CLERK, department=Department.objects.get(code=code))


def institution_staff(name: str = HOME):
    return user_with_role(Role.INSTITUTION, institution=institution(name))


# --------------------------------------------------------------------------------------------
# Training facts the rule reads
# --------------------------------------------------------------------------------------------


def make_class(plan, *, occ=None, inst=None, status=TrainingClass.Status.CLOSED) -> TrainingClass:
    number = next(_class_codes)
    return TrainingClass.objects.create(
        campaign=plan,
        code=f"JD{number:05d}",
        name=f"鉴定测试班{number}",
        institution=inst or institution(),
        category=TrainingCategory.objects.get(campaign=plan, number=2),
        occupation=occ or occupation(),
        kind=TrainingClass.Kind.EMPLOYMENT,
        start_date=datetime.date(2014, 1, 6),
        end_date=datetime.date(2014, 2, 21),
        planned_sessions=10,
        sessions_held=10,
        capacity=30,
        teachers="张老师",
        status=status,
    )


def enroll(training_class: TrainingClass, worker: Worker, result=Enrollment.Result.PASSED):
    return Enrollment.objects.create(
        campaign=training_class.campaign,
        training_class=training_class,
        worker=worker,
        subsidised=False,
        sessions_attended=10,
        result=result,
    )


def trained_worker(plan, *, occ=None, with_login: bool = True, name: str | None = None):
    """A worker who passed a closed class of the occupation (meets the 初级工 rule)."""
    worker = make_worker(name, with_login=with_login)
    worker.training_class = make_class(plan, occ=occ)
    enroll(worker.training_class, worker)
    return worker


def point(*, inst: Institution | None = None, name: str | None = None) -> RegistrationPoint:
    if inst is not None:
        return RegistrationPoint.objects.create(
            name=name or f"{inst.name}报名点",
            level=RegistrationPoint.Level.INSTITUTION,
            county=inst.county,
            institution=inst,
            address="学院路1号",
        )
    return RegistrationPoint.objects.create(
        name=name or f"市级报名点{next(_serial)}",
        level=RegistrationPoint.Level.CITY,
        address="许昌市人社局大厅",
    )


# --------------------------------------------------------------------------------------------
# Appraisal
# --------------------------------------------------------------------------------------------


def make_body(name: str = "许昌市职业技能鉴定中心", *, staff=(), occ=None, max_level=Level.SENIOR):
    body = AppraisalBody.objects.create(name=name)
    BodyAuthorisation.objects.create(body=body, occupation=occ or occupation(), max_level=max_level)
    body.staff.set(staff)
    return body


def body_with_staff(name: str = "许昌市职业技能鉴定中心", **kwargs):
    user = reviewer()
    return make_body(name, staff=[user], **kwargs), user


def make_sitting(
    body, actor, *, level=Level.JUNIOR, capacity=30, occ=None, exam_date=EXAM_DAY, **extra
) -> Sitting:
    return res_svc.sitting_create(
        body=body,
        data=res_svc.SittingInput(
            occupation=occ or occupation(),
            level=level,
            exam_date=exam_date,
            place="鉴定中心201考场",
            capacity=capacity,
            **extra,
        ),
        actor=actor,
    )


def register_online(worker, *, level=Level.JUNIOR, occ=None, **kwargs) -> Registration:
    return reg_svc.registration_create(
        worker=worker, occupation=occ or occupation(), level=level, actor=worker.user, **kwargs
    )


def scheduled(plan, sitting, actor, count: int = 1, **kwargs) -> list[Registration]:
    """``count`` trained workers registered online and scheduled into ``sitting``."""
    regs = [
        register_online(trained_worker(plan, occ=sitting.occupation), occ=sitting.occupation)
        for _ in range(count)
    ]
    res_svc.sitting_schedule(sitting=sitting, registrations=regs, actor=actor)
    for r in regs:
        r.refresh_from_db(fields=["status", "sitting"])
    return regs


def results_file(rows, *, sheet: str = "成绩", headers=res_svc.RESULTS_HEADERS) -> io.BytesIO:
    """An xlsx with ``rows`` written as given (openpyxl directly, so a test can put a number in
    the ID column or any other thing our own writer never writes)."""
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def result_row(registration, theory="80", practical="75", *, name=None, id_number=None):
    worker = registration.worker
    return [
        registration.code,
        id_number if id_number is not None else full_id(worker),
        name if name is not None else worker.name,
        theory,
        practical,
    ]


def full_id(worker) -> str:
    return decrypt(worker.id_number_encrypted)


D = Decimal
