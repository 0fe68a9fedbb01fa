"""Double submissions of pilot writes, with real threads on PostgreSQL: N threads released by a
barrier ask for the same "双一" exception, record the same pass, or decide the same request —
exactly one wins each time, the rest are refused with a rule, and nothing is duplicated."""

import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection

from appraisal.models import (
    Certificate,
    DualOneException,
    EnterpriseEvaluation,
    Level,
)
from appraisal.services import pilots as svc
from appraisal.tests.test_pilots_support import (
    D,
    at,
    ensure_level_rules,
    enterprise_institution,
    make_certificate,
    make_pilot,
    make_worker,
    occupation,
    reviewer,
    staff_of,
)
from core.errors import RuleViolation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def level_rules(db):
    ensure_level_rules()


THREADS = 8


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL row locks and concurrent writers")


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 6, 15, 10), tick=False)


@dataclass
class Outcome:
    result: object = None
    error: BaseException | None = None


def race(n: int, act: Callable[[int], object]) -> list[Outcome]:
    barrier = threading.Barrier(n)
    outcomes = [Outcome() for _ in range(n)]

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=20)
            outcomes[i].result = act(i)
        except BaseException as exc:  # every failure is inspected by the test
            outcomes[i].error = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return outcomes


def one_winner(outcomes: list[Outcome]) -> None:
    winners = [o for o in outcomes if o.error is None]
    assert len(winners) == 1, [repr(o.error) for o in outcomes]
    assert all(isinstance(o.error, RuleViolation) for o in outcomes if o.error is not None), [
        repr(o.error) for o in outcomes
    ]


@pytest.fixture
def world(plan):
    institution = enterprise_institution()
    return {
        "pilots": [make_pilot(institution=institution) for _ in range(2)],
        "staff": staff_of(institution),
    }


def test_the_same_exception_asked_for_at_once_is_created_once(world):
    worker = make_worker()
    data = svc.ExceptionInput(
        worker=worker,
        occupation=occupation(),
        level=Level.TECHNICIAN,
        kind=DualOneException.Kind.SKIP_LEVEL,
        front_line_post="一线",
        performance="一流",
        justification="理由",
    )
    outcomes = race(
        THREADS,
        lambda i: svc.exception_request(
            pilot=world["pilots"][i % 2], data=data, actor=world["staff"]
        ),
    )
    one_winner(outcomes)
    assert DualOneException.objects.filter(worker=worker).count() == 1


def test_the_same_pass_recorded_at_once_issues_one_certificate(world):
    worker = make_worker()
    make_certificate(worker, occupation(), Level.SENIOR)
    data = svc.EvaluationInput(
        worker=worker,
        occupation=occupation(),
        level=Level.TECHNICIAN,
        result="passed",
        evaluated_on=D(2014, 6, 1),
        years_in_trade=6,
    )
    outcomes = race(
        THREADS,
        lambda i: svc.evaluation_record(
            pilot=world["pilots"][i % 2], data=data, actor=world["staff"]
        ),
    )
    one_winner(outcomes)
    assert EnterpriseEvaluation.objects.filter(worker=worker).count() == 1
    assert Certificate.objects.filter(worker=worker, level=Level.TECHNICIAN).count() == 1


def test_two_reviewers_deciding_at_once_make_one_decision(world):
    exception = svc.exception_request(
        pilot=world["pilots"][0],
        data=svc.ExceptionInput(
            worker=make_worker(),
            occupation=occupation(),
            level=Level.TECHNICIAN,
            kind=DualOneException.Kind.OUT_OF_TURN,
            front_line_post="一线",
            performance="一流",
            justification="理由",
        ),
        actor=world["staff"],
    )
    deciders = [reviewer() for _ in range(THREADS)]

    def decide(i: int):
        if i % 2:
            return svc.exception_approve(exception=exception, actor=deciders[i])
        return svc.exception_refuse(exception=exception, reason="不足", actor=deciders[i])

    outcomes = race(THREADS, decide)
    one_winner(outcomes)
    exception.refresh_from_db()
    winner = next(o.result for o in outcomes if o.error is None)
    assert (exception.status, exception.decided_by_id) == (winner.status, winner.decided_by_id)
