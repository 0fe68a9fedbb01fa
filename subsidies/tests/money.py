"""Builders for subsidies-B's tests (review, notice, payment): claims in each state reached
through the real services, and the clock moved past a notice's end."""

import datetime

from core.notices import notice_close
from core.payments import batch_approve, line_record_result
from core.roles import Role
from core.tests.factories import user_with_role
from subsidies.services import claims as claim_svc
from subsidies.services import notices as notice_svc
from subsidies.services import payments as pay_svc
from subsidies.services import review as review_svc
from subsidies.tests.factories import (
    at,
    entrust,
    give_account,
    reviewer,
    submit_own,
    trainee,
)


def finance():
    return user_with_role(Role.FINANCE)


def submitted(plan, **kwargs):
    return submit_own(trainee(plan, **kwargs))


def entrusted(plan, **kwargs):
    """A training claim the worker submitted, paid to the entrusted institution."""
    enrollment = trainee(plan, **kwargs)
    give_account(enrollment.training_class.institution)
    entrust(enrollment)
    worker = enrollment.worker
    return claim_svc.claim_submit(
        worker=worker,
        kind="training",
        enrollment=enrollment,
        entrust=True,
        actor=worker.user,
    )


def approved(plan, by=None, **kwargs):
    claim = submitted(plan, **kwargs)
    return review_svc.claim_approve(claim=claim, actor=by or reviewer())


def published(claims, by=None):
    return notice_svc.claims_notice_publish(
        claim_ids=[c.pk for c in claims], title="补贴公示", actor=by or reviewer()
    )


def after(frozen, notice, days=1):
    """Move the clock ``days`` days past the notice's last day (10:00 Beijing time)."""
    day = notice.ends_on + datetime.timedelta(days=days)
    frozen.move_to(at(day.year, day.month, day.day, 10), tick=False)


def ready(plan, frozen, count=1, **kwargs):
    """``count`` claims through approval and a closed notice: 待拨付."""
    claims = [approved(plan, **kwargs) for _ in range(count)]
    notice = published(claims)
    after(frozen, notice)
    notice_close(notice=notice)
    for claim in claims:
        claim.refresh_from_db()
    return claims


def batch_of(claims, maker=None, checker=None):
    """An approved batch of ``claims`` (maker and checker are two finance users)."""
    maker = maker or finance()
    batch = pay_svc.claims_batch_create(claim_ids=[c.pk for c in claims], actor=maker)
    return batch_approve(batch=batch, actor=checker or finance())


def pay_all(batch, actor=None, *, fail=()):
    actor = actor or batch.approved_by
    for line in batch.lines.order_by("pk"):
        if line.reference in fail:
            line_record_result(line=line, paid=False, reason="账号不存在", actor=actor)
        else:
            line_record_result(line=line, paid=True, actor=actor)
