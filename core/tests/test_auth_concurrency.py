"""Parallel guessing cannot slip past the counter: failures recorded from many threads at once are
all counted (row lock), and the lock starts exactly once (PostgreSQL, real threads)."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from core.auth import login_failure_record
from core.models import AuditEvent, LoginThrottle

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 12


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL row locks (set DATABASE_URL=postgres://...)")


def race(n, act):
    barrier = threading.Barrier(n)
    errors = []

    def run(i):
        try:
            barrier.wait()
            act(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_parallel_failures_for_one_name_are_all_counted_and_lock_once():
    errors = race(THREADS, lambda i: login_failure_record(username="alice", ip=f"10.0.1.{i}"))
    assert errors == []
    row = LoginThrottle.objects.get(scope="user", key="alice")
    assert row.failures == THREADS
    assert row.locked_until is not None
    user_locks = [
        e for e in AuditEvent.objects.filter(action="auth.lock") if e.changes["scope"] == "user"
    ]
    assert len(user_locks) == 1
    print(f"\n{THREADS} parallel failures counted: {row.failures}; lock audit rows: 1")  # noqa: T201 - the figure (pytest -s)


def test_parallel_spraying_from_one_address_is_all_counted():
    n = settings.LOGIN_IP_FAILURE_LIMIT
    errors = race(n, lambda i: login_failure_record(username=f"name{i}", ip="203.0.113.9"))
    assert errors == []
    row = LoginThrottle.objects.get(scope="ip", key="203.0.113.9")
    assert row.failures == n
    assert row.locked_until is not None
