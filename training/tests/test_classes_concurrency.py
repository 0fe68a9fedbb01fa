"""Class writes under real concurrency (PostgreSQL, threads released together by a barrier):
unique codes, one approval (and one draw of spot checks) per class, no lost attendance counts."""

import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from core.errors import RuleViolation
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import Inspection, TrainingClass
from training.services import classes as svc
from training.tests.test_classes_support import (  # noqa: F401 (fixtures)
    approved_class,
    at,
    enroll,
    frozen_fixture,
    make_class,
    media_root,
    rsj_clerk,
    staff_of,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SH = ZoneInfo("Asia/Shanghai")
THREADS = 6


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL row locks (set DATABASE_URL=postgres://...)")


def race(n: int, act: Callable[[int], object]) -> list[tuple[object, BaseException | None]]:
    barrier = threading.Barrier(n)
    outcomes: list = [(None, None)] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=20)
            outcomes[i] = (act(i), None)
        except BaseException as exc:  # every failure is inspected by the test
            outcomes[i] = (None, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return outcomes


def test_simultaneous_creations_get_distinct_sequential_codes(plan):
    staffs = [staff_of() for _ in range(THREADS)]
    outcomes = race(THREADS, lambda i: make_class(plan, staffs[i], files=False).code)
    assert [error for _code, error in outcomes] == [None] * THREADS
    codes = sorted(code for code, _error in outcomes)
    assert codes == [f"2014-{n:06d}" for n in range(1, THREADS + 1)]


def test_two_approvers_at_once_approve_once_and_draw_once(plan):
    staff = staff_of()
    training_class = make_class(plan, staff)
    enroll(training_class, 2)
    svc.class_submit(training_class=training_class, actor=staff)
    approvers = [rsj_clerk(), user_with_role(Role.REVIEWER)]
    outcomes = race(
        2, lambda i: svc.class_approve(training_class=training_class, actor=approvers[i])
    )
    errors = [error for _result, error in outcomes if error is not None]
    assert len(errors) == 1
    assert isinstance(errors[0], RuleViolation)
    assert Inspection.objects.filter(training_class=training_class).count() == 3
    assert TrainingClass.objects.get(pk=training_class.pk).status == "approved"


def test_simultaneous_session_entries_lose_no_attendance(plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=4)
    ids = list(training_class.enrollments.values_list("pk", flat=True))
    frozen.move_to(at(2014, 3, 21, 18), tick=False)
    outcomes = race(
        THREADS,
        lambda i: svc.attendance_record_session(
            training_class=training_class, session_number=i + 1, present=ids, actor=staff
        ),
    )
    assert [error for _result, error in outcomes] == [None] * THREADS
    attended = set(training_class.enrollments.values_list("sessions_attended", flat=True))
    assert attended == {THREADS}
    assert TrainingClass.objects.get(pk=training_class.pk).sessions_held == THREADS
