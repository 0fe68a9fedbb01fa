"""Enterprise education funds (职工教育经费): the credit-code check, the amount due computed by
hand at its boundaries, the rate range (form, service and database), the upload all or nothing
with row errors, the list for the tax office, the pages' permission matrix and query counts,
the audit-workbook sheet and the panel."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from core.exports import write_exporters
from core.models import AuditEvent, County
from core.roles import Role
from core.tests.factories import user_with_role
from core.xlsx import XlsxError, XlsxWriter
from training.exports_labour import FundReturnsExporter
from training.models import EducationFundReturn, EducationFundRule, Enterprise, Institution
from training.models.enterprise_funds import (
    credit_code_check_char,
    fund_due,
    validate_credit_code,
)
from training.selectors import enterprise_funds as selectors
from training.services import enterprise_funds as svc
from training.services.enterprise_funds import ReturnInput
from training.services.plan import plan_load
from training.tests.factories import clerk_of
from training.tests.test_institutions_support import at, office_user

pytestmark = pytest.mark.django_db

MIN, SHARE = Decimal("0.015"), Decimal("0.60")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(at(2014, 6, 20, 10), tick=False)
    return time_machine


def credit_code(n: int) -> str:
    first17 = f"91411000MA{n:07d}"
    return first17 + credit_code_check_char(first17)


def enterprise(n: int = 1, *, above_scale: bool = True, name: str | None = None) -> Enterprise:
    return Enterprise.objects.create(
        name=name or f"许昌测试企业{n}有限公司",
        credit_code=credit_code(n),
        above_scale=above_scale,
        county=County.objects.order_by("sort_order").first(),
    )


def entry(**overrides) -> ReturnInput:
    values = {
        "year": 2013,
        "payroll": Decimal("1000000.00"),
        "rate": Decimal("0.015"),
        "spent_on_training": Decimal("0.00"),
        "did_training": False,
    }
    values.update(overrides)
    return ReturnInput(**values)


@pytest.fixture
def office(plan):
    return office_user()


# ------------------------------------------------------------------------------
# Credit code
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["91350100M000100Y43", "91110000802100433B", "91440300708461136T", "911000001000013428"]
)
def test_real_credit_codes_pass(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y44", "校验位"),
        ("91350100M000100Y4", "18位"),
        ("91350100M0001O0Y43", "无效字符"),
        ("91350100M000100Z43", "无效字符"),
    ],
)
def test_bad_credit_codes_are_refused_with_the_reason(code, message):
    with pytest.raises(ValidationError, match=message):
        validate_credit_code(code)


# ------------------------------------------------------------------------------
# The amount due, by hand
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payroll", "above", "trained", "due"),
    [
        # 1,000,000 × 1.5% × 60% = 9,000.00
        (Decimal("1000000.00"), True, False, Decimal("9000.00")),
        # not above scale: nothing due
        (Decimal("1000000.00"), False, False, Decimal("0.00")),
        # did training: nothing due
        (Decimal("1000000.00"), True, True, Decimal("0.00")),
        # 100.50 × 0.015 × 0.6 = 0.9045 → 0.90
        (Decimal("100.50"), True, False, Decimal("0.90")),
        # 5.00 × 0.015 × 0.6 = 0.045 → 0.05 (half up; half-even would give 0.04)
        (Decimal("5.00"), True, False, Decimal("0.05")),
        # 105.00 × 0.009 = 0.945 → 0.95 (half even would give 0.94)
        (Decimal("105.00"), True, False, Decimal("0.95")),
        # 55.00 × 0.009 = 0.495 → 0.50
        (Decimal("55.00"), True, False, Decimal("0.50")),
    ],
)
def test_amount_due_by_hand(payroll, above, trained, due):
    assert (
        fund_due(
            payroll=payroll,
            above_scale=above,
            did_training=trained,
            min_rate=MIN,
            collection_share=SHARE,
        )
        == due
    )


def test_plan_load_holds_the_rule_and_is_idempotent(plan):
    rule = EducationFundRule.objects.get(campaign=plan)
    assert (rule.min_rate, rule.max_rate, rule.collection_share) == (
        Decimal("0.015"),
        Decimal("0.025"),
        Decimal("0.60"),
    )
    again = plan_load()
    assert "education_fund" not in again.created
    assert "education_fund" not in again.updated


def test_due_uses_the_minimum_rate_not_the_declared_one(plan, office):
    """An enterprise that declared 2.5% but did no training owes 60% of 1.5% of its payroll."""
    saved = svc.fund_return_save(
        campaign=plan,
        enterprise=enterprise(),
        data=entry(rate=Decimal("0.025"), payroll=Decimal("2000000.00")),
        actor=office,
    )
    assert saved.set_aside == Decimal("50000.00")
    assert saved.should_set_aside == Decimal("30000.00")
    assert saved.due == Decimal("18000.00")
    assert AuditEvent.objects.get(action="fund_return.create").changes["due"] == "18000.00"


def test_nothing_set_aside_still_owes_on_the_minimum(plan, office):
    saved = svc.fund_return_save(
        campaign=plan, enterprise=enterprise(), data=entry(rate=None), actor=office
    )
    assert saved.set_aside == Decimal("0.00")
    assert saved.due == Decimal("9000.00")


def test_a_second_save_replaces_the_year_and_audits_the_change(plan, office):
    firm = enterprise()
    svc.fund_return_save(campaign=plan, enterprise=firm, data=entry(), actor=office)
    svc.fund_return_save(
        campaign=plan, enterprise=firm, data=entry(did_training=True), actor=office
    )
    saved = EducationFundReturn.objects.get(enterprise=firm, year=2013)
    assert saved.due == Decimal("0.00")
    change = AuditEvent.objects.get(action="fund_return.update").changes
    assert change["due"] == ["9000.00", "0.00"]
    svc.fund_return_save(
        campaign=plan, enterprise=firm, data=entry(did_training=True), actor=office
    )
    assert AuditEvent.objects.filter(action="fund_return.update").count() == 1


@pytest.mark.parametrize(
    ("rate", "ok"),
    [
        (Decimal("0.015"), True),
        (Decimal("0.0149"), False),
        (Decimal("0.025"), True),
        (Decimal("0.0251"), False),
        (None, True),
    ],
)
def test_rate_range_both_sides(plan, office, rate, ok):
    firm = enterprise()
    if ok:
        svc.fund_return_save(campaign=plan, enterprise=firm, data=entry(rate=rate), actor=office)
        assert EducationFundReturn.objects.filter(enterprise=firm).exists()
    else:
        with pytest.raises(ValidationError) as exc:
            svc.fund_return_save(
                campaign=plan, enterprise=firm, data=entry(rate=rate), actor=office
            )
        assert exc.value.message_dict["rate"] == ["提取比例应在1.5%至2.5%之间（未提取的请留空）"]


def test_database_refuses_a_rate_outside_the_rule(plan, office):
    saved = svc.fund_return_save(campaign=plan, enterprise=enterprise(), data=entry(), actor=office)
    with pytest.raises(IntegrityError), transaction.atomic():
        EducationFundReturn.objects.filter(pk=saved.pk).update(rate=Decimal("0.0300"))


def test_payroll_must_be_positive_and_only_the_office_enters(plan, office):
    with pytest.raises(ValidationError) as exc:
        svc.fund_return_save(
            campaign=plan, enterprise=enterprise(), data=entry(payroll=Decimal(0)), actor=office
        )
    assert "payroll" in exc.value.message_dict
    for role in (Role.FINANCE, Role.AUDITOR, Role.CLERK):
        with pytest.raises(PermissionDenied):
            svc.fund_return_save(
                campaign=plan,
                enterprise=Enterprise.objects.get(),
                data=entry(),
                actor=user_with_role(role),
            )


def test_enterprise_create_checks_the_code_and_uniqueness(plan, office):
    svc.enterprise_create(
        data={"name": "许继集团", "credit_code": credit_code(7).lower(), "above_scale": True},
        actor=office,
    )
    assert Enterprise.objects.get().credit_code == credit_code(7)
    with pytest.raises(ValidationError) as exc:
        svc.enterprise_create(data={"name": "重复", "credit_code": credit_code(7)}, actor=office)
    assert "credit_code" in exc.value.message_dict
    with pytest.raises(ValidationError, match="校验位"):
        svc.enterprise_create(
            data={"name": "错码", "credit_code": credit_code(8)[:17] + "0"}, actor=office
        )


# ------------------------------------------------------------------------------
# Upload
# ------------------------------------------------------------------------------


def workbook(rows, *, headers=svc.UPLOAD_HEADERS, sheet=svc.UPLOAD_SHEET) -> bytes:
    handle = io.BytesIO()
    with XlsxWriter() as writer:
        ws = writer.add_sheet(sheet, headers)
        for row in rows:
            writer.append(ws, row)
        writer.save(handle)
    return handle.getvalue()


def test_upload_saves_every_row(plan, office):
    a, b = enterprise(1), enterprise(2, above_scale=False)
    data = workbook(
        [
            [a.credit_code, a.name, 2013, "1000000", "1.5", "0", "否"],
            [b.credit_code, b.name, 2013, "500000.50", None, "100", "否"],
        ]
    )
    summary = svc.fund_returns_import(
        campaign=plan, fileobj=io.BytesIO(data), filename="经费.xlsx", actor=office
    )
    assert (summary.created, summary.updated) == (2, 0)
    assert EducationFundReturn.objects.get(enterprise=a).due == Decimal("9000.00")
    assert EducationFundReturn.objects.get(enterprise=b).due == Decimal("0.00")
    assert EducationFundReturn.objects.get(enterprise=b).rate is None
    assert AuditEvent.objects.get(action="fund_return.import").changes["created"] == 2


def test_upload_is_all_or_nothing_and_names_every_bad_cell(plan, office):
    a, b = enterprise(1), enterprise(2)
    data = workbook(
        [
            [a.credit_code, a.name, 2013, "1000000", "1.5", "0", "否"],  # fine
            [b.credit_code, "别的名字", 2013, "1000000", "3", "0", "也许"],  # three errors
            [credit_code(9), "未登记企业", 2013, "1000", "2", "0", "是"],  # not registered
            [a.credit_code, a.name, 2013, "1", "2", "0", "是"],  # duplicate of row 2
        ]
    )
    with pytest.raises(XlsxError) as exc:
        svc.fund_returns_import(
            campaign=plan, fileobj=io.BytesIO(data), filename="经费.xlsx", actor=office
        )
    messages = exc.value.messages
    assert any("第3行第E列" in m and "1.5%至2.5%" in m for m in messages)
    assert any("第3行第G列" in m and "“是”或“否”" in m for m in messages)
    assert not EducationFundReturn.objects.exists()
    # With the cell errors fixed, the register checks run and still save nothing.
    data = workbook(
        [
            [a.credit_code, a.name, 2013, "1000000", "1.5", "0", "否"],
            [b.credit_code, "别的名字", 2013, "1000000", "2", "0", "是"],
            [credit_code(9), "未登记企业", 2013, "1000", "2", "0", "是"],
            [a.credit_code, a.name, 2013, "1", "2", "0", "是"],
        ]
    )
    with pytest.raises(XlsxError) as exc:
        svc.fund_returns_import(
            campaign=plan, fileobj=io.BytesIO(data), filename="经费.xlsx", actor=office
        )
    messages = exc.value.messages
    assert any("第3行第B列" in m and "不一致" in m for m in messages)
    assert any("第4行第A列" in m and "未登记" in m for m in messages)
    assert any("第5行第C列" in m and "与第2行重复" in m for m in messages)
    assert not EducationFundReturn.objects.exists()


def test_upload_refuses_a_numeric_credit_code_and_a_bad_check_char(plan, office):
    a = enterprise(1)
    data = workbook(
        [
            [9.11000001000013e17, a.name, 2013, "1000", "2", "0", "是"],
            [a.credit_code[:17] + "X", a.name, 2013, "1000", "2", "0", "是"],
        ]
    )
    with pytest.raises(XlsxError) as exc:
        svc.fund_returns_import(
            campaign=plan, fileobj=io.BytesIO(data), filename="经费.xlsx", actor=office
        )
    text = "\n".join(exc.value.messages)
    assert "第2行第A列（统一社会信用代码）：统一社会信用代码必须以文本格式填写" in text
    assert "第3行第A列" in text


# ------------------------------------------------------------------------------
# Pages and downloads
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("worker", 403),
        ("clerk", 403),
        ("institution", 403),
        ("reviewer", 403),
        ("finance", 200),
        ("auditor", 200),
        ("office", 200),
    ],
)
@pytest.mark.parametrize("name", ["enterprise_list", "fund_return_list"])
def test_read_pages_permission_matrix(client, plan, who, status, name):
    users = {
        "worker": lambda: user_with_role(Role.WORKER),
        "clerk": lambda: clerk_of("gxj"),
        "institution": lambda: user_with_role(
            Role.INSTITUTION, institution=Institution.objects.first()
        ),
        "reviewer": lambda: user_with_role(Role.REVIEWER),
        "finance": lambda: user_with_role(Role.FINANCE),
        "auditor": lambda: user_with_role(Role.AUDITOR),
        "office": office_user,
    }
    if who != "anonymous":
        client.force_login(users[who]())
    assert client.get(reverse(f"training:{name}")).status_code == status


@pytest.mark.parametrize("role", [Role.FINANCE, Role.AUDITOR])
def test_readers_cannot_write_or_download_the_tax_list(client, plan, role):
    firm = enterprise()
    client.force_login(user_with_role(role))
    assert client.get(reverse("training:enterprise_detail", args=[firm.pk])).status_code == 200
    for url in (
        reverse("training:enterprise_create"),
        reverse("training:enterprise_update", args=[firm.pk]),
        reverse("training:fund_upload"),
        reverse("training:fund_tax_list"),
        reverse("training:fund_upload_template"),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("training:fund_return_save", args=[firm.pk]), {})
    assert response.status_code == 403


def test_return_form_rate_outside_range_is_a_400_with_the_range(client, plan, office):
    firm = enterprise()
    client.force_login(office)
    url = reverse("training:fund_return_save", args=[firm.pk])
    form = {"year": 2013, "payroll": "1000000", "rate_percent": "2.6", "spent_on_training": "0"}
    response = client.post(url, form)
    assert response.status_code == 400
    assert "提取比例应在1.5%至2.5%之间" in response.content.decode()
    response = client.post(url, {**form, "rate_percent": "2.5"})
    assert response.status_code == 302
    assert EducationFundReturn.objects.get().rate == Decimal("0.025")


def test_upload_page_lists_errors_with_400_and_saves_on_success(client, plan, office):
    firm = enterprise()
    client.force_login(office)
    url = reverse("training:fund_upload")
    bad = SimpleUploadedFile(
        "bad.xlsx", workbook([[firm.credit_code, firm.name, 2013, "-5", "1.5", "0", "否"]]), XLSX
    )
    response = client.post(url, {"file": bad})
    assert response.status_code == 400
    assert "第2行第D列" in response.content.decode()
    good = SimpleUploadedFile(
        "good.xlsx", workbook([[firm.credit_code, firm.name, 2013, "5", "1.5", "0", "否"]]), XLSX
    )
    assert client.post(url, {"file": good}).status_code == 302
    assert EducationFundReturn.objects.get().due == Decimal("0.05")


def test_template_download_prefills_registered_enterprises_and_reads_back(client, plan, office):
    firm = enterprise()
    client.force_login(office)
    response = client.get(reverse("training:fund_upload_template") + "?year=2013")
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body))[svc.UPLOAD_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == svc.UPLOAD_HEADERS
    assert rows[1][:3] == (firm.credit_code, firm.name, 2013)


def test_tax_list_has_only_amounts_due_with_codes_as_text(
    client, plan, office, django_assert_max_num_queries
):
    owing = enterprise(1)
    trained = enterprise(2)
    small = enterprise(3, above_scale=False)
    for firm, did in ((owing, False), (trained, True), (small, False)):
        svc.fund_return_save(
            campaign=plan, enterprise=firm, data=entry(did_training=did), actor=office
        )
    for n in range(4, 24):
        svc.fund_return_save(campaign=plan, enterprise=enterprise(n), data=entry(), actor=office)
    client.force_login(office)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("training:fund_tax_list") + "?year=2013")
        body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    names = [row[1] for row in rows]
    assert owing.name in names
    assert trained.name not in names
    assert small.name not in names
    first = next(row for row in rows if row[1] == owing.name)
    assert first[2] == owing.credit_code
    assert sheet.cell(row=2, column=3).data_type == "s"
    assert first[7:] == (15000, 60, 9000)


def test_list_page_totals_and_query_count(client, plan, office, django_assert_max_num_queries):
    for n in range(1, 31):
        svc.fund_return_save(
            campaign=plan,
            enterprise=enterprise(n),
            data=entry(did_training=n % 3 == 0),
            actor=office,
        )
    client.force_login(office)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("training:fund_return_list"))
    page = response.content.decode()
    assert response.status_code == 200
    # 20 of 30 did no training: 20 × 9,000.00 = 180,000.00
    assert "应征收 20 家" in page
    assert "180000.00" in page


def test_sheet_and_panel(plan, office, django_assert_max_num_queries):
    svc.fund_return_save(campaign=plan, enterprise=enterprise(1), data=entry(), actor=office)
    svc.fund_return_save(
        campaign=plan, enterprise=enterprise(2), data=entry(year=2014, rate=None), actor=office
    )
    handle = io.BytesIO()
    with django_assert_max_num_queries(1):
        write_exporters(handle, [FundReturnsExporter(campaign=plan, user=None)])
    handle.seek(0)
    rows = list(openpyxl.load_workbook(handle)["职工教育经费"].iter_rows(values_only=True))
    assert rows[0][-1] == "应征收金额（元）"
    assert [r[0] for r in rows[1:]] == [2014, 2013]
    assert rows[2][6] == 1.5
    assert rows[1][6] is None
    panel = selectors.home_panel(user=office, campaign=plan)
    assert (panel["year"], panel["owing"], panel["due"]) == (2014, 1, Decimal("9000.00"))
    html = render_to_string("training/enterprise_funds/_home_panel.html", {"panel": panel})
    assert "应征收合计 <strong>9000.00</strong> 元" in html
