"""Supply–demand reports under real concurrency (PostgreSQL, threads released together): the
office computing the same period twice at once gets one report, and a publish racing a
recompute never leaves a published report with rows computed after publication."""

import datetime
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from core.errors import RuleViolation
from training.models import SupplyDemandReport
from training.services import labour_market as svc
from training.tests.test_institutions_support import office_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 6
D = datetime.date


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


def test_simultaneous_computations_of_one_period_make_one_report(plan):
    office = office_user()

    def compute(i: int):
        return svc.report_compute(
            campaign=plan,
            period_start=D(2013, 1, 1),
            period_end=D(2013, 6, 1),
            title=f"第{i}版",
            actor=office,
        ).pk

    outcomes = race(THREADS, compute)
    assert [error for _pk, error in outcomes] == [None] * THREADS
    assert len({pk for pk, _error in outcomes}) == 1
    assert SupplyDemandReport.objects.count() == 1


def test_publish_racing_recomputes_is_published_once_and_then_frozen(plan):
    office = office_user()
    args = {"campaign": plan, "period_start": D(2013, 1, 1), "period_end": D(2013, 6, 1)}
    report = svc.report_compute(**args, title="初稿", actor=office)

    def act(i: int):
        if i == 0:
            return svc.report_publish(report=report, summary="意见", actor=office).status
        return svc.report_compute(**args, title=f"重算{i}", actor=office).status

    outcomes = race(THREADS, act)
    errors = [error for _result, error in outcomes if error is not None]
    assert all(isinstance(error, RuleViolation) for error in errors)
    report.refresh_from_db()
    assert report.status == SupplyDemandReport.Status.PUBLISHED
    # Recomputes that ran after the publish were refused; the ones before it ran whole.
    assert outcomes[0] == (SupplyDemandReport.Status.PUBLISHED, None)
