"""The award quota under real concurrency (PostgreSQL, threads released together by a barrier):
offices confirming the last places at once never exceed the quota, and a nomination ceiling
holds when a unit's clerks submit at once."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from awards import services as svc
from awards.models import AwardKind, CycleCeiling, Nomination, Winner
from awards.tests.support import (
    bulk_scored_nominations,
    clerk,
    expert,
    grand,
    make_worker,
    member,
    nominate,
    office,
    open_cycle,
    unit_of,
)
from core.errors import RuleViolation
from training.services.plan import plan_load

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 6


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL row locks (set DATABASE_URL=postgres://...)")


@pytest.fixture
def campaign():
    return plan_load().campaign


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


def _reviewing(campaign):
    scorer = member()
    cycle = open_cycle(campaign, members=[scorer])
    nominate(cycle, make_worker(level=2))
    svc.cycle_close_nominations(cycle=cycle, actor=office())
    cycle.refresh_from_db()
    return cycle, scorer


def test_confirming_the_50th_and_51st_at_once_gives_exactly_50(campaign):
    cycle, scorer = _reviewing(campaign)
    quota = expert().winners_per_cycle
    nominations = bulk_scored_nominations(cycle, expert(), quota - 2 + THREADS, scorer)
    office_user = office()
    for nomination in nominations[: quota - 2]:
        svc.winner_confirm(nomination=nomination, actor=office_user)
    offices = [office() for _ in range(THREADS)]
    racing = nominations[quota - 2 :]
    outcomes = race(THREADS, lambda i: svc.winner_confirm(nomination=racing[i], actor=offices[i]))
    errors = [error for _result, error in outcomes if error is not None]
    assert len(errors) == THREADS - 2
    assert all(isinstance(e, RuleViolation) and e.code == "winner_quota_full" for e in errors)
    winners = Winner.objects.filter(cycle=cycle, award_kind=expert(), status="confirmed")
    assert winners.count() == quota
    assert sorted(winners.values_list("slot", flat=True)) == list(range(1, quota + 1))


def test_confirming_the_10th_and_11th_grand_prize_at_once_gives_exactly_10(campaign):
    cycle, scorer = _reviewing(campaign)
    quota = AwardKind.objects.get(code="grand_prize").winners_per_cycle
    nominations = bulk_scored_nominations(cycle, grand(), quota - 1 + THREADS, scorer)
    office_user = office()
    for nomination in nominations[: quota - 1]:
        svc.winner_confirm(nomination=nomination, actor=office_user)
    racing = nominations[quota - 1 :]
    outcomes = race(THREADS, lambda i: svc.winner_confirm(nomination=racing[i], actor=office_user))
    assert sum(1 for _r, e in outcomes if e is None) == 1
    assert Winner.objects.filter(cycle=cycle, award_kind=grand()).count() == quota


def test_a_units_ceiling_holds_when_nominations_arrive_at_once(campaign):
    cycle = open_cycle(campaign)
    ceiling = CycleCeiling.objects.get(cycle=cycle, unit=unit_of(), award_kind=grand())
    workers = [make_worker(level=2) for _ in range(THREADS)]
    clerks = [clerk() for _ in range(THREADS)]
    outcomes = race(
        THREADS,
        lambda i: nominate(cycle, workers[i], award=grand(), actor=clerks[i]),
    )
    ok = [result for result, error in outcomes if error is None]
    assert len(ok) == ceiling.ceiling
    assert (
        Nomination.objects.filter(cycle=cycle, unit=unit_of(), award_kind=grand()).count()
        == ceiling.ceiling
    )
