"""One person, one row and one subsidised class per campaign — under simultaneous writers, proven
with real threads on PostgreSQL (each thread its own connection, released by a barrier)."""

import io
import threading

import pytest
from django.db import connection

from core.errors import RuleViolation
from core.xlsx import XlsxError
from training.models import Enrollment, Worker
from training.services.workers import roster_import, worker_register
from training.tests import workers_samples as samples

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 4


@pytest.fixture(autouse=True)
def _postgres_only(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL (set DATABASE_URL=postgres://...; CI does)")
    settings.MEDIA_ROOT = tmp_path


def race(n, act):
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=20)
            results[i] = act(i)
        except BaseException as exc:  # inspected by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


def test_simultaneous_registrations_of_one_person_make_one_row(plan):
    staff = samples.staff_of(samples.institution())
    staff.has_role()  # read the roles once, before threads share the instance

    def register(i):
        return worker_register(
            id_number=samples.make_id(401),
            name="张三",
            phone=f"1380000000{i}",
            county=None,
            household="rural",
            education="junior",
            group_codes=[],
            actor=staff,
        )

    results = race(THREADS, register)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert Worker.objects.count() == 1
    assert sum(1 for _worker, created in results if created) == 1


def test_simultaneous_rosters_enrol_a_person_in_one_subsidised_class(plan):
    inst = samples.institution()
    staff = samples.staff_of(inst)
    staff.has_role()
    number = samples.make_id(402)
    worker, _ = worker_register(
        id_number=number,
        name="张三",
        phone="",
        county=None,
        household="rural",
        education="junior",
        group_codes=[],
        actor=staff,
    )
    classes = [samples.training_class(plan, inst) for _ in range(THREADS)]
    data = samples.roster_bytes([samples.row(number)])

    def upload(i):
        return roster_import(
            training_class=classes[i], fileobj=io.BytesIO(data), filename="a.xlsx", actor=staff
        )

    results = race(THREADS, upload)
    won = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, RuleViolation | XlsxError)]
    assert len(won) == 1
    assert len(refused) == THREADS - 1
    for error in refused:
        text = error.message if isinstance(error, RuleViolation) else "".join(error.messages)
        assert worker.id_number_masked in text or "已参加过一次补贴培训" in text
    assert Enrollment.objects.filter(worker=worker, subsidised=True).count() == 1
