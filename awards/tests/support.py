"""Builders and fixtures of the awards tests. The fixtures are in conftest.py.

Tests stand on 2014-09-10 10:00 in Xuchang: the 2013–2014 cycle's nomination window is
1–30 September 2014. Workers and certificates are made with the ORM (other apps test their own
services); awards objects go through the awards services unless a test needs bulk data.
"""

from __future__ import annotations

import datetime
import itertools
from zoneinfo import ZoneInfo

from appraisal.models import Certificate
from awards import services as svc
from awards.models import AwardKind, Cycle, NominatingUnit, Nomination, Score, ScoreSubmission
from core.crypto import encrypt, keyed_hash
from core.models import Department
from core.roles import Role
from core.tests.factories import user_with_role
from core.validators import make_resident_id, mask_resident_id
from training.models import Occupation, Worker

SH = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2014, 9, 10)
OPENS = datetime.date(2014, 9, 1)
CLOSES = datetime.date(2014, 9, 30)
DEPT = "rsj"  # a responsible department that nominates
OTHER_DEPT = "jyj"

_serial = itertools.count(1)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


def kind(code: str) -> AwardKind:
    return AwardKind.objects.get(code=code)


def expert() -> AwardKind:
    return kind("technical_expert")


def grand() -> AwardKind:
    return kind("grand_prize")


def occupation(code: str = "ZY001") -> Occupation:
    return Occupation.objects.get(code=code)


def unit_of(code: str = DEPT) -> NominatingUnit:
    return NominatingUnit.objects.get(department__code=code)


def county_unit() -> NominatingUnit:
    return NominatingUnit.objects.filter(kind="county").order_by("sort_order").first()


def office():
    return user_with_role(Role.OFFICE)


def clerk(code: str = DEPT):
    return user_with_role(Role.CLERK, department=Department.objects.get(code=code))


def member(name: str | None = None):
    return user_with_role(Role.COMMITTEE, **({"full_name": name} if name else {}))


def make_worker(name: str | None = None, *, level: int | None = None, with_login=False) -> Worker:
    """A worker, with a certificate at ``level`` (issued 2013-06-01) when given."""
    while True:
        n = next(_serial)
        number = make_resident_id(
            f"4110021980{(n // 28) % 12 + 1:02d}{n % 28 + 1:02d}{n % 900 + 100:03d}"
        )
        if not Worker.objects.filter(id_number_hash=keyed_hash(number)).exists():
            break
    worker = Worker.objects.create(
        id_number_hash=keyed_hash(number),
        id_number_encrypted=encrypt(number),
        id_number_masked=mask_resident_id(number),
        name=name or f"张{n}国",
        sex=Worker.Sex.MALE,
        birth_date=datetime.date(1980, 1, 1),
        household=Worker.Household.URBAN,
        education=Worker.Education.SENIOR,
    )
    if with_login:
        worker.user = user_with_role(Role.WORKER)
        worker.save(update_fields=["user"])
    if level is not None:
        give_certificate(worker, level)
    return worker


def give_certificate(worker: Worker, level: int, *, issued_on=datetime.date(2013, 6, 1)):
    return Certificate.objects.create(
        number=f"AWT{next(_serial):010d}",
        kind="qualification",
        worker=worker,
        occupation=occupation(),
        level=level,
        issued_on=issued_on,
        issuer_name="测试发证机构",
    )


def open_cycle(plan, *, members=None, actor=None, opens=OPENS, closes=CLOSES) -> Cycle:
    return svc.cycle_open(
        campaign=plan,
        first_year=2013,
        nomination_opens=opens,
        nomination_closes=closes,
        members=members if members is not None else [member()],
        actor=actor or office(),
    )


def nominate(cycle, worker, *, award=None, unit=None, actor=None, **extra) -> Nomination:
    unit = unit or unit_of()
    actor = actor or (clerk(unit.department.code) if unit.department_id else office())
    data = svc.NominationInput(
        award_kind=award or expert(),
        unit=unit,
        worker=worker,
        occupation=extra.pop("occupation", occupation()),
        employer=extra.pop("employer", "许昌远东传动轴股份有限公司"),
        achievements=extra.pop("achievements", "多次解决关键技术难题，带徒20余人。"),
        document=extra.pop("document", None),
    )
    return svc.nomination_create(cycle=cycle, data=data, actor=actor)


def full_scores(award: AwardKind, value: int) -> dict[str, int]:
    return {c.code: value for c in award.criteria.all()}


def bulk_scored_nominations(cycle: Cycle, award: AwardKind, count: int, scorer) -> list[Nomination]:
    """``count`` submitted nominations with ORM-made scores by ``scorer`` (submitted), for the
    quota tests that need more nominations than a unit's ceiling allows."""
    unit = unit_of()
    office_user = office()
    nominations = []
    for _ in range(count):
        worker = make_worker(level=2)
        nominations.append(
            Nomination.objects.create(
                cycle=cycle,
                award_kind=award,
                unit=unit,
                worker=worker,
                occupation=occupation(),
                employer="测试企业",
                achievements="事迹",
                best_level=2,
                eligibility_basis="持有技师证书",
                nominated_by=office_user,
            )
        )
    criteria = list(award.criteria.all())
    Score.objects.bulk_create(
        [
            Score(nomination=n, member=scorer, criterion=c, value=90 - (i % 50))
            for i, n in enumerate(nominations)
            for c in criteria
        ]
    )
    ScoreSubmission.objects.get_or_create(
        cycle=cycle, member=scorer, defaults={"submitted_at": at(2014, 10, 1, 9)}
    )
    return nominations
