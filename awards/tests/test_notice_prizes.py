"""From decision to money: the public notice (core.notices), publication, the honours, and the
prize payment batch (core.payments) with amounts from the plan data, each winner paid once."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied

from awards import selectors as sel
from awards import services as svc
from awards.models import AwardKind, Winner
from awards.tests.support import (
    at,
    bulk_scored_nominations,
    clerk,
    expert,
    grand,
    make_worker,
    member,
    nominate,
    office,
    open_cycle,
)
from core.errors import RuleViolation
from core.models import NoticeItem, PaymentLine, PublicNotice
from core.notices import notice_close, objection_lodge, objection_resolve
from core.payments import batch_approve, batch_bank_file, line_record_result
from core.roles import Role
from core.tests.factories import user_with_role

pytestmark = pytest.mark.django_db

ACCOUNT = "6222021234567890123"


@pytest.fixture
def decided(plan):
    """A cycle under review with 2 技能大奖 and 1 技术能手 winners confirmed."""
    scorer = member()
    cycle = open_cycle(plan, members=[scorer])
    nominate(cycle, make_worker(level=2))
    office_user = office()
    svc.cycle_close_nominations(cycle=cycle, actor=office_user)
    cycle.refresh_from_db()
    grands = bulk_scored_nominations(cycle, grand(), 2, scorer)
    experts = bulk_scored_nominations(cycle, expert(), 1, scorer)
    winners = [svc.winner_confirm(nomination=n, actor=office_user) for n in grands + experts]
    return cycle, winners, office_user


def _publish_and_close(frozen, cycle, office_user, *, objection_to=None):
    cycle = svc.cycle_notice_publish(cycle=cycle, actor=office_user)
    notice = PublicNotice.objects.get(pk=cycle.notice_id)
    if objection_to is not None:
        item = NoticeItem.objects.get(notice=notice, object_id=objection_to.pk)
        objection = objection_lodge(
            notice=notice, item=item, objector_name="李某", content="该人选事迹材料不实。"
        )
        objection_resolve(
            objection=objection, upheld=True, resolution="经核查属实。", actor=office_user
        )
    frozen.move_to(at(2014, 10, 1, 9))
    notice_close(notice=notice, actor=office_user)
    cycle.refresh_from_db()
    return cycle, notice


def test_notice_lists_masked_winners_with_prize_amounts(decided, frozen):
    cycle, winners, office_user = decided
    cycle = svc.cycle_notice_publish(cycle=cycle, actor=office_user)
    assert cycle.status == "notice"
    notice = PublicNotice.objects.get(pk=cycle.notice_id)
    assert notice.kind == "awards.cycle"
    assert notice.working_days == grand().notice_working_days
    items = {i.object_id: i for i in notice.items.all()}
    first = winners[0]
    name = first.nomination.worker.name
    assert items[first.pk].display_name == name[0] + "*" * (len(name) - 2) + name[-1]
    assert name not in items[first.pk].display_name
    assert items[first.pk].id_masked == first.nomination.worker.id_number_masked
    assert items[first.pk].amount == Decimal("10000.00")
    assert items[winners[2].pk].amount == Decimal("3000.00")


def test_notice_needs_winners_and_the_office(plan):
    scorer = member()
    cycle = open_cycle(plan, members=[scorer])
    nominate(cycle, make_worker(level=2))
    svc.cycle_close_nominations(cycle=cycle, actor=office())
    with pytest.raises(PermissionDenied):
        svc.cycle_notice_publish(cycle=cycle, actor=clerk())
    with pytest.raises(RuleViolation, match="尚未确定获奖人"):
        svc.cycle_notice_publish(cycle=cycle, actor=office())


def test_closing_the_notice_publishes_the_cycle_and_revokes_upheld_objections(decided, frozen):
    cycle, winners, office_user = decided
    cycle, _notice = _publish_and_close(frozen, cycle, office_user, objection_to=winners[1])
    assert cycle.status == "published"
    assert cycle.published_at is not None
    winners[1].refresh_from_db()
    assert winners[1].status == "revoked"
    assert "异议成立" in winners[1].revoked_reason
    honoured = {w.pk for w in sel.honours(cycle=cycle)}
    assert honoured == {winners[0].pk, winners[2].pk}
    assert cycle in sel.published_cycles()


def test_decision_is_frozen_once_the_notice_is_out(decided, frozen):
    cycle, winners, office_user = decided
    svc.cycle_notice_publish(cycle=cycle, actor=office_user)
    with pytest.raises(RuleViolation, match="只有评审阶段"):
        svc.winner_confirm(nomination=winners[0].nomination, actor=office_user)
    with pytest.raises(RuleViolation, match="异议核查"):
        svc.winner_revoke(winner=winners[0], reason="改变主意", actor=office_user)


def _with_accounts(winners, office_user):
    for winner in winners:
        svc.winner_bank_set(
            winner=winner, bank_name="中国银行许昌分行", account=ACCOUNT, actor=office_user
        )


def test_prize_batch_pays_the_amounts_from_the_data(decided, frozen):
    cycle, winners, office_user = decided
    cycle, _ = _publish_and_close(frozen, cycle, office_user)
    _with_accounts(winners, office_user)
    preparer, checker = user_with_role(Role.FINANCE), user_with_role(Role.FINANCE)
    batch = svc.prize_batch_create(cycle=cycle, actor=preparer)
    assert batch.kind == "awards"
    assert batch.line_count == 3
    assert batch.total_amount == Decimal("23000.00")
    line = PaymentLine.objects.get(batch=batch, object_id=winners[0].pk)
    assert line.amount == Decimal("10000.00")
    assert line.reference == f"JL2013-grand_prize-{winners[0].slot:03d}"
    assert line.account_masked == "6222****0123"
    batch = batch_approve(batch=batch, actor=checker)
    workbook = openpyxl.load_workbook(io.BytesIO(batch_bank_file(batch=batch)))
    cells = [str(c.value) for row in workbook.active.iter_rows() for c in row if c.value]
    assert ACCOUNT in cells
    line_record_result(line=line, paid=True, actor=checker)
    winners[0].refresh_from_db()
    assert winners[0].paid_at is not None
    assert winners[0].paid_amount == Decimal("10000.00")


def test_changing_the_prize_in_the_data_changes_the_payment(decided, frozen):
    cycle, winners, office_user = decided
    cycle, _ = _publish_and_close(frozen, cycle, office_user)
    _with_accounts(winners, office_user)
    AwardKind.objects.filter(code="grand_prize").update(prize=Decimal("12000.00"))
    batch = svc.prize_batch_create(cycle=cycle, actor=user_with_role(Role.FINANCE))
    assert PaymentLine.objects.get(batch=batch, object_id=winners[0].pk).amount == Decimal(
        "12000.00"
    )
    assert batch.total_amount == Decimal("27000.00")


def test_each_winner_is_paid_once(decided, frozen):
    cycle, winners, office_user = decided
    cycle, _ = _publish_and_close(frozen, cycle, office_user)
    _with_accounts(winners, office_user)
    finance = user_with_role(Role.FINANCE)
    svc.prize_batch_create(cycle=cycle, actor=finance)
    # Everyone is in a live batch: nobody left to pay.
    with pytest.raises(RuleViolation, match="没有待拨付的获奖人"):
        svc.prize_batch_create(cycle=cycle, actor=finance)
    assert PaymentLine.objects.count() == 3


def test_failed_payment_puts_the_winner_back_on_the_ready_list(decided, frozen):
    cycle, winners, office_user = decided
    cycle, _ = _publish_and_close(frozen, cycle, office_user)
    _with_accounts(winners[:1], office_user)
    preparer, checker = user_with_role(Role.FINANCE), user_with_role(Role.FINANCE)
    batch = svc.prize_batch_create(cycle=cycle, actor=preparer)
    batch = batch_approve(batch=batch, actor=checker)
    line_record_result(line=batch.lines.get(), paid=False, reason="账户已销户", actor=checker)
    assert list(sel.prizes_ready(cycle=cycle)) == [winners[0]]
    second = svc.prize_batch_create(cycle=cycle, actor=preparer)
    assert second.line_count == 1


def test_revoked_and_accountless_winners_are_not_paid(decided, frozen):
    cycle, winners, office_user = decided
    cycle, _ = _publish_and_close(frozen, cycle, office_user, objection_to=winners[0])
    _with_accounts(winners[1:2], office_user)
    batch = svc.prize_batch_create(cycle=cycle, actor=user_with_role(Role.FINANCE))
    assert list(batch.lines.values_list("object_id", flat=True)) == [winners[1].pk]


def test_only_finance_prepares_prizes_and_only_for_published_cycles(decided, frozen):
    cycle, _winners, office_user = decided
    with pytest.raises(PermissionDenied):
        svc.prize_batch_create(cycle=cycle, actor=office_user)
    with pytest.raises(RuleViolation, match="尚未公布"):
        svc.prize_batch_create(cycle=cycle, actor=user_with_role(Role.FINANCE))


def test_worker_sees_own_honours_only_after_publication(decided, frozen):
    cycle, winners, office_user = decided
    worker = winners[0].nomination.worker
    worker.user = user_with_role(Role.WORKER)
    worker.save(update_fields=["user"])
    assert sel.worker_panel(user=worker.user, campaign=cycle.campaign) is None
    _publish_and_close(frozen, cycle, office_user)
    panel = sel.worker_panel(user=worker.user, campaign=cycle.campaign)
    assert [w.pk for w in panel["honours"]] == [winners[0].pk]
    other = make_worker(with_login=True)
    assert sel.worker_panel(user=other.user, campaign=cycle.campaign) is None


def test_home_panel_sums_prize_money(decided, frozen, django_assert_max_num_queries):
    cycle, _winners, office_user = decided
    with django_assert_max_num_queries(5):
        panel = sel.home_panel(user=office_user, campaign=cycle.campaign)
    (summary,) = panel["cycles"]
    assert summary["prize_due"] == Decimal("23000.00")
    assert summary["prize_paid"] == Decimal(0)
    assert {k["kind"].code: k["winners"] for k in summary["kinds"]} == {
        "technical_expert": 1,
        "grand_prize": 2,
    }


def test_notice_closes_only_after_its_period(decided, frozen):
    cycle, _winners, office_user = decided
    cycle = svc.cycle_notice_publish(cycle=cycle, actor=office_user)
    notice = PublicNotice.objects.get(pk=cycle.notice_id)
    assert notice.ends_on == datetime.date(2014, 9, 16)  # Wed 10th + 5 working days
    with pytest.raises(RuleViolation):
        notice_close(notice=notice, actor=office_user)
    assert Winner.objects.filter(cycle=cycle, status="confirmed").count() == 3


def test_audit_workbook_sheet_lists_winners_masked(decided, frozen, django_assert_max_num_queries):
    from awards.exports import AwardWinnersExporter
    from core.exports import audit_exporter_classes

    assert AwardWinnersExporter in audit_exporter_classes()
    cycle, winners, office_user = decided
    exporter = AwardWinnersExporter(campaign=cycle.campaign, user=office_user)
    with django_assert_max_num_queries(2):
        rows = list(exporter.iter_rows())
    assert exporter.row_count() == 3
    first = rows[0]
    assert first[1] == "许昌市技术能手"
    assert first[4] == winners[2].nomination.worker.id_number_masked
    assert first[11] == Decimal("3000.00")
    assert {len(r) for r in rows} == {len(AwardWinnersExporter.headers)}
    finance_rows = list(
        AwardWinnersExporter(campaign=cycle.campaign, user=user_with_role(Role.FINANCE)).iter_rows()
    )
    assert "*" not in finance_rows[0][4]
