"""A real task through a real worker on the configured broker (Redis in CI)."""

import time
import uuid

import pytest
from django.conf import settings

from core.models import AuditEvent
from core.tasks import record_worker_heartbeat
from xuchang_skills.celery import app as celery_app


def test_celery_is_configured_for_json_and_late_acks():
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_time_limit


@pytest.mark.django_db
def test_task_runs_eagerly_and_is_idempotent():
    record_worker_heartbeat.delay("t1")
    record_worker_heartbeat.delay("t1")
    assert AuditEvent.objects.filter(action="system.worker_heartbeat", reason="t1").count() == 1


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_a_task_from_the_broker(real_worker):
    token = uuid.uuid4().hex
    record_worker_heartbeat.delay(token)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if AuditEvent.objects.filter(reason=token).exists():
            break
        time.sleep(0.2)
    assert AuditEvent.objects.filter(action="system.worker_heartbeat", reason=token).count() == 1
    assert settings.CELERY_BROKER_URL.startswith("redis://")
