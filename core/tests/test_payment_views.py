"""Payment batch pages: permission matrix, maker-checker, bank file, results entry."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from core import payments
from core.models import AuditEvent, PaymentBatch, PaymentLine
from core.payments import PaymentLineInput, batch_approve, batch_create
from core.roles import Role
from core.tests.factories import DepartmentFactory, user_with_role
from core.xlsx import XlsxWriter

pytestmark = pytest.mark.django_db

KIND = "test.viewpay"
ACCOUNT = "6222020200112233445"


@pytest.fixture
def kind():
    payments.register_payment_kind(
        KIND,
        on_paid=lambda obj, line, _actor: None,
        on_failed=lambda obj, line, _actor: None,
        label="测试",
    )
    yield
    payments._KINDS.pop(KIND, None)


@pytest.fixture
def maker():
    return user_with_role(Role.FINANCE)


@pytest.fixture
def checker():
    return user_with_role(Role.FINANCE)


def _batch(maker, count=2):
    return batch_create(
        kind=KIND,
        lines=[
            PaymentLineInput(
                obj=DepartmentFactory(),
                reference=f"SC-{i:04d}",
                payee_kind="person",
                payee_name=f"收款人{i}",
                bank_name="中国银行",
                account=ACCOUNT,
                amount=Decimal("500.00"),
            )
            for i in range(count)
        ],
        actor=maker,
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        (Role.WORKER, 403),
        (Role.REVIEWER, 403),
        (Role.INSTITUTION, 403),
        (Role.CLERK, 403),
        (Role.FINANCE, 200),
        (Role.OFFICE, 200),
        (Role.AUDITOR, 200),
    ],
)
def test_batch_pages_permission_matrix(client, kind, maker, role, expected):
    batch = _batch(maker)
    if role is not None:
        client.force_login(user_with_role(role))
    assert client.get(reverse("core:batch_list")).status_code == expected
    response = client.get(reverse("core:batch_detail", args=[batch.pk]))
    assert response.status_code == expected
    if expected == 200:
        body = response.content.decode()
        assert "6222****3445" in body
        assert ACCOUNT not in body  # pages show masked numbers only


@pytest.mark.parametrize("role", [Role.OFFICE, Role.AUDITOR, Role.REVIEWER])
def test_non_finance_cannot_approve_or_download(client, kind, maker, checker, role):
    batch = _batch(maker)
    client.force_login(user_with_role(role))
    assert client.post(reverse("core:batch_approve", args=[batch.pk])).status_code == 403
    batch_approve(batch=batch, actor=checker)
    assert client.get(reverse("core:batch_bank_file", args=[batch.pk])).status_code == 403


def test_maker_sees_no_approve_button_and_post_is_refused(client, kind, maker):
    batch = _batch(maker)
    client.force_login(maker)
    body = client.get(reverse("core:batch_detail", args=[batch.pk])).content.decode()
    assert "batch-approve-button" not in body
    assert "须由另一名财政人员复核" in body
    response = client.post(reverse("core:batch_approve", args=[batch.pk]), follow=True)
    assert "制单人不能复核本批次" in response.content.decode()
    assert PaymentBatch.objects.get().status == PaymentBatch.Status.DRAFT


def test_checker_approves_and_downloads_bank_file(client, kind, maker, checker):
    batch = _batch(maker)
    client.force_login(checker)
    assert client.post(reverse("core:batch_approve", args=[batch.pk])).status_code == 302
    response = client.get(reverse("core:batch_bank_file", args=[batch.pk]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["E3"].value == ACCOUNT
    assert AuditEvent.objects.filter(action="payment.bank_file_download").count() == 1


def test_bank_file_of_draft_redirects_with_message(client, kind, maker):
    batch = _batch(maker)
    client.force_login(maker)
    response = client.get(reverse("core:batch_bank_file", args=[batch.pk]), follow=True)
    assert "复核后方可导出" in response.content.decode()


def test_cancel_needs_reason(client, kind, maker):
    batch = _batch(maker)
    client.force_login(maker)
    url = reverse("core:batch_cancel", args=[batch.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "金额有误"}).status_code == 302
    assert PaymentBatch.objects.get().status == PaymentBatch.Status.CANCELLED


def test_line_result_form(client, kind, maker, checker):
    batch = batch_approve(batch=_batch(maker), actor=checker)
    first, second = batch.lines.order_by("pk")
    client.force_login(maker)
    url = reverse("core:line_record_result", args=[batch.pk, first.pk])
    prefix = f"l{first.pk}"
    response = client.post(url, {f"{prefix}-result": "failed", f"{prefix}-reason": ""})
    assert response.status_code == 400
    assert "拨付失败须填写失败原因" in response.content.decode()
    response = client.post(url, {f"{prefix}-result": "paid", f"{prefix}-reason": ""})
    assert response.status_code == 302
    assert PaymentLine.objects.get(pk=first.pk).status == PaymentLine.Status.PAID
    other = reverse("core:line_record_result", args=[batch.pk + 999, second.pk])
    assert client.post(other, {}).status_code == 404


def _upload(rows):
    buffer = io.BytesIO()
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(payments.RESULT_SHEET, payments.RESULT_HEADERS)
        for row in rows:
            writer.append(sheet, row)
        writer.save(buffer)
    buffer.seek(0)
    buffer.name = "结果.xlsx"
    return buffer


def test_results_upload_errors_rerender_400_and_success_closes(client, kind, maker, checker):
    batch = batch_approve(batch=_batch(maker), actor=checker)
    client.force_login(checker)
    url = reverse("core:batch_results_upload", args=[batch.pk])
    response = client.post(url, {"file": _upload([["SC-0000", "也许", None]])})
    assert response.status_code == 400
    assert "应为“成功”或“失败”" in response.content.decode()
    response = client.post(
        url, {"file": _upload([["SC-0000", "成功", None], ["SC-0001", "失败", "户名不符"]])}
    )
    assert response.status_code == 302
    assert PaymentBatch.objects.get().status == PaymentBatch.Status.CLOSED


def test_results_template_lists_pending_references(client, kind, maker, checker):
    batch = batch_approve(batch=_batch(maker), actor=checker)
    client.force_login(checker)
    response = client.get(reverse("core:batch_results_template", args=[batch.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "SC-0000",
        "SC-0001",
    ]


def test_batch_list_query_count_is_constant(
    client, kind, maker, checker, django_assert_max_num_queries
):
    for _ in range(5):
        _batch(maker, count=1)
    client.force_login(checker)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("core:batch_list"))
    assert response.status_code == 200
