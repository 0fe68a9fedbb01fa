"""Audit-contract scenarios of the awards (see ``core/tests/audit_contract.py``), and of core's
public notices (``notice.*``) and payment batches (``payment.*``), exercised through the awards'
registered notice kind ("awards.cycle") and payment kind ("awards") as the awards pages call them.

Each scenario runs on the real clock (the contract checks the row's time against it), so cycles
get a nomination window around today. The state before the action is built with the ORM, which
writes no audit rows: only the action under test (and what it writes by design, in ``also``)
leaves rows.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from awards import services as svc
from awards.models import (
    AwardKind,
    Competition,
    Cycle,
    CycleCeiling,
    NominatingUnit,
    Nomination,
    Score,
    ScoreSubmission,
    Winner,
)
from awards.tests.support import (
    DEPT,
    clerk,
    expert,
    full_scores,
    make_worker,
    member,
    occupation,
    office,
    unit_of,
)
from core import clock, crypto
from core.models import NoticeItem, Objection, PaymentBatch, PaymentLine, PublicNotice
from core.roles import Role
from core.tests.audit_contract import CLIENT_IP, Expect, scenario
from core.tests.factories import user_with_role
from core.validators import mask_bank_account

ACCOUNT = "6222021234567890123"


# --------------------------------------------------------------------------------------------
# Set-up through the ORM (no audit rows)
# --------------------------------------------------------------------------------------------


def _campaign():
    from training.models import Campaign

    return Campaign.objects.current()


def _cycle(status: str = Cycle.Status.NOMINATING, *, members=()) -> Cycle:
    today = clock.today()
    cycle = Cycle.objects.create(
        campaign=_campaign(),
        first_year=2013,
        last_year=2014,
        title="2013—2014年度许昌市技术能手、许昌市技能大奖评选",
        nomination_opens=today - datetime.timedelta(days=5),
        nomination_closes=today + datetime.timedelta(days=5),
        status=status,
        opened_by=office(),
    )
    cycle.members.set(members)
    kinds = list(AwardKind.objects.filter(campaign=cycle.campaign))
    CycleCeiling.objects.bulk_create(
        [
            CycleCeiling(cycle=cycle, award_kind=k, unit=u, ceiling=k.default_unit_ceiling)
            for k in kinds
            for u in NominatingUnit.objects.all()
        ]
    )
    return cycle


def _nomination(cycle: Cycle) -> Nomination:
    return Nomination.objects.create(
        cycle=cycle,
        award_kind=expert(),
        unit=unit_of(),
        worker=make_worker(level=3),
        occupation=occupation(),
        employer="许昌远东传动轴股份有限公司",
        achievements="多次解决关键技术难题，带徒20余人。",
        best_level=3,
        eligibility_basis="持有高级工证书",
        nominated_by=office(),
    )


def _scored(cycle: Cycle, nomination: Nomination, scorer, *, submitted: bool) -> None:
    Score.objects.bulk_create(
        [
            Score(nomination=nomination, member=scorer, criterion=c, value=80)
            for c in nomination.award_kind.criteria.all()
        ]
    )
    if submitted:
        ScoreSubmission.objects.create(cycle=cycle, member=scorer, submitted_at=timezone.now())


def _winner(cycle: Cycle, *, slot: int = 1, with_account: bool = False) -> Winner:
    nomination = _nomination(cycle)
    winner = Winner.objects.create(
        cycle=cycle,
        award_kind=nomination.award_kind,
        nomination=nomination,
        slot=slot,
        mean_score=Decimal("80.00"),
        confirmed_by=office(),
    )
    if with_account:
        winner.bank_name = "中国银行许昌分行"
        winner.account_encrypted = crypto.encrypt(ACCOUNT)
        winner.account_masked = mask_bank_account(ACCOUNT)
        winner.save()
    return winner


def _notice_of(cycle: Cycle, winners: list[Winner], *, ended: bool) -> PublicNotice:
    """The cycle's notice, as ``cycle_notice_publish`` leaves it; ``ended``: its period is over."""
    today = clock.today()
    starts_on = today - datetime.timedelta(days=20) if ended else today
    ends_on = today - datetime.timedelta(days=10) if ended else today + datetime.timedelta(days=7)
    notice = PublicNotice.objects.create(
        kind=svc.NOTICE_KIND,
        title=f"{cycle.title}拟表彰人选公示",
        starts_on=starts_on,
        working_days=5,
        ends_on=ends_on,
        published_by=office(),
    )
    content_type = ContentType.objects.get_for_model(Winner)
    NoticeItem.objects.bulk_create(
        [
            NoticeItem(
                notice=notice,
                content_type=content_type,
                object_id=w.pk,
                display_name=svc.mask_name(w.nomination.worker.name),
                id_masked=w.nomination.worker.id_number_masked,
                description=w.award_kind.name,
                amount=w.award_kind.prize,
            )
            for w in winners
        ]
    )
    cycle.status = Cycle.Status.NOTICE
    cycle.notice = notice
    cycle.save()
    return notice


def _batch(winners: list[Winner], *, approved: bool) -> PaymentBatch:
    """A batch of the winners' prizes as ``prize_batch_create`` (+ ``batch_approve``) leaves it."""
    preparer = user_with_role(Role.FINANCE)
    total = sum((w.award_kind.prize for w in winners), Decimal("0.00"))
    batch = PaymentBatch.objects.create(
        kind=svc.PAYMENT_KIND,
        number=f"BT{clock.today():%Y%m}{PaymentBatch.objects.count() + 1:04d}",
        prepared_by=preparer,
        line_count=len(winners),
        total_amount=total,
    )
    content_type = ContentType.objects.get_for_model(Winner)
    PaymentLine.objects.bulk_create(
        [
            PaymentLine(
                batch=batch,
                content_type=content_type,
                object_id=w.pk,
                reference=svc.prize_reference(w),
                payee_kind="person",
                payee_name=w.nomination.worker.name,
                bank_name=w.bank_name,
                account_encrypted=w.account_encrypted,
                account_masked=w.account_masked,
                amount=w.award_kind.prize,
            )
            for w in winners
        ]
    )
    if approved:
        batch.status = PaymentBatch.Status.APPROVED
        batch.approved_by = user_with_role(Role.FINANCE)
        batch.approved_at = timezone.now().replace(microsecond=0)
        batch.save()
    return batch


def _published_winners(count: int, *, batch: bool = False, approved: bool = False):
    cycle = _cycle(Cycle.Status.PUBLISHED)
    winners = [_winner(cycle, slot=i + 1, with_account=True) for i in range(count)]
    made = _batch(winners, approved=approved) if batch else None
    return cycle, winners, made


# --------------------------------------------------------------------------------------------
# Cycles, ceilings, competitions
# --------------------------------------------------------------------------------------------


@scenario("awards.cycle_open")
def _cycle_open() -> Expect:
    actor = office()
    today = clock.today()
    cycle = svc.cycle_open(
        campaign=_campaign(),
        first_year=2013,
        nomination_opens=today,
        nomination_closes=today + datetime.timedelta(days=30),
        members=[member()],
        actor=actor,
    )
    return Expect(actor=actor, obj=cycle)


@scenario("awards.ceiling_set")
def _ceiling_set() -> Expect:
    actor = office()
    ceiling = CycleCeiling.objects.filter(cycle=_cycle()).first()
    svc.ceiling_set(ceiling=ceiling, value=ceiling.ceiling + 1, actor=actor)
    return Expect(actor=actor, obj=ceiling)


@scenario("awards.cycle_close_nominations")
def _cycle_close_nominations() -> Expect:
    actor = office()
    cycle = _cycle()
    _nomination(cycle)
    svc.cycle_close_nominations(cycle=cycle, actor=actor)
    return Expect(actor=actor, obj=cycle)


@scenario("awards.competition_create")
def _competition_create() -> Expect:
    actor = office()
    competition = svc.competition_create(
        campaign=_campaign(),
        name="许昌市数控车工职业技能竞赛",
        occupation=occupation(),
        held_on=clock.today() - datetime.timedelta(days=10),
        organiser="市人社局",
        actor=actor,
    )
    return Expect(actor=actor, obj=competition)


@scenario("awards.competition_result_record")
def _competition_result_record() -> Expect:
    actor = office()
    competition = Competition.objects.create(
        campaign=_campaign(),
        name="许昌市焊工职业技能竞赛",
        occupation=occupation(),
        held_on=clock.today() - datetime.timedelta(days=10),
    )
    result = svc.competition_result_record(
        competition=competition, worker=make_worker(), rank=2, actor=actor
    )
    return Expect(actor=actor, obj=result)


# --------------------------------------------------------------------------------------------
# Nominations and review
# --------------------------------------------------------------------------------------------


@scenario("awards.nomination_create")
def _nomination_create() -> Expect:
    actor = clerk(DEPT)
    cycle = _cycle()
    data = svc.NominationInput(
        award_kind=expert(),
        unit=unit_of(DEPT),
        worker=make_worker(level=3),
        occupation=occupation(),
        employer="许昌远东传动轴股份有限公司",
        achievements="多次解决关键技术难题，带徒20余人。",
    )
    nomination = svc.nomination_create(cycle=cycle, data=data, actor=actor)
    return Expect(actor=actor, obj=nomination)


@scenario("awards.nomination_withdraw")
def _nomination_withdraw() -> Expect:
    actor = clerk(DEPT)
    nomination = _nomination(_cycle())
    svc.nomination_withdraw(nomination=nomination, reason="本人调离", actor=actor)
    return Expect(actor=actor, obj=nomination)


@scenario("awards.recusal_declare")
def _recusal_declare() -> Expect:
    actor = member()
    nomination = _nomination(_cycle(Cycle.Status.REVIEWING, members=[actor]))
    recusal = svc.recusal_declare(nomination=nomination, reason="被推荐人系本人近亲属", actor=actor)
    return Expect(actor=actor, obj=recusal)


@scenario("awards.scores_record")
def _scores_record() -> Expect:
    actor = member()
    nomination = _nomination(_cycle(Cycle.Status.REVIEWING, members=[actor]))
    svc.scores_record(nomination=nomination, values=full_scores(expert(), 85), actor=actor)
    return Expect(actor=actor, obj=nomination)


@scenario("awards.scores_submit")
def _scores_submit() -> Expect:
    actor = member()
    cycle = _cycle(Cycle.Status.REVIEWING, members=[actor])
    _scored(cycle, _nomination(cycle), actor, submitted=False)
    svc.scores_submit(cycle=cycle, actor=actor)
    return Expect(actor=actor, obj=cycle)


# --------------------------------------------------------------------------------------------
# Winners, the notice, publication
# --------------------------------------------------------------------------------------------


@scenario("awards.winner_confirm")
def _winner_confirm() -> Expect:
    actor = office()
    scorer = member()
    cycle = _cycle(Cycle.Status.REVIEWING, members=[scorer])
    nomination = _nomination(cycle)
    _scored(cycle, nomination, scorer, submitted=True)
    winner = svc.winner_confirm(nomination=nomination, actor=actor)
    return Expect(actor=actor, obj=winner)


@scenario("awards.winner_revoke")
def _winner_revoke() -> Expect:
    actor = office()
    winner = _winner(_cycle(Cycle.Status.REVIEWING))
    svc.winner_revoke(winner=winner, reason="评分录入有误，重新评定", actor=actor)
    return Expect(actor=actor, obj=winner)


def _notice_publish() -> tuple[object, Cycle]:
    actor = office()
    cycle = _cycle(Cycle.Status.REVIEWING)
    _winner(cycle)
    cycle = svc.cycle_notice_publish(cycle=cycle, actor=actor)
    return actor, cycle


@scenario("awards.cycle_notice_publish")
def _awards_cycle_notice_publish() -> Expect:
    actor, cycle = _notice_publish()
    return Expect(actor=actor, obj=cycle, also=("notice.publish",))


@scenario("notice.publish")
def _notice_publish_row() -> Expect:
    actor, cycle = _notice_publish()
    return Expect(actor=actor, obj=cycle.notice, also=("awards.cycle_notice_publish",))


@scenario("notice.objection_lodge")
def _notice_objection_lodge() -> Expect:
    # Anyone may object without signing in: a row with no actor; the view passes the address.
    from core.notices import objection_lodge

    cycle = _cycle(Cycle.Status.REVIEWING)
    notice = _notice_of(cycle, [_winner(cycle)], ended=False)
    objection = objection_lodge(
        notice=notice,
        item=notice.items.first(),
        objector_name="李某",
        content="该人选事迹材料不实。",
        ip=CLIENT_IP,
    )
    return Expect(actor=None, obj=objection)


@scenario("notice.objection_resolve")
def _notice_objection_resolve() -> Expect:
    from core.notices import objection_resolve

    actor = office()
    cycle = _cycle(Cycle.Status.REVIEWING)
    notice = _notice_of(cycle, [_winner(cycle)], ended=False)
    objection = Objection.objects.create(
        notice=notice, item=notice.items.first(), objector_name="李某", content="材料不实。"
    )
    objection_resolve(
        objection=objection, upheld=False, resolution="经核查，事迹材料属实。", actor=actor
    )
    return Expect(actor=actor, obj=objection)


@scenario("notice.close")
def _notice_close() -> Expect:
    """The office's button once the period is over (its ``on_close`` publishes the cycle)."""
    from core.notices import notice_close

    actor = office()
    cycle = _cycle(Cycle.Status.REVIEWING)
    notice = _notice_of(cycle, [_winner(cycle)], ended=True)
    notice_close(notice=notice, actor=actor)
    return Expect(actor=actor, obj=notice, also=("awards.cycle_publish",))


@scenario("awards.cycle_publish")
def _cycle_publish() -> Expect:
    """The daily beat job closes the ended notice; the awards' callback publishes the cycle."""
    from core.tasks import close_due_notices

    cycle = _cycle(Cycle.Status.REVIEWING)
    _notice_of(cycle, [_winner(cycle)], ended=True)
    close_due_notices()
    return Expect(actor=None, obj=cycle, also=("notice.close",))


# --------------------------------------------------------------------------------------------
# Prizes and the payment batch
# --------------------------------------------------------------------------------------------


@scenario("awards.winner_bank_set")
def _winner_bank_set() -> Expect:
    actor = office()
    winner = _winner(_cycle(Cycle.Status.PUBLISHED))
    svc.winner_bank_set(winner=winner, bank_name="中国银行许昌分行", account=ACCOUNT, actor=actor)
    return Expect(actor=actor, obj=winner)


def _prize_batch_create():
    actor = user_with_role(Role.FINANCE)
    cycle, _winners, _ = _published_winners(2)
    batch = svc.prize_batch_create(cycle=cycle, actor=actor)
    return actor, cycle, batch


@scenario("awards.prize_batch_create")
def _awards_prize_batch_create() -> Expect:
    actor, cycle, _batch_made = _prize_batch_create()
    return Expect(actor=actor, obj=cycle, also=("payment.batch_create",))


@scenario("payment.batch_create")
def _payment_batch_create() -> Expect:
    actor, _cycle_made, batch = _prize_batch_create()
    return Expect(actor=actor, obj=batch, also=("awards.prize_batch_create",))


@scenario("payment.batch_approve")
def _payment_batch_approve() -> Expect:
    from core.payments import batch_approve

    actor = user_with_role(Role.FINANCE)
    _cycle_made, _winners, batch = _published_winners(2, batch=True)
    batch_approve(batch=batch, actor=actor)
    return Expect(actor=actor, obj=batch)


@scenario("payment.batch_cancel")
def _payment_batch_cancel() -> Expect:
    from core.payments import batch_cancel

    actor = user_with_role(Role.FINANCE)
    _cycle_made, _winners, batch = _published_winners(2, batch=True)
    batch_cancel(batch=batch, actor=actor, reason="金额录入有误，重新生成")
    return Expect(actor=actor, obj=batch)


@scenario("payment.bank_file_download")
def _payment_bank_file_download() -> Expect:
    from core.payments import batch_bank_file_download

    actor = user_with_role(Role.FINANCE)
    _cycle_made, _winners, batch = _published_winners(2, batch=True, approved=True)
    assert batch_bank_file_download(batch=batch, actor=actor)
    return Expect(actor=actor, obj=batch)


def _record_first_line(*, lines: int, paid: bool):
    from core.payments import line_record_result

    actor = user_with_role(Role.FINANCE)
    _cycle_made, winners, batch = _published_winners(lines, batch=True, approved=True)
    line = batch.lines.order_by("pk").first()
    line_record_result(line=line, paid=paid, reason="" if paid else "账户已销户", actor=actor)
    return actor, winners[0], line, batch


@scenario("payment.line_result")
def _payment_line_result() -> Expect:
    actor, _winner_paid, line, _batch_made = _record_first_line(lines=2, paid=True)
    return Expect(actor=actor, obj=line, also=("awards.prize_paid",))


@scenario("payment.batch_close")
def _payment_batch_close() -> Expect:
    """The result of a batch's last pending line closes it."""
    actor, _winner_paid, _line, batch = _record_first_line(lines=1, paid=True)
    return Expect(actor=actor, obj=batch, also=("payment.line_result", "awards.prize_paid"))


@scenario("awards.prize_paid")
def _awards_prize_paid() -> Expect:
    # A callback of core.payments: the row names the finance user who recorded the result.
    actor, winner, _line, _batch_made = _record_first_line(lines=2, paid=True)
    return Expect(actor=actor, obj=winner, also=("payment.line_result",))


@scenario("awards.prize_failed")
def _awards_prize_failed() -> Expect:
    actor, winner, _line, _batch_made = _record_first_line(lines=2, paid=False)
    return Expect(actor=actor, obj=winner, also=("payment.line_result",))


# --------------------------------------------------------------------------------------------
# Demo data
# --------------------------------------------------------------------------------------------


@scenario("demo.seed_awards")
def _demo_seed_awards() -> Expect:
    """``seed_demo``'s awards part on the demo accounts and 75 certified workers (ORM-made): the
    past cycle's notice and prize batch go through the real services, hence ``also``."""
    from awards.demo import DEMO_CHECKER, seed_awards
    from core.tests.factories import UserFactory

    UserFactory(username="office", roles=[Role.OFFICE])
    UserFactory(username="committee", roles=[Role.COMMITTEE])
    UserFactory(username="committee2", roles=[Role.COMMITTEE])
    UserFactory(username="finance", roles=[Role.FINANCE])
    UserFactory(username=DEMO_CHECKER, roles=[Role.FINANCE])
    for i in range(75):
        make_worker(level=2 if i % 3 == 0 else 3)
    seed_awards(campaign=_campaign(), scale=1, rng=random.Random(1), log=lambda _line: None)
    return Expect(
        actor=None,
        obj=_campaign(),
        also=(
            "awards.cycle_notice_publish",
            "awards.cycle_publish",
            "awards.prize_batch_create",
            "awards.prize_paid",
            "notice.close",
            "notice.publish",
            "payment.batch_approve",
            "payment.batch_close",
            "payment.batch_create",
            "payment.line_result",
        ),
    )
