"""Thin Celery wrappers around training services. Each is idempotent per period."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


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


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=3,
)
def compute_monthly_progress(
    month: str | None = None, campaign_id: int | None = None, actor_id: int | None = None
) -> dict | None:
    """Compute a month's progress snapshot (``month`` "YYYY-MM") of the campaign (default: the
    current one). Beat runs it daily at 00:05 without a month: it then acts only on the day after
    the campaign's due day, for the month that fell due, so the due day stays data. Idempotent:
    a second run replaces the snapshot with the same figures. Retries only on transient database
    errors; a published month is refused and logged, not retried."""
    from core import clock
    from core.errors import RuleViolation
    from core.models import User
    from training import deadlines
    from training.models import Campaign
    from training.reports import month_to_compute_on
    from training.services.reports import report_compute

    if campaign_id is not None:
        campaign = Campaign.objects.get(pk=campaign_id)
    else:
        campaign = Campaign.objects.current()
    if campaign is None:
        return None
    if month is None:
        target = month_to_compute_on(campaign, clock.today())
        if target is None:
            return None
    else:
        target = deadlines.parse_month(month)
        if target is None:
            raise ValueError(f"month must be YYYY-MM, got {month!r}")
    actor = User.objects.get(pk=actor_id) if actor_id is not None else None
    try:
        run = report_compute(campaign=campaign, month=target, actor=actor)
    except RuleViolation as exc:
        logger.warning("progress report %s not computed: %s", f"{target:%Y-%m}", exc)
        return None
    return {"month": f"{target:%Y-%m}", "report_run": run.pk}


@shared_task(acks_late=True)
def run_institution_assessment(year: int | None = None) -> dict | None:
    """Beat: 15 January at 02:00 (Asia/Shanghai), the annual assessment of every designated
    institution for ``year`` (default: the previous calendar year by the campaign clock).
    Idempotent: a rerun updates only proposals not yet decided."""
    from core import clock
    from core.errors import RuleViolation
    from training.models import Campaign
    from training.services.institutions import assessment_run

    campaign = Campaign.objects.current()
    if campaign is None:
        return None
    target = year if year is not None else clock.today().year - 1
    try:
        assessments = assessment_run(campaign=campaign, year=target, actor=None)
    except RuleViolation as exc:
        logger.warning("institution assessment %s not run: %s", target, exc)
        return None
    return {
        "year": target,
        "assessed": len(assessments),
        "revoke_proposed": sum(1 for a in assessments if a.proposal == "revoke"),
    }
