"""Thin Celery wrappers around training services. Each is idempotent per period."""

from celery import shared_task


@shared_task(acks_late=True)
def send_return_reminders() -> int:
    """Beat: the 1st and the due day at 09:00. Safe to run twice (one reminder per kind)."""
    from training.services.returns import reminders_send

    return len(reminders_send())


@shared_task(acks_late=True)
def close_expired_unlocks() -> int:
    """Beat: every 15 minutes. Unlocks stop counting at expiry anyway; this records the closing."""
    from training.services.returns import unlocks_close_expired

    return unlocks_close_expired()
