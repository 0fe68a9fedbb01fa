"""Builders shared by the pilots, inspections, reports and export tests (no tests here).

Rows the tests do not exercise are made directly (the appraisal core's own tests cover its
services); the behaviour under test always goes through our services."""

import datetime
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from appraisal.models import (
    AppraisalBody,
    Certificate,
    LevelRule,
    PilotChecklistItem,
    PilotEnterprise,
    Registration,
    Sitting,
)
from core import crypto
from core.models import County, Department
from core.roles import Role
from core.tests.factories import user_with_role
from core.validators import make_resident_id, mask_resident_id
from training.models import Institution, Occupation, Worker

SH = ZoneInfo("Asia/Shanghai")
D = datetime.date
_seq = itertools.count(1)
PDF = b"%PDF-1.4\n%test\n"
DESIGNATED = D(2013, 9, 1)
READY = D(2013, 10, 1)


# The level rules the appraisal migration seeds (level, lower certificate, completed class, years).
# A transactional test empties every table, and a reused test database keeps it so; tests that
# rely on the rules make sure of them rather than trust the migration's rows to be there.
DEFAULT_LEVEL_RULES = (
    (5, False, True, 0),
    (4, True, False, 2),
    (3, True, False, 3),
    (2, True, False, 4),
    (1, True, False, 3),
)


def ensure_level_rules() -> None:
    for level, lower, completed_class, years in DEFAULT_LEVEL_RULES:
        LevelRule.objects.get_or_create(
            level=level,
            defaults={
                "requires_lower_certificate": lower,
                "requires_completed_class": completed_class,
                "min_years_in_trade": years,
            },
        )


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


def occupation(code: str = "ZY017") -> Occupation:
    return Occupation.objects.get(code=code)


def county(code: str = "weidu") -> County:
    return County.objects.get(code=code)


def reviewer(**kwargs):
    return user_with_role(Role.REVIEWER, department=Department.objects.get(code="rsj"), **kwargs)


def office(**kwargs):
    return user_with_role(Role.OFFICE, department=Department.objects.get(code="office"), **kwargs)


def enterprise_institution(name: str | None = None) -> Institution:
    return Institution.objects.create(
        name=name or f"测试企业培训中心{next(_seq)}", kind=Institution.Kind.ENTERPRISE
    )


def staff_of(institution: Institution, **kwargs):
    return user_with_role(Role.INSTITUTION, institution=institution, **kwargs)


def id_number(n: int | None = None, *, birth: str = "19850312") -> str:
    n = next(_seq) if n is None else n
    return make_resident_id(f"411002{birth}{n % 1000:03d}")


def make_worker(name: str | None = None, *, county_obj: County | None = None, number=None):
    n = next(_seq)
    number = number or make_resident_id(f"41100{n % 10}19{n % 90 + 10:02d}0101{n % 1000:03d}")
    return Worker.objects.create(
        id_number_hash=crypto.keyed_hash(number),
        id_number_encrypted=crypto.encrypt(number),
        id_number_masked=mask_resident_id(number),
        name=name or f"职工{n}",
        sex=Worker.Sex.MALE,
        birth_date=D(1985, 1, 1),
        county=county_obj,
        household=Worker.Household.URBAN,
        education=Worker.Education.SENIOR,
    )


def make_certificate(worker, occ, level: int, *, issued_on=None, body=None):
    return Certificate.objects.create(
        number=f"TEST{next(_seq):010d}",
        kind="qualification",
        worker=worker,
        occupation=occ,
        level=level,
        issued_on=issued_on or D(2013, 6, 1),
        body=body,
        issuer_name=body.name if body else "测试发证机构",
    )


def make_pilot(
    *,
    size_class: str = PilotEnterprise.SizeClass.LARGE_STATE,
    institution: Institution | None = None,
    occupations=None,
    designated_on: datetime.date = DESIGNATED,
    ready_on: datetime.date | None = READY,
    name: str | None = None,
) -> PilotEnterprise:
    """A pilot; with ``ready_on`` its four checklist items exist (dated up to that day)."""
    pilot = PilotEnterprise.objects.create(
        name=name or f"测试试点企业{next(_seq)}",
        county=county(),
        size_class=size_class,
        institution=institution,
        designated_on=designated_on,
        ready_on=ready_on,
    )
    pilot.occupations.set(occupations or [occupation()])
    if ready_on is not None:
        uploader = reviewer()
        PilotChecklistItem.objects.bulk_create(
            PilotChecklistItem(
                pilot=pilot,
                item=item,
                document=f"pilots/{pilot.pk}/{item}.pdf",
                effective_on=ready_on,
                uploaded_by=uploader,
            )
            for item in PilotChecklistItem.Item.values
        )
    return pilot


def pdf(name: str = "实施方案.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def make_body(name: str | None = None, county_obj: County | None = None) -> AppraisalBody:
    return AppraisalBody.objects.create(name=name or f"测试鉴定所{next(_seq)}", county=county_obj)


def make_sitting(body, occ, level: int, exam_date: datetime.date, *, actor=None) -> Sitting:
    return Sitting.objects.create(
        body=body,
        occupation=occ,
        level=level,
        exam_date=exam_date,
        place="测试考场",
        capacity=1000,
        created_by=actor or reviewer(),
    )


def make_results(sitting: Sitting, workers, *, passed: int, actor=None) -> list[Registration]:
    """Recorded results in ``sitting``: the first ``passed`` workers pass (with a certificate),
    the rest fail. Written in bulk."""
    actor = actor or sitting.created_by
    recorded = at(sitting.exam_date.year, sitting.exam_date.month, sitting.exam_date.day, 17)
    rows = []
    for index, worker in enumerate(workers):
        ok = index < passed
        rows.append(
            Registration(
                worker=worker,
                occupation=sitting.occupation,
                level=sitting.level,
                channel=Registration.Channel.ONLINE,
                status=Registration.Status.PASSED if ok else Registration.Status.FAILED,
                sitting=sitting,
                theory_score=Decimal("80.0") if ok else Decimal("40.0"),
                practical_score=Decimal("75.0") if ok else Decimal("50.0"),
                result_recorded_at=recorded,
                result_recorded_by=actor,
                registered_by=actor,
            )
        )
    created = Registration.objects.bulk_create(rows)
    Certificate.objects.bulk_create(
        Certificate(
            number=f"XCT{next(_seq):010d}",
            kind="qualification",
            worker_id=r.worker_id,
            occupation_id=r.occupation_id,
            level=r.level,
            issued_on=sitting.exam_date,
            body=sitting.body,
            issuer_name=sitting.body.name,
            registration=r,
        )
        for r in created
        if r.status == Registration.Status.PASSED
    )
    return created
