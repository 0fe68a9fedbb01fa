"""Builders shared by the institutions tests (no tests here). Rows are made directly, in bulk
where volume matters, so the assessment tests can hold a thousand trainees and stay fast."""

import datetime
import itertools
from zoneinfo import ZoneInfo

from core.models import Department
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import (
    Enrollment,
    Inspection,
    Institution,
    Occupation,
    TrainingCategory,
    TrainingClass,
    Worker,
)

SH = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


def office_user(**kwargs):
    return user_with_role(Role.OFFICE, department=Department.objects.get(code="office"), **kwargs)


def staff_of(institution: Institution, **kwargs):
    return user_with_role(Role.INSTITUTION, institution=institution, **kwargs)


def make_institution(name: str | None = None, **kwargs) -> Institution:
    kwargs.setdefault("kind", Institution.Kind.PRIVATE)
    return Institution.objects.create(name=name or f"测试培训学校{next(_seq)}", **kwargs)


def make_workers(count: int) -> list[Worker]:
    workers = []
    for _ in range(count):
        n = next(_seq)
        workers.append(
            Worker(
                id_number_hash=f"test-hash-{n:012d}",
                id_number_encrypted="not-a-real-token",
                id_number_masked="4110**********0000",
                name=f"学员{n}",
                sex=Worker.Sex.MALE,
                birth_date=datetime.date(1990, 1, 1),
                household=Worker.Household.RURAL,
                education=Worker.Education.JUNIOR,
            )
        )
    return Worker.objects.bulk_create(workers)


def make_class(
    institution: Institution,
    *,
    campaign,
    end: datetime.date,
    status: str = TrainingClass.Status.CLOSED,
    planned_sessions: int = 10,
) -> TrainingClass:
    n = next(_seq)
    return TrainingClass.objects.create(
        campaign=campaign,
        code=f"T{n:06d}",
        name=f"测试班{n}",
        institution=institution,
        category=TrainingCategory.objects.filter(campaign=campaign).order_by("number").first(),
        occupation=Occupation.objects.order_by("code").first(),
        kind=TrainingClass.Kind.EMPLOYMENT,
        start_date=end - datetime.timedelta(days=30),
        end_date=end,
        planned_sessions=planned_sessions,
        sessions_held=planned_sessions,
        capacity=2000,
        teachers="张老师",
        status=status,
    )


def enroll(
    training_class: TrainingClass,
    *,
    passed: int = 0,
    failed: int = 0,
    pending: int = 0,
    attended: int | None = None,
) -> list[Enrollment]:
    """Trainees with the given results; each attended ``attended`` sessions (default: all)."""
    results = (
        [Enrollment.Result.PASSED] * passed
        + [Enrollment.Result.FAILED] * failed
        + [Enrollment.Result.PENDING] * pending
    )
    workers = make_workers(len(results))
    sessions = training_class.planned_sessions if attended is None else attended
    return Enrollment.objects.bulk_create(
        Enrollment(
            campaign=training_class.campaign,
            training_class=training_class,
            worker=worker,
            subsidised=False,
            sessions_attended=sessions,
            result=result,
        )
        for worker, result in zip(workers, results, strict=True)
    )


def inspect(training_class: TrainingClass, *verdicts: str, planned: int = 0) -> None:
    """Inspections done with these verdicts, plus ``planned`` ones not done yet."""
    day = training_class.start_date
    rows = []
    for verdict in verdicts:
        day += datetime.timedelta(days=1)
        rows.append(
            Inspection(
                training_class=training_class,
                planned_date=day,
                done_at=at(day.year, day.month, day.day, 10),
                verdict=verdict,
            )
        )
    for _ in range(planned):
        day += datetime.timedelta(days=1)
        rows.append(Inspection(training_class=training_class, planned_date=day))
    Inspection.objects.bulk_create(rows)
