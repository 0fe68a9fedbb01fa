"""Exactly once under real concurrency (PostgreSQL, threads released by a barrier): finance users
building batches from the same ready claims at once put each claim in one batch only."""

import threading

import pytest
from django.db import connection

from core.errors import RuleViolation
from core.models import PaymentBatch, PaymentLine
from subsidies.models import SubsidyClaim
from subsidies.services import payments as services
from subsidies.tests.factories import frozen, media  # noqa: F401 (fixtures)
from subsidies.tests.money import finance, ready

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 6


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL row locks (set DATABASE_URL=postgres://...)")


def test_simultaneous_batches_take_each_claim_once(plan, time_machine):
    claims = ready(plan, time_machine, count=2)
    ids = [c.pk for c in claims]
    makers = [finance() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list = [None] * THREADS

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=20)
            outcomes[i] = services.claims_batch_create(claim_ids=ids, actor=makers[i]).number
        except RuleViolation as exc:
            outcomes[i] = exc
        except BaseException as exc:  # inspected below: anything else is a failure
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    numbers = [o for o in outcomes if isinstance(o, str)]
    errors = [o for o in outcomes if not isinstance(o, str)]
    assert len(numbers) == 1, outcomes
    assert all(isinstance(e, RuleViolation) for e in errors), errors
    assert PaymentBatch.objects.count() == 1
    assert PaymentLine.objects.filter(status="pending").count() == 2
    assert set(SubsidyClaim.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "in_payment"
    }
