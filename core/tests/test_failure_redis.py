"""Redis stopped: nothing a person submits is lost, and queued work runs once it is back
(issue 11 item 7).

With the real Redis shut down (``redis-cli shutdown nosave``; restarted in a ``finally`` with the
CI command), through the real views:

* a clerk uploads her department's monthly return → stored, redirect, no 500;
* a worker registers online → stored, signed in, no 500;
* the office asks for the month's progress report and for the audit workbook → both requests
  succeed and their follow-up work waits in the outbox (``core.outbox``) instead of being lost.

Redis is started again; a real worker process runs what beat runs every minute
(``core.tasks.flush_outbox``), which publishes the waiting messages: the report is computed and
the workbook written. Neither submission queues follow-up work of its own today; any that does
must use ``outbox_enqueue`` and then rides on this same mechanism.
"""

import contextlib
import io
import time

import pytest
from django.urls import reverse

from core import outbox
from core.models import AuditEvent, ExportJob, OutboxMessage
from core.roles import Role
from core.tasks import flush_outbox
from core.tests.factories import user_with_role
from core.tests.failure_support import (
    redis_stopped,
    require_services,
    wait_for,
    worker_log,
    worker_process,
)
from core.tests.hostile import good_file
from training.models import MonthlyReturn, ReportRun, Worker
from training.tests.test_workers_views import signup_data
from training.tests.uploads import MAY, return_context
from xuchang_skills.celery import app as celery_app

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def broker_in_use():
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    yield
    celery_app.conf.task_always_eager = True
    outbox._broker_down_until = 0.0  # the circuit breaker is per process


def test_with_redis_stopped_submissions_are_kept_and_follow_up_work_runs_when_it_is_back(
    plan, roles, client, tmp_path, broker_in_use
):
    require_services()
    with contextlib.ExitStack() as stack:
        context = return_context(campaign=plan, stack=stack)
        clerk = context.view.user
        office = user_with_role(Role.OFFICE)
        upload = io.BytesIO(good_file(context))
        upload.name = "月报.xlsx"

        with redis_stopped():
            started = time.monotonic()
            client.force_login(clerk)
            response = client.post(context.view.url, {**context.view.data, "file": upload})
            assert response.status_code == 302, response.content.decode()[:500]
            client.logout()

            response = client.post(reverse("training:worker_signup"), signup_data())
            assert response.status_code == 302
            client.logout()

            client.force_login(office)
            response = client.post(reverse("dashboard:progress_recompute"), {"month": "2014-05"})
            assert response.status_code == 302
            response = client.post(reverse("dashboard:export_audit"))
            assert response.status_code == 302
            outage = time.monotonic() - started

        # Everything submitted is stored; the follow-up work waits, with the broker's error.
        assert MonthlyReturn.objects.filter(department=clerk.department, month=MAY).exists()
        assert Worker.objects.filter(name="赵六").exists()
        pending = list(OutboxMessage.objects.filter(sent_at__isnull=True))
        assert sorted(m.task for m in pending) == [
            "core.tasks.run_export_job",
            "training.tasks.compute_monthly_progress",
        ]
        assert pending[0].last_error or pending[1].last_error
        assert not ReportRun.objects.filter(month=MAY).exists()
        job = ExportJob.objects.get()
        assert job.status == ExportJob.Status.QUEUED

        with worker_process(tmp_path):
            flush_outbox.apply_async()  # what beat sends every minute
            try:
                wait_for(
                    lambda: (
                        ReportRun.objects.filter(month=MAY).exists()
                        and ExportJob.objects.filter(
                            pk=job.pk, status=ExportJob.Status.DONE
                        ).exists()
                    ),
                    timeout=120,
                    what="the follow-up work after Redis came back",
                )
            except AssertionError:
                raise AssertionError(worker_log(tmp_path)) from None
        assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
        print(  # noqa: T201 - the figure the issue asks for
            f"\nredis stopped {outage:.1f} s: 2 submissions stored, 0 × 500, "
            f"2 follow-up jobs held and run after restart"
        )


@pytest.mark.django_db
def test_outbox_message_is_written_with_the_change_or_not_at_all(plan, broker_in_use):
    """Both or neither: a transaction that fails after enqueueing leaves no message."""
    from django.db import transaction

    from core.tasks import record_worker_heartbeat

    def enqueue_then_fail():
        with transaction.atomic():
            outbox.outbox_enqueue(record_worker_heartbeat, token="t")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        enqueue_then_fail()
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_flush_sends_pending_messages_in_order_and_stops_while_the_broker_is_down(
    plan, broker_in_use, monkeypatch
):
    from kombu.exceptions import OperationalError

    from core.tasks import record_worker_heartbeat

    first = OutboxMessage.objects.create(task=record_worker_heartbeat.name, kwargs={"token": "a"})
    OutboxMessage.objects.create(task=record_worker_heartbeat.name, kwargs={"token": "b"})
    calls = []

    def refused(*args, **kwargs):
        calls.append(kwargs["kwargs"])
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(celery_app.tasks[record_worker_heartbeat.name], "apply_async", refused)
    assert outbox.outbox_flush() == 0
    assert calls == [{"token": "a"}]  # stopped at the first failure
    first.refresh_from_db()
    assert (first.attempts, first.sent_at) == (1, None)
    assert "Connection refused" in first.last_error

    monkeypatch.undo()
    celery_app.conf.task_always_eager = True  # the broker is "back": run in-process
    assert outbox.outbox_flush() == 2
    assert outbox.outbox_pending_count() == 0
    assert AuditEvent.objects.filter(action="system.worker_heartbeat").count() == 2
    assert outbox.outbox_flush() == 0  # sent messages are not sent again
