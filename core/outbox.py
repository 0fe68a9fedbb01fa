"""The transactional outbox: follow-up Celery work that survives a broker outage.

``task.delay_on_commit(...)`` publishes after the commit; if Redis is down at that moment the
change is already committed but the publish raises (the person gets a 500 for a change that was
kept) and the follow-up work is lost. Instead, services call::

    outbox_enqueue(run_export_job, job_id=job.pk)

inside their transaction. That writes an ``OutboxMessage`` row with the change (both or neither)
and, after the commit, tries to publish at once. A publish that fails for a broker reason is
logged and left pending; ``outbox_flush`` sends pending messages in order — run by beat every
minute (``core.tasks.flush_outbox``: beat's own message reaches a worker as soon as Redis is back)
and by ``manage.py flush_outbox``. Tasks must be idempotent (they are: DESIGN.md §4), because a
process that dies between publishing and marking the row sent publishes again.

The message row is plumbing, not a domain change: the service that enqueues writes the audit row.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F

from core import clock
from core.models import OutboxMessage

logger = logging.getLogger(__name__)

#: Errors that mean "the broker could not take the message now" (not a bug in the task).
try:  # kombu wraps connection failures in its OperationalError; redis-py raises its own.
    from kombu.exceptions import KombuError as _KombuError
    from redis.exceptions import RedisError as _RedisError

    BROKER_ERRORS: tuple[type[BaseException], ...] = (_KombuError, _RedisError, OSError)
except ImportError:  # pragma: no cover - both ship with celery[redis]
    BROKER_ERRORS = (OSError,)


def outbox_enqueue(task: Any, /, **kwargs: Any) -> OutboxMessage:
    """Store a call of ``task`` (a Celery task or its name) with JSON ``kwargs``, to be published
    once the caller's transaction commits; see the module docstring. Returns the message row."""
    name = task if isinstance(task, str) else task.name
    message = OutboxMessage.objects.create(task=name, kwargs=kwargs)
    transaction.on_commit(lambda: _publish_now(message.pk), robust=True)
    return message


#: After a broker failure, requests stop trying to publish at once for this long (the message
#: stays pending for ``outbox_flush``): with Redis down each attempt costs seconds of retries.
BROKER_BACKOFF_SECONDS = 30
_broker_down_until = 0.0


def _publish_now(message_id: int) -> None:
    if time.monotonic() < _broker_down_until:
        return
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is not None:
        _publish(message)


def _publish(message: OutboxMessage) -> bool:
    """Publish one message; mark it sent, or record the broker error. True when sent."""
    try:
        # apply_async (not send_task) so that eager mode (no broker configured) runs the task.
        current_app.tasks[message.task].apply_async(kwargs=message.kwargs, retry=False)
    except BROKER_ERRORS as exc:
        global _broker_down_until  # a per-process circuit breaker
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning(
            "outbox: %s #%s not sent, broker unavailable: %s", message.task, message.pk, exc
        )
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:500], updated_at=clock.now()
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=clock.now(), attempts=F("attempts") + 1, last_error="", updated_at=clock.now()
    )
    return True


def outbox_flush(*, limit: int = 500) -> int:
    """Send pending messages, oldest first; stop at the first broker failure (the broker is still
    down: the next run retries). Returns how many were sent. Safe to run concurrently: rows are
    claimed with ``SKIP LOCKED``."""
    sent = 0
    with transaction.atomic():
        pending = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True)
            .order_by("pk")[:limit]
        )
        for message in pending:
            if not _publish(message):
                break
            sent += 1
    if sent:
        logger.info("outbox: sent %s pending message(s)", sent)
    return sent


def outbox_pending_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()
