"""Paying subsidy claims: batches from ready claims, institution accounts, results, exactly once."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied

from core.errors import RuleViolation
from core.models import PaymentLine
from core.payments import batch_bank_file, batch_cancel
from subsidies.models import SubsidyClaim
from subsidies.services import claims as claim_svc
from subsidies.services import payments as services
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    ACCOUNT,
    INSTITUTION_ACCOUNT,
    OTHER_ACCOUNT,
    frozen,
    give_account,
    media,
    own,
    reviewer,
)
from subsidies.tests.money import (
    after,
    batch_of,
    entrusted,
    finance,
    pay_all,
    published,
    ready,
)

pytestmark = pytest.mark.django_db
Status = SubsidyClaim.Status


def test_batch_moves_ready_claims_to_in_payment(plan, time_machine):
    claims = ready(plan, time_machine, count=2)
    batch = services.claims_batch_create(claim_ids=[c.pk for c in claims], actor=finance())
    assert batch.kind == "subsidies"
    assert batch.line_count == 2
    assert batch.total_amount == sum(c.amount for c in claims)
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == Status.IN_PAYMENT
        assert batch.number in claim.status_changes.last().reason
    assert sorted(batch.lines.values_list("reference", flat=True)) == sorted(
        c.number for c in claims
    )


def test_reviewer_cannot_pay(plan, time_machine):
    (claim,) = ready(plan, time_machine)
    with pytest.raises(PermissionDenied):
        services.claims_batch_create(claim_ids=[claim.pk], actor=reviewer())


def test_claim_not_ready_is_refused_by_number(plan):
    from subsidies.tests.money import approved

    claim = approved(plan)
    with pytest.raises(RuleViolation, match=f"申请 {claim.number} 当前状态为“公示中”"):
        services.claims_batch_create(claim_ids=[claim.pk], actor=finance())


def test_entrusted_claim_pays_the_institutions_registry_account(plan, time_machine):
    claim = entrusted(plan)
    from subsidies.services import review

    claim = review.claim_approve(claim=claim, actor=reviewer())
    notice = published([claim])
    after(time_machine, notice)
    from core.notices import notice_close

    notice_close(notice=notice)
    # The registry account changes after the claim was made: payment uses the registry's.
    institution = claim.institution
    give_account(institution, "622700998877665544")
    batch = batch_of([claim])
    line = batch.lines.get()
    assert line.payee_kind == "institution"
    assert line.account_masked == "6227****5544"
    sheet = openpyxl.load_workbook(io.BytesIO(batch_bank_file(batch=batch))).active
    assert sheet["E3"].value == "622700998877665544"
    assert sheet["C3"].value == "机构"


def test_institution_without_basic_account_is_refused(plan, time_machine):
    claim = entrusted(plan)
    from core.notices import notice_close
    from subsidies.services import review

    claim = review.claim_approve(claim=claim, actor=reviewer())
    notice = published([claim])
    after(time_machine, notice)
    notice_close(notice=notice)
    institution = claim.institution
    institution.bank_account_encrypted = ""
    institution.bank_name = ""
    institution.save()
    with pytest.raises(RuleViolation, match="未登记基本账户"):
        services.claims_batch_create(claim_ids=[claim.pk], actor=finance())


def test_paid_claim_is_paid_and_never_again(plan, time_machine):
    (claim,) = ready(plan, time_machine)
    batch = batch_of([claim])
    pay_all(batch)
    claim.refresh_from_db()
    assert claim.status == Status.PAID
    assert claim.paid_at is not None
    with pytest.raises(RuleViolation, match="不能拨付"):
        services.claims_batch_create(claim_ids=[claim.pk], actor=finance())
    # Even forcing the claim back to a payable status, core refuses a second payment.
    SubsidyClaim.objects.filter(pk=claim.pk).update(status=Status.READY)
    with pytest.raises(RuleViolation, match="已拨付，不能重复拨付"):
        services.claims_batch_create(claim_ids=[claim.pk], actor=finance())


def test_bank_file_total_equals_sum_of_claims(plan, time_machine):
    claims = ready(plan, time_machine, count=3)
    batch = batch_of(claims)
    rows = list(
        openpyxl.load_workbook(io.BytesIO(batch_bank_file(batch=batch))).active.iter_rows(
            values_only=True
        )
    )
    total = Decimal(str(rows[-1][5]))
    assert total == sum(c.amount for c in claims)
    assert total == sum(Decimal(str(r[5])) for r in rows[2:-1])
    assert batch_bank_file(batch=batch) == batch_bank_file(batch=batch)


def test_failed_claim_reissued_only_after_account_fixed(plan, time_machine):
    (claim,) = ready(plan, time_machine)
    batch = batch_of([claim])
    pay_all(batch, fail=[claim.number])
    claim.refresh_from_db()
    assert claim.status == Status.FAILED
    assert "账号不存在" in claim.status_changes.last().reason
    with pytest.raises(RuleViolation, match="收款账户尚未更正"):
        services.claims_batch_create(claim_ids=[claim.pk], actor=finance())
    # The worker fixes the account: back to review (re-approval), notice, then payable again.
    claim = claim_svc.claim_account_change(
        claim=claim, own_account=own(claim.worker, OTHER_ACCOUNT), actor=claim.worker.user
    )
    assert claim.status == Status.UNDER_REVIEW
    from core.notices import notice_close
    from subsidies.services import review

    claim = review.claim_approve(claim=claim, actor=reviewer())
    notice = published([claim])
    after(time_machine, notice)
    notice_close(notice=notice)
    claim.refresh_from_db()
    second = batch_of([claim])
    assert second.lines.get().account_masked == "6228****8907"
    pay_all(second)
    claim.refresh_from_db()
    assert claim.status == Status.PAID
    assert PaymentLine.objects.filter(object_id=claim.pk).count() == 2


def test_cancelled_draft_batch_frees_claims(plan, time_machine):
    (claim,) = ready(plan, time_machine)
    maker = finance()
    batch = services.claims_batch_create(claim_ids=[claim.pk], actor=maker)
    batch_cancel(batch=batch, actor=maker, reason="名单有误")
    claim.refresh_from_db()
    assert claim.status == Status.READY  # nothing went to the bank: back on the ready list
    assert "已作废" in claim.status_changes.last().reason
    again = services.claims_batch_create(claim_ids=[claim.pk], actor=maker)
    assert again.lines.get().reference == claim.number


def test_results_upload_marks_claims(plan, time_machine):
    from core.payments import RESULT_HEADERS, RESULT_SHEET, batch_record_results_upload
    from core.xlsx import XlsxWriter

    good, bad = ready(plan, time_machine, count=2)
    batch = batch_of([good, bad])
    buffer = io.BytesIO()
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(RESULT_SHEET, RESULT_HEADERS)
        writer.append(sheet, [good.number, "成功", None])
        writer.append(sheet, [bad.number, "失败", "户名与账号不符"])
        writer.save(buffer)
    buffer.seek(0)
    batch_record_results_upload(
        batch=batch, file=buffer, filename="结果.xlsx", actor=batch.approved_by
    )
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.status == Status.PAID
    assert bad.status == Status.FAILED


def test_database_refuses_a_claim_in_two_live_batches(plan, time_machine):
    from django.contrib.contenttypes.models import ContentType
    from django.db import IntegrityError, transaction

    (claim,) = ready(plan, time_machine)
    batch = services.claims_batch_create(claim_ids=[claim.pk], actor=finance())
    line = batch.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLine.objects.create(
            batch=batch,
            content_type=ContentType.objects.get_for_model(SubsidyClaim),
            object_id=claim.pk,
            reference=f"{claim.number}-2",
            payee_kind=line.payee_kind,
            payee_name=line.payee_name,
            bank_name=line.bank_name,
            account_encrypted=line.account_encrypted,
            account_masked=line.account_masked,
            amount=line.amount,
        )
