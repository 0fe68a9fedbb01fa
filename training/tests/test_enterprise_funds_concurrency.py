"""Education-fund returns under real concurrency (PostgreSQL, threads released together by a
barrier): saves of one enterprise-year at once leave exactly one return, each caller succeeds,
and the last figures win whole (no mixed row)."""

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from training.models import EducationFundReturn, Enterprise
from training.models.enterprise_funds import credit_code_check_char
from training.services import enterprise_funds as svc
from training.services.enterprise_funds import ReturnInput
from training.tests.test_institutions_support import office_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
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


def test_simultaneous_saves_of_one_year_leave_one_consistent_return(plan):
    first17 = "91411000MA0000001"
    firm = Enterprise.objects.create(
        name="许昌并发测试企业",
        credit_code=first17 + credit_code_check_char(first17),
        above_scale=True,
    )
    office = office_user()

    def save(i: int):
        return svc.fund_return_save(
            campaign=plan,
            enterprise=firm,
            data=ReturnInput(
                year=2013,
                payroll=Decimal(100000 * (i + 1)),
                rate=None,
                spent_on_training=Decimal("0.00"),
                did_training=False,
            ),
            actor=office,
        ).pk

    outcomes = race(THREADS, save)
    assert [error for _pk, error in outcomes] == [None] * THREADS
    assert len({pk for pk, _error in outcomes}) == 1
    saved = EducationFundReturn.objects.get()
    # Whichever save came last, its figures are whole: due = payroll × 1.5% × 60%.
    assert saved.due == (saved.payroll * Decimal("0.009")).quantize(Decimal("0.01"))
    assert saved.should_set_aside == (saved.payroll * Decimal("0.015")).quantize(Decimal("0.01"))
