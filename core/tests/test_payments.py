"""Payment batches: exactly once, maker-checker, the bank file, results (core/payments.py)."""

import io
import threading
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from core import payments
from core.errors import RuleViolation
from core.models import AuditEvent, Department, PaymentBatch, PaymentLine
from core.payments import (
    PaymentLineInput,
    batch_approve,
    batch_bank_file,
    batch_cancel,
    batch_create,
    batch_record_results_upload,
    line_record_result,
)
from core.roles import Role
from core.tests.factories import DepartmentFactory, user_with_role
from core.xlsx import XlsxError, XlsxWriter

pytestmark = pytest.mark.django_db

KIND = "test.pay"
ACCOUNT = "6222020200112233445"


class Calls:
    def __init__(self):
        self.paid, self.failed, self.cancelled = [], [], []
        self.actors = []


@pytest.fixture
def calls():
    recorder = Calls()
    payments.register_payment_kind(
        KIND,
        on_paid=lambda obj, line, _actor: recorder.paid.append(obj.pk),
        on_failed=lambda obj, line, _actor: recorder.failed.append((obj.pk, line.failure_reason)),
        on_cancelled=lambda obj, line, actor: (
            recorder.cancelled.append(obj.pk),
            recorder.actors.append(actor),
        ),
        label="测试",
    )
    yield recorder
    payments._KINDS.pop(KIND, None)


@pytest.fixture
def maker():
    return user_with_role(Role.FINANCE)


@pytest.fixture
def checker():
    return user_with_role(Role.FINANCE)


def _line(obj, amount="800.00", *, reference=None, account=ACCOUNT):
    return PaymentLineInput(
        obj=obj,
        reference=reference or f"SC-{obj.pk:06d}",
        payee_kind="person",
        payee_name=f"收款人{obj.pk}",
        bank_name="中国工商银行许昌分行",
        account=account,
        amount=Decimal(amount),
    )


def _batch(maker, *objects, amounts=None):
    amounts = amounts or ["800.00"] * len(objects)
    return batch_create(
        kind=KIND, lines=[_line(o, a) for o, a in zip(objects, amounts, strict=True)], actor=maker
    )


def _approved(maker, checker, *objects, amounts=None):
    return batch_approve(batch=_batch(maker, *objects, amounts=amounts), actor=checker)


# Creating -----------------------------------------------------------------------------------


def test_create_sets_number_totals_and_encrypts_account(calls, maker):
    a, b = DepartmentFactory(), DepartmentFactory()
    batch = _batch(maker, a, b, amounts=["800.00", "1200.50"])
    assert batch.status == PaymentBatch.Status.DRAFT
    assert batch.number.startswith("BT")
    assert len(batch.number) == 12
    assert batch.line_count == 2
    assert batch.total_amount == Decimal("2000.50")
    line = batch.lines.first()
    assert ACCOUNT not in line.account_encrypted
    assert line.account_masked == "6222****3445"
    assert AuditEvent.objects.for_object(batch).filter(action="payment.batch_create").exists()
    second = _batch(maker, DepartmentFactory())
    assert int(second.number[-4:]) == int(batch.number[-4:]) + 1


def test_create_refused_for_non_finance(calls):
    with pytest.raises(PermissionDenied):
        _batch(user_with_role(Role.REVIEWER), DepartmentFactory())


def test_create_refused_when_empty(calls, maker):
    with pytest.raises(RuleViolation, match="名单为空"):
        batch_create(kind=KIND, lines=[], actor=maker)


def test_create_refuses_bad_account_and_amount(calls, maker):
    dept = DepartmentFactory()
    with pytest.raises(RuleViolation, match="收款账号无效"):
        batch_create(kind=KIND, lines=[_line(dept, account="12ab")], actor=maker)
    with pytest.raises(RuleViolation, match="金额必须大于0"):
        batch_create(kind=KIND, lines=[_line(dept, "0.00")], actor=maker)
    assert PaymentBatch.objects.count() == 0


def test_object_in_a_live_batch_cannot_join_another(calls, maker):
    dept = DepartmentFactory()
    first = _batch(maker, dept)
    with pytest.raises(RuleViolation, match=f"已在拨付批次 {first.number} 中"):
        _batch(maker, DepartmentFactory(), dept)
    assert PaymentBatch.objects.count() == 1


def test_paid_object_can_never_be_paid_again(calls, maker, checker):
    dept = DepartmentFactory()
    batch = _approved(maker, checker, dept)
    line_record_result(line=batch.lines.get(), paid=True, actor=checker)
    with pytest.raises(RuleViolation, match="已拨付，不能重复拨付"):
        _batch(maker, dept)


def test_failed_object_can_be_reissued_in_a_new_batch(calls, maker, checker):
    dept = DepartmentFactory()
    batch = _approved(maker, checker, dept)
    line_record_result(line=batch.lines.get(), paid=False, reason="账户已销户", actor=maker)
    assert calls.failed == [(dept.pk, "账户已销户")]
    again = _batch(maker, dept)
    assert again.lines.get().object_id == dept.pk


def test_database_refuses_two_live_lines_for_one_object(calls, maker):
    dept = DepartmentFactory()
    batch = _batch(maker, dept)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLine.objects.create(
            batch=batch,
            content_type=ContentType.objects.get_for_model(Department),
            object_id=dept.pk,
            reference="OTHER",
            payee_kind="person",
            payee_name="x",
            bank_name="x",
            account_encrypted="x",
            account_masked="x",
            amount=Decimal(1),
        )


def test_database_refuses_non_positive_amount(calls, maker):
    batch = _batch(maker, DepartmentFactory())
    line = batch.lines.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLine.objects.filter(pk=line.pk).update(amount=Decimal(0))


# Approving and cancelling -------------------------------------------------------------------


def test_maker_cannot_approve_own_batch(calls, maker, checker):
    batch = _batch(maker, DepartmentFactory())
    with pytest.raises(RuleViolation, match="制单人不能复核本批次"):
        batch_approve(batch=batch, actor=maker)
    approved = batch_approve(batch=batch, actor=checker)
    assert approved.status == PaymentBatch.Status.APPROVED
    assert approved.approved_by == checker


def test_database_refuses_maker_as_checker(calls, maker):
    batch = _batch(maker, DepartmentFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentBatch.objects.filter(pk=batch.pk).update(approved_by=maker)


def test_reviewer_cannot_approve_a_batch(calls, maker):
    batch = _batch(maker, DepartmentFactory())
    with pytest.raises(PermissionDenied):
        batch_approve(batch=batch, actor=user_with_role(Role.REVIEWER))


def test_approve_refused_when_lines_do_not_add_up(calls, maker, checker):
    batch = _batch(maker, DepartmentFactory())
    PaymentBatch.objects.filter(pk=batch.pk).update(total_amount=Decimal("1.00"))
    with pytest.raises(RuleViolation, match="明细与合计不符"):
        batch_approve(batch=batch, actor=checker)


def test_cancel_draft_frees_objects(calls, maker):
    dept = DepartmentFactory()
    batch = _batch(maker, dept)
    with pytest.raises(ValidationError):
        batch_cancel(batch=batch, actor=maker, reason="")
    batch_cancel(batch=batch, actor=maker, reason="金额有误")
    assert calls.cancelled == [dept.pk]
    assert calls.actors == [maker]  # the callback learns who cancelled
    assert batch.lines.get().status == PaymentLine.Status.CANCELLED
    _batch(maker, dept)  # free again


def test_approved_batch_cannot_be_cancelled(calls, maker, checker):
    batch = _approved(maker, checker, DepartmentFactory())
    with pytest.raises(RuleViolation, match="只有待复核"):
        batch_cancel(batch=batch, actor=maker, reason="x")


# The bank file ------------------------------------------------------------------------------


def _sheet_rows(data):
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_bank_file_not_available_before_approval(calls, maker):
    with pytest.raises(RuleViolation, match="复核后方可导出"):
        batch_bank_file(batch=_batch(maker, DepartmentFactory()))


def test_bank_file_lists_full_accounts_and_total_equals_sum(
    calls, maker, checker, django_assert_max_num_queries
):
    objects = [DepartmentFactory() for _ in range(3)]
    batch = _approved(maker, checker, *objects, amounts=["800.00", "1200.50", "0.01"])
    with django_assert_max_num_queries(1):
        data = batch_bank_file(batch=batch)
    rows = _sheet_rows(data)
    assert batch.number in rows[0][0]
    assert rows[1] == ["序号", "收款人", "收款类型", "开户银行", "账号", "金额（元）", "业务编号"]
    body = rows[2:-1]
    assert [r[0] for r in body] == [1, 2, 3]
    assert all(r[4] == ACCOUNT for r in body)  # full number, as text
    assert all(r[2] == "个人" for r in body)
    total_row = rows[-1]
    assert total_row[0] == "合计"
    assert Decimal(str(total_row[5])) == sum(Decimal(str(r[5])) for r in body)
    assert Decimal(str(total_row[5])) == batch.total_amount == Decimal("2000.51")


def test_bank_file_is_byte_identical_on_re_export(calls, maker, checker):
    batch = _approved(maker, checker, DepartmentFactory(), DepartmentFactory())
    first = batch_bank_file(batch=batch)
    batch.refresh_from_db()
    second = batch_bank_file(batch=batch)
    assert first == second


def test_bank_file_text_is_never_a_formula(calls, maker, checker):
    dept = DepartmentFactory()
    line = _line(dept)
    hostile = PaymentLineInput(**{**line.__dict__, "payee_name": '=HYPERLINK("x")'})
    batch = batch_create(kind=KIND, lines=[hostile], actor=maker)
    batch = batch_approve(batch=batch, actor=checker)
    workbook = openpyxl.load_workbook(io.BytesIO(batch_bank_file(batch=batch)))
    cell = workbook.active["B3"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("x")'


# Results ------------------------------------------------------------------------------------


def test_results_close_the_batch_when_every_line_has_one(calls, maker, checker):
    a, b = DepartmentFactory(), DepartmentFactory()
    batch = _approved(maker, checker, a, b)
    lines = list(batch.lines.order_by("pk"))
    line_record_result(line=lines[0], paid=True, actor=checker)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.APPROVED
    with pytest.raises(ValidationError):
        line_record_result(line=lines[1], paid=False, reason="", actor=checker)
    line_record_result(line=lines[1], paid=False, reason="户名不符", actor=checker)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.CLOSED
    assert calls.paid == [a.pk]
    assert calls.failed == [(b.pk, "户名不符")]
    with pytest.raises(RuleViolation):
        line_record_result(line=lines[0], paid=False, reason="x", actor=checker)


def test_results_refused_on_draft_and_for_reviewer(calls, maker, checker):
    batch = _batch(maker, DepartmentFactory())
    with pytest.raises(RuleViolation, match="复核后"):
        line_record_result(line=batch.lines.get(), paid=True, actor=checker)
    batch_approve(batch=batch, actor=checker)
    with pytest.raises(PermissionDenied):
        line_record_result(line=batch.lines.get(), paid=True, actor=user_with_role(Role.REVIEWER))


def _results_file(rows, headers=payments.RESULT_HEADERS):
    buffer = io.BytesIO()
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(payments.RESULT_SHEET, headers)
        for row in rows:
            writer.append(sheet, row)
        writer.save(buffer)
    buffer.seek(0)
    buffer.name = "results.xlsx"
    return buffer


def test_results_upload_records_all(calls, maker, checker):
    a, b = DepartmentFactory(), DepartmentFactory()
    batch = _approved(maker, checker, a, b)
    ref_a, ref_b = batch.lines.order_by("pk").values_list("reference", flat=True)
    count = batch_record_results_upload(
        batch=batch,
        file=_results_file([[ref_a, "成功", None], [ref_b, "失败", "账号不存在"]]),
        actor=maker,
    )
    assert count == 2
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.CLOSED
    assert calls.failed == [(b.pk, "账号不存在")]


def test_results_upload_is_all_or_nothing_with_row_errors(calls, maker, checker):
    a, b = DepartmentFactory(), DepartmentFactory()
    batch = _approved(maker, checker, a, b)
    ref_a, ref_b = batch.lines.order_by("pk").values_list("reference", flat=True)
    upload = _results_file(
        [
            [ref_a, "成功", None],
            [ref_b, "失败", None],
            ["SC-NOPE", "成功", None],
            [ref_a, "成功", None],
        ]
    )
    with pytest.raises(XlsxError) as excinfo:
        batch_record_results_upload(batch=batch, file=upload, actor=maker)
    text = "\n".join(excinfo.value.messages)
    assert "第3行" in text
    assert "失败原因" in text
    assert "SC-NOPE" in text
    assert f"{ref_a} 重复" in text
    assert not batch.lines.exclude(status=PaymentLine.Status.PENDING).exists()
    assert calls.paid == []


# Concurrency --------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_put_an_object_in_one_batch_only(calls):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL (set DATABASE_URL=postgres://...)")
    makers = [user_with_role(Role.FINANCE) for _ in range(8)]
    dept = DepartmentFactory()
    barrier = threading.Barrier(len(makers))
    outcomes = []

    def build(user):
        try:
            barrier.wait()
            _batch(user, dept)
            outcomes.append("ok")
        except RuleViolation as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=build, args=(u,)) for u in makers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"payment_in_batch", "batch_number"}
    assert PaymentLine.objects.filter(object_id=dept.pk).count() == 1
