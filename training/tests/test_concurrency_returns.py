"""No lost updates on monthly returns, proven with real threads on PostgreSQL.

Each scenario lets N threads (each with its own database connection) start the same write at the
same instant behind a barrier, several rounds in a row: exactly one wins per version, the rest get
ReturnConflict (or the state rule), and nothing is silently overwritten. Run with ``pytest -s`` to
see the figures.
"""

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from core.errors import RuleViolation
from core.models import AuditEvent
from core.roles import Role
from training import deadlines
from training.models import MonthlyReturn, ReturnLine
from training.services import returns as svc
from training.services.returns import ReturnConflict
from training.tests.factories import clerk_of, lines_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SH = ZoneInfo("Asia/Shanghai")
THREADS = 8
ROUNDS = 10
FIRST_MONTH = datetime.date(2013, 1, 1)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "concurrency tests need PostgreSQL row locks and concurrent writers "
            "(set DATABASE_URL=postgres://...; CI does)"
        )


@dataclass
class Outcome:
    index: int
    result: object = None
    error: BaseException | None = None

    @property
    def won(self) -> bool:
        return self.error is None


def race(n: int, prepare: Callable[[int], object], act: Callable[[int, object], object]):
    """Run ``act(i, prepared)`` in n threads released together by a barrier.

    ``prepare(i)`` runs in the thread before the barrier (it opens the thread's own connection
    and loads whatever the thread acts on), so the writes themselves start at the same moment.
    """
    barrier = threading.Barrier(n)
    outcomes = [Outcome(i) for i in range(n)]

    def run(i: int) -> None:
        try:
            prepared = prepare(i)
            barrier.wait(timeout=20)
            outcomes[i].result = act(i, prepared)
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


def open_month(time_machine, round_number: int) -> datetime.date:
    """A fresh month per round, with the clock inside its reporting window."""
    month = FIRST_MONTH
    for _ in range(round_number):
        month = deadlines.next_month(month)
    following = deadlines.next_month(month)
    time_machine.move_to(datetime.datetime(following.year, following.month, 2, 9, tzinfo=SH))
    return month


def figures_of(ret_pk: int) -> set[tuple[int, int]]:
    return set(ReturnLine.objects.filter(monthly_return_id=ret_pk).values_list("trained", "passed"))


def save_audits() -> int:
    return AuditEvent.objects.filter(action="monthly_return.save").count()


def _prepare_connection(_i: int) -> None:
    connection.ensure_connection()


def test_simultaneous_saves_of_one_draft_let_exactly_one_win(plan, time_machine):
    clerk = clerk_of("rsj")
    clerk.has_role(Role.CLERK)  # read the roles once, before threads share the instance
    department = clerk.department
    winners = overwrites = 0
    for round_number in range(ROUNDS):
        month = open_month(time_machine, round_number)

        def save(i, version, month=month):
            return svc.return_save(
                campaign=plan,
                department=department,
                month=month,
                lines=lines_for(plan, "rsj", trained=100 + i, passed=i),
                version=version,
                actor=clerk,
            )

        draft = save(1000, 0)
        draft = save(1001, draft.version)
        version = draft.version
        audits = save_audits()

        outcomes = race(
            THREADS,
            _prepare_connection,
            lambda i, _prepared, save=save, version=version: save(i, version),
        )

        won = [o for o in outcomes if o.won]
        others = [o.error for o in outcomes if not o.won]
        assert len(won) == 1, [repr(e) for e in others]
        assert all(isinstance(e, ReturnConflict) for e in others), [repr(e) for e in others]
        winner = won[0].index
        draft.refresh_from_db()
        assert draft.version == version + 1
        assert draft.status == MonthlyReturn.Status.DRAFT
        final = figures_of(draft.pk)
        overwrites += final != {(100 + winner, winner)}
        assert final == {(100 + winner, winner)}
        assert save_audits() == audits + 1
        winners += len(won)
    print(  # noqa: T201 - the figures are the point of this test (pytest -s)
        f"concurrency (saves): {ROUNDS} rounds x {THREADS} threads, "
        f"winners per round = {winners / ROUNDS:g}, silent overwrites = {overwrites}"
    )


def test_simultaneous_first_saves_create_exactly_one_return(plan, time_machine):
    clerk = clerk_of("nyj")
    clerk.has_role(Role.CLERK)
    department = clerk.department
    winners = 0
    for round_number in range(ROUNDS):
        month = open_month(time_machine, round_number)

        def first_save(i, _prepared, month=month):
            return svc.return_save(
                campaign=plan,
                department=department,
                month=month,
                lines=lines_for(plan, "nyj", trained=50 + i, passed=i),
                version=0,
                actor=clerk,
            )

        audits = save_audits()
        outcomes = race(THREADS, _prepare_connection, first_save)

        won = [o for o in outcomes if o.won]
        others = [o.error for o in outcomes if not o.won]
        assert len(won) == 1, [repr(e) for e in others]
        # No IntegrityError (a 500 in a view) escapes: the losers get the conflict message.
        assert all(isinstance(e, ReturnConflict) for e in others), [repr(e) for e in others]
        returns = MonthlyReturn.objects.filter(department=department, month=month)
        assert returns.count() == 1
        ret = returns.get()
        assert ret.version == 1
        winner = won[0].index
        assert ReturnLine.objects.filter(monthly_return=ret).count() == 2
        assert figures_of(ret.pk) == {(50 + winner, winner)}
        assert save_audits() == audits + 1
        winners += len(won)
    print(  # noqa: T201
        f"concurrency (first saves): {ROUNDS} rounds x {THREADS} threads, "
        f"winners per round = {winners / ROUNDS:g}, "
        f"returns per department-month = {MonthlyReturn.objects.count() // ROUNDS}"
    )


def test_save_and_submit_racing_on_one_version_let_exactly_one_win(plan, time_machine):
    clerk = clerk_of("gxj")
    clerk.has_role(Role.CLERK)
    department = clerk.department
    saves_won = submits_won = overwrites = 0
    for round_number in range(ROUNDS):
        month = open_month(time_machine, round_number)
        draft = svc.return_save(
            campaign=plan,
            department=department,
            month=month,
            lines=lines_for(plan, "gxj", trained=10, passed=5),
            version=0,
            actor=clerk,
        )
        version = draft.version
        audits = AuditEvent.objects.filter(
            action__in=["monthly_return.save", "monthly_return.submit"]
        ).count()

        def prepare(_i, pk=draft.pk):
            # Each submitting thread holds its own copy, as a request would.
            return MonthlyReturn.objects.select_related("campaign", "department").get(pk=pk)

        def act(i, loaded, month=month, version=version):
            if i % 2:
                return svc.return_submit(monthly_return=loaded, version=version, actor=clerk)
            return svc.return_save(
                campaign=plan,
                department=department,
                month=month,
                lines=lines_for(plan, "gxj", trained=200 + i, passed=i),
                version=version,
                actor=clerk,
            )

        outcomes = race(THREADS, prepare, act)

        won = [o for o in outcomes if o.won]
        others = [o.error for o in outcomes if not o.won]
        assert len(won) == 1, [repr(e) for e in others]
        # A loser either saw the version move (conflict) or, arriving after a submit, the
        # "submitted" state; both are messages, never an error page.
        assert all(isinstance(e, RuleViolation) for e in others), [repr(e) for e in others]
        draft.refresh_from_db()
        assert draft.version == version + 1
        winner = won[0].index
        if winner % 2:
            submits_won += 1
            expected = {(10, 5)}
            assert draft.status == MonthlyReturn.Status.SUBMITTED
        else:
            saves_won += 1
            expected = {(200 + winner, winner)}
            assert draft.status == MonthlyReturn.Status.DRAFT
        overwrites += figures_of(draft.pk) != expected
        assert figures_of(draft.pk) == expected
        assert (
            AuditEvent.objects.filter(
                action__in=["monthly_return.save", "monthly_return.submit"]
            ).count()
            == audits + 1
        )
    print(  # noqa: T201
        f"concurrency (save vs submit): {ROUNDS} rounds x {THREADS} threads, "
        f"winners per round = 1 (saves {saves_won}, submits {submits_won}), "
        f"silent overwrites = {overwrites}"
    )
