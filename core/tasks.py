"""Core tasks."""

from celery import shared_task


@shared_task(acks_late=True)
def record_worker_heartbeat(token: str) -> str:
    """Proves a worker can reach the database: writes one audit row carrying ``token``.
    Idempotent per token (a redelivered message writes nothing more)."""
    from core.models import AuditEvent
    from core.services import audit_record

    if not AuditEvent.objects.filter(action="system.worker_heartbeat", reason=token).exists():
        audit_record(actor=None, action="system.worker_heartbeat", reason=token)
    return token


@shared_task(acks_late=True)
def run_export_job(job_id: int) -> str:
    """Write an export job's workbook. Idempotent: a finished job is not written again."""
    from core.exports import export_job_run

    job = export_job_run(job_id=job_id)
    return job.status if job is not None else "missing"


@shared_task(acks_late=True)
def close_due_notices() -> list[int]:
    """Close every public notice whose period has ended (daily, 01:00 Beijing time).
    Idempotent: a closed notice is not closed again; notices with open objections are skipped."""
    from core.notices import notices_close_due

    return notices_close_due()


@shared_task(acks_late=True)
def flush_outbox() -> int:
    """Beat: every minute. Publishes follow-up work that could not reach the broker when it was
    queued (``core.outbox``). Idempotent: sent messages are marked and not sent again."""
    from core.outbox import outbox_flush

    return outbox_flush()


@shared_task(acks_late=True)
def purge_login_throttles() -> int:
    """Beat: daily. Deletes stale failed-login counters. Idempotent."""
    from core.auth import login_throttles_purge

    return login_throttles_purge()
