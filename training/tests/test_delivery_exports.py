"""The audit workbook's 培训机构 and 培训班 sheets, opened with openpyxl: their place after
报送情况, headers, figures for hand-built data, masked bank accounts, no formulas, and a
constant number of queries."""

import datetime
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import crypto
from core.exports import audit_exporter_classes, write_exporters
from core.models import County
from core.validators import mask_bank_account
from training.exports import ClassesExporter, InstitutionsExporter
from training.models import Inspection, Institution, TrainingClass
from training.tests.test_evidence import make_class

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3", '=HYPERLINK("http://x","点我")']
INSTITUTION_HEADERS = [
    "机构名称",
    "类型",
    "县（市、区）",
    "定点资格",
    "授牌日期",
    "开班数",
    "培训人数",
    "合格人数",
    "合格率%",
    "基本账户",
]
CLASS_HEADERS = [
    "班级编号",
    "班级名称",
    "培训机构",
    "培训类别",
    "责任单位",
    "职业",
    "培训类型",
    "开班日期",
    "结业日期",
    "计划课次",
    "状态",
    "学员数",
    "合格数",
    "完成抽查次数",
]
ACCOUNT = "6222021234567890123"


def book_of(plan, *exporters):
    buffer = io.BytesIO()
    write_exporters(buffer, [cls(campaign=plan, user=None) for cls in exporters])
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def value(cell):
    """Dates come back from openpyxl as naive midnight datetimes; compare them as dates."""
    if isinstance(cell.value, datetime.datetime):
        return cell.value.date()
    return cell.value


def rows_of(sheet) -> list[tuple]:
    return [tuple(value(cell) for cell in row) for row in sheet.iter_rows(min_row=2)]


def at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=SH)


@pytest.fixture
def college(plan):
    """许昌技师学院 with a basic account, a plaque, and two closed classes and one running."""
    institution = Institution.objects.get(name="许昌技师学院")
    institution.bank_account_encrypted = crypto.encrypt(ACCOUNT)
    institution.bank_account_masked = mask_bank_account(ACCOUNT)
    institution.plaque_granted_on = datetime.date(2013, 9, 18)
    institution.save()
    make_class(plan, 2, datetime.date(2014, 3, 20), trainees=10, passed=9)
    make_class(plan, 3, datetime.date(2014, 4, 20), trainees=10, passed=7)
    make_class(plan, 3, datetime.date(2014, 7, 20), status="approved", trainees=5)
    make_class(plan, 3, datetime.date(2014, 8, 20), status="refused", trainees=0)
    make_class(plan, 3, datetime.date(2014, 8, 20), status="draft", trainees=0)
    return institution


def test_the_two_sheets_follow_the_submissions_sheet(plan):
    names = [cls.sheet_name for cls in audit_exporter_classes()]
    position = names.index("报送情况")
    assert names[position + 1 : position + 3] == ["培训机构", "培训班"]


def test_headers_are_bold_and_frozen(plan):
    book = book_of(plan, InstitutionsExporter, ClassesExporter)
    assert book.sheetnames == ["培训机构", "培训班"]
    for name, headers in (("培训机构", INSTITUTION_HEADERS), ("培训班", CLASS_HEADERS)):
        sheet = book[name]
        assert [cell.value for cell in sheet[1]] == headers
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.freeze_panes == "A2"


def test_institution_row_counts_opened_classes_and_its_pass_rate(plan, college):
    rows = {row[0]: row for row in rows_of(book_of(plan, InstitutionsExporter)["培训机构"])}

    assert len(rows) == Institution.objects.count() == 6
    row = rows["许昌技师学院"]
    assert row[1:5] == ("技工院校", "魏都区", "定点", datetime.date(2013, 9, 18))
    # Three classes opened (2 closed + 1 running; refused and draft did not); 25 trainees;
    # 16 passed of the 20 in closed classes = 80.0 %.
    assert row[5:8] == (3, 25, 16)
    assert row[8] == pytest.approx(80.0)
    assert row[9] == "6222****0123"
    assert rows["许昌陶瓷职业学院"][5:10] == (0, 0, 0, None, None)  # no account on file


def test_the_bank_account_is_masked_and_never_decrypted(plan, college, monkeypatch):
    def refuse(token):
        raise AssertionError("the audit sheet must not decrypt accounts")

    monkeypatch.setattr(crypto, "decrypt", refuse)
    book = book_of(plan, InstitutionsExporter)
    values = {cell.value for row in book["培训机构"].iter_rows() for cell in row}
    assert "6222****0123" in values
    assert ACCOUNT not in values
    assert not any(isinstance(v, str) and "7890" in v for v in values)


def test_revoked_and_warned_institutions_show_their_designation(plan):
    Institution.objects.filter(name="许昌技术经济学校").update(designation="revoked")
    Institution.objects.filter(name="许继技工学校").update(designation="warned", county=None)
    rows = {row[0]: row for row in rows_of(book_of(plan, InstitutionsExporter)["培训机构"])}
    assert rows["许昌技术经济学校"][3] == "已取消定点资格"
    assert rows["许继技工学校"][2:4] == (None, "警告")


def test_class_rows_carry_the_figures_and_leave_drafts_out(plan, college):
    closed = TrainingClass.objects.get(end_date=datetime.date(2014, 4, 20))
    for day in (2, 5, 9):
        Inspection.objects.create(
            training_class=closed,
            planned_date=datetime.date(2014, 4, day),
            done_at=at(datetime.date(2014, 4, day)),
        )
    Inspection.objects.create(training_class=closed, planned_date=datetime.date(2014, 4, 12))

    rows = rows_of(book_of(plan, ClassesExporter)["培训班"])

    assert [row[10] for row in rows] == ["已结业", "已结业", "已批准开班", "未批准"]
    row = rows[1]
    assert row[0] == closed.code
    assert row[1:7] == (
        closed.name,
        "许昌技师学院",
        "农村劳动力培训",
        "许昌市人力资源和社会保障局",
        "钳工",
        "就业技能培训",
    )
    assert row[7:10] == (datetime.date(2014, 3, 31), datetime.date(2014, 4, 20), 20)
    assert row[11:] == (10, 7, 3)  # a planned, undone inspection does not count
    assert rows[2][11:] == (5, 0, 0)
    assert rows[3][11:] == (0, 0, 0)


def test_no_cell_is_a_formula_even_with_hostile_names(plan, college):
    Institution.objects.filter(pk=college.pk).update(name=HOSTILE[0])
    County.objects.filter(code="weidu").update(name=HOSTILE[1])
    for training_class, text in zip(
        TrainingClass.objects.order_by("pk"), HOSTILE[2:], strict=False
    ):
        TrainingClass.objects.filter(pk=training_class.pk).update(name=text, teachers=text)

    book = book_of(plan, InstitutionsExporter, ClassesExporter)

    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert set(HOSTILE) <= {cell.value for cell in cells}


def test_query_count_is_the_same_for_5_and_50_classes(plan):
    def queries() -> tuple[int, dict[str, int]]:
        with CaptureQueriesContext(connection) as captured:
            counts = write_exporters(
                io.BytesIO(),
                [
                    InstitutionsExporter(campaign=plan, user=None),
                    ClassesExporter(campaign=plan, user=None),
                ],
                progress=lambda done, total: None,
            )
        return len(captured), counts

    for day in range(1, 6):
        make_class(plan, 2, datetime.date(2014, 5, day), trainees=3, passed=2)
    small, small_counts = queries()
    for day in range(1, 46):
        make_class(
            plan, 1 + day % 13, datetime.date(2014, 1, 1) + datetime.timedelta(days=day), trainees=3
        )
    large, large_counts = queries()

    assert small_counts == {"培训机构": 6, "培训班": 5}
    assert large_counts == {"培训机构": 6, "培训班": 50}
    assert small == large == 4  # per sheet: the count for the progress bar, the rows
