"""Audit-contract scenarios for subsidies' actions (see ``core/tests/audit_contract.py``).

Every scenario brings a claim to the state the action needs through the real services (each
earlier step's codes are declared in ``also``) and runs on a day of the 2013–2014 campaign, whose
plan file holds the standards and claim windows (``campaign_day``: the demo clock, so the audit
rows keep the real time the contract checks).
"""

from __future__ import annotations

import datetime

from appraisal.tests.audit_scenarios import campaign, campaign_day
from core.notices import notices_close_due, objection_lodge, objection_resolve
from core.payments import batch_approve, batch_cancel, line_record_result
from core.tests.audit_contract import Expect, scenario
from subsidies.models import ClaimWindow, SubsidyClaim, SubsidyStandard
from subsidies.services import claims as claim_svc
from subsidies.services import entrustments as ent_svc
from subsidies.services import notices as notice_svc
from subsidies.services import payments as pay_svc
from subsidies.services import review as review_svc
from subsidies.services import standards as std_svc
from subsidies.tests import factories as build
from subsidies.tests.money import finance
from subsidies.tests.money import submitted as _submitted

SUBMIT = "subsidies.claim.submit"
REVIEW_START = "subsidies.claim.review_start"
APPROVE = "subsidies.claim.approve"
# The notice is published on 2014-03-03 for 5 working days (to 2014-03-07); the daily job
# closes it on the next day.
AFTER_NOTICE = "2014-03-10T01:00:00+08:00"


def submitted() -> SubsidyClaim:
    """A worker's own training claim, submitted (writes ``subsidies.claim.submit``)."""
    return _submitted(campaign())


def approved() -> SubsidyClaim:
    """A claim a reviewer approved (submit, review_start, approve)."""
    return review_svc.claim_approve(claim=submitted(), actor=build.reviewer())


def published(claim: SubsidyClaim):
    return notice_svc.claims_notice_publish(
        claim_ids=[claim.pk], title="补贴公示", actor=build.reviewer()
    )


def ready() -> SubsidyClaim:
    """A claim approved, published on 2014-03-03 and cleared when the daily job closed the
    notice after its period: 待拨付."""
    with campaign_day():
        claim = approved()
        published(claim)
    with campaign_day(AFTER_NOTICE):
        notices_close_due()
    claim.refresh_from_db()
    return claim


READY_CODES = (SUBMIT, REVIEW_START, APPROVE, "notice.publish", "notice.close")
READY_CODES += ("subsidies.claim.notice_cleared",)


# --------------------------------------------------------------------------------------------
# The applicant
# --------------------------------------------------------------------------------------------


@scenario("subsidies.claim.submit")
def _claim_submit() -> Expect:
    with campaign_day():
        claim = submitted()
    return Expect(actor=claim.worker.user, obj=claim)


@scenario("subsidies.claim.account_change")
def _claim_account_change() -> Expect:
    # After approval (公示中): the change sends the claim back to 审核中 through ``claim_move``.
    with campaign_day():
        claim = approved()
        claim_svc.claim_account_change(
            claim=claim,
            own_account=build.own(claim.worker, build.OTHER_ACCOUNT),
            actor=claim.worker.user,
        )
    return Expect(actor=claim.worker.user, obj=claim, also=(SUBMIT, REVIEW_START, APPROVE))


@scenario("subsidies.claim.withdraw")
def _claim_withdraw() -> Expect:
    with campaign_day():
        claim = submitted()
        claim_svc.claim_withdraw(claim=claim, reason="信息填写有误", actor=claim.worker.user)
    return Expect(actor=claim.worker.user, obj=claim, also=(SUBMIT,))


@scenario("subsidies.claim.resubmit")
def _claim_resubmit() -> Expect:
    with campaign_day():
        claim = submitted()
        review_svc.claim_return(claim=claim, reason="请补充结业证书复印件", actor=build.reviewer())
        claim_svc.claim_resubmit(claim=claim, reply="已补充结业证书复印件", actor=claim.worker.user)
    return Expect(
        actor=claim.worker.user,
        obj=claim,
        also=(SUBMIT, REVIEW_START, "subsidies.claim.return"),
    )


@scenario("subsidies.entrustment.create")
def _entrustment_create() -> Expect:
    with campaign_day():
        enrollment = build.trainee(campaign())
        entrustment = build.entrust(enrollment)
    return Expect(actor=enrollment.worker.user, obj=entrustment)


@scenario("subsidies.entrustment.revoke")
def _entrustment_revoke() -> Expect:
    with campaign_day():
        enrollment = build.trainee(campaign())
        entrustment = build.entrust(enrollment)
        ent_svc.entrustment_revoke(
            entrustment=entrustment, reason="改为本人申领", actor=enrollment.worker.user
        )
    return Expect(
        actor=enrollment.worker.user, obj=entrustment, also=("subsidies.entrustment.create",)
    )


# --------------------------------------------------------------------------------------------
# Review
# --------------------------------------------------------------------------------------------


@scenario("subsidies.claim.review_start")
def _claim_review_start() -> Expect:
    actor = build.reviewer()
    with campaign_day():
        claim = submitted()
        review_svc.claim_review_start(claim=claim, actor=actor)
    return Expect(actor=actor, obj=claim, also=(SUBMIT,))


@scenario("subsidies.claim.approve")
def _claim_approve() -> Expect:
    actor = build.reviewer()
    with campaign_day():
        claim = submitted()
        review_svc.claim_approve(claim=claim, actor=actor)
    return Expect(actor=actor, obj=claim, also=(SUBMIT, REVIEW_START))


@scenario("subsidies.claim.refuse")
def _claim_refuse() -> Expect:
    actor = build.reviewer()
    with campaign_day():
        claim = submitted()
        review_svc.claim_refuse(claim=claim, reason="培训出勤不足", actor=actor)
    return Expect(actor=actor, obj=claim, also=(SUBMIT, REVIEW_START))


@scenario("subsidies.claim.return")
def _claim_return() -> Expect:
    actor = build.reviewer()
    with campaign_day():
        claim = submitted()
        review_svc.claim_return(claim=claim, reason="请补充结业证书复印件", actor=actor)
    return Expect(actor=actor, obj=claim, also=(SUBMIT, REVIEW_START))


# --------------------------------------------------------------------------------------------
# The public notice (closed by the daily job: the system acts)
# --------------------------------------------------------------------------------------------


@scenario("subsidies.claim.notice_cleared")
def _claim_notice_cleared() -> Expect:
    claim = ready()
    assert claim.status == SubsidyClaim.Status.READY
    return Expect(actor=None, obj=claim, also=READY_CODES[:-1])


@scenario("subsidies.claim.notice_withheld")
def _claim_notice_withheld() -> Expect:
    with campaign_day():
        claim = approved()
        notice = published(claim)
        objection = objection_lodge(
            notice=notice,
            item=notice.items.get(),
            objector_name="李四",
            content="此人未参加培训，系冒名",
        )
        objection_resolve(
            objection=objection,
            upheld=True,
            resolution="经核查，冒名顶替属实",
            actor=build.office(),
        )
    with campaign_day(AFTER_NOTICE):
        notices_close_due()
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.REFUSED
    return Expect(
        actor=None,
        obj=claim,
        also=(*READY_CODES[:-1], "notice.objection_lodge", "notice.objection_resolve"),
    )


# --------------------------------------------------------------------------------------------
# Payment (财政)
# --------------------------------------------------------------------------------------------


def _in_batch():
    """A ready claim put into a draft batch by one finance user."""
    claim = ready()
    maker = finance()
    with campaign_day(AFTER_NOTICE):
        batch = pay_svc.claims_batch_create(claim_ids=[claim.pk], actor=maker)
    return claim, batch, maker


def _approved_batch():
    claim, batch, _maker = _in_batch()
    checker = finance()
    with campaign_day(AFTER_NOTICE):
        batch = batch_approve(batch=batch, actor=checker)
    return claim, batch, checker


BATCH_CODES = (*READY_CODES, "payment.batch_create")


@scenario("subsidies.claim.in_payment")
def _claim_in_payment() -> Expect:
    claim, _batch, maker = _in_batch()
    return Expect(actor=maker, obj=claim, also=BATCH_CODES)


@scenario("subsidies.claim.paid")
def _claim_paid() -> Expect:
    claim, batch, checker = _approved_batch()
    with campaign_day(AFTER_NOTICE):
        line_record_result(line=batch.lines.get(), paid=True, actor=checker)
    return Expect(
        actor=checker,
        obj=claim,
        also=(
            *BATCH_CODES,
            "subsidies.claim.in_payment",
            "payment.batch_approve",
            "payment.line_result",
            "payment.batch_close",
        ),
    )


@scenario("subsidies.claim.payment_failed")
def _claim_payment_failed() -> Expect:
    claim, batch, checker = _approved_batch()
    with campaign_day(AFTER_NOTICE):
        line_record_result(line=batch.lines.get(), paid=False, reason="账号不存在", actor=checker)
    return Expect(
        actor=checker,
        obj=claim,
        also=(
            *BATCH_CODES,
            "subsidies.claim.in_payment",
            "payment.batch_approve",
            "payment.line_result",
            "payment.batch_close",
        ),
    )


@scenario("subsidies.claim.batch_cancelled")
def _claim_batch_cancelled() -> Expect:
    claim, batch, maker = _in_batch()
    with campaign_day(AFTER_NOTICE):
        batch_cancel(batch=batch, actor=maker, reason="金额有误，重新制单")
    return Expect(
        actor=maker,
        obj=claim,
        also=(*BATCH_CODES, "subsidies.claim.in_payment", "payment.batch_cancel"),
    )


# --------------------------------------------------------------------------------------------
# Standards and claim windows (the office)
# --------------------------------------------------------------------------------------------


@scenario("subsidies.standard.set")
def _standard_set() -> Expect:
    actor = build.office()
    standard = std_svc.standard_set(
        campaign=campaign(),
        kind="appraisal",
        amount="150",
        effective_from=datetime.date(2014, 7, 1),
        effective_to=datetime.date(2014, 12, 31),
        occupation=build.occupation(),
        level=3,
        note="高级工鉴定补贴",
        actor=actor,
    )
    return Expect(actor=actor, obj=standard)


@scenario("subsidies.standard.end")
def _standard_end() -> Expect:
    actor = build.office()
    standard = (
        SubsidyStandard.objects.filter(campaign=campaign(), effective_to__isnull=True)
        .order_by("pk")
        .first()
    )
    std_svc.standard_end(standard=standard, effective_to=datetime.date(2014, 12, 31), actor=actor)
    return Expect(actor=actor, obj=standard)


@scenario("subsidies.window.set")
def _window_set() -> Expect:
    actor = build.office()
    window = std_svc.window_set(
        campaign=campaign(),
        kind="training",
        opens_on=datetime.date(2015, 1, 1),
        closes_on=datetime.date(2015, 3, 31),
        note="延长申领",
        actor=actor,
    )
    return Expect(actor=actor, obj=window)


@scenario("subsidies.window.change")
def _window_change() -> Expect:
    actor = build.office()
    window = ClaimWindow.objects.filter(campaign=campaign(), kind="training").get()
    std_svc.window_close(window=window, closes_on=datetime.date(2014, 11, 30), actor=actor)
    return Expect(actor=actor, obj=window)
