"""Excel round-trip of a monthly return: the pre-filled template, and the all-or-nothing upload.

Every refused file is checked for its exact Chinese message, its location (sheet, row, column)
and for leaving the database exactly as it was (returns, lines, figures, versions, audit rows).
Time is frozen inside May 2014's window: 2014-06-02 10:00 Asia/Shanghai.
"""

import datetime
import io
import os
import zipfile
from urllib.parse import quote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.errors import RuleViolation
from core.models import AuditEvent, Department
from core.roles import Role
from core.tests.factories import user_with_role
from core.xlsx import CellError, XlsxError
from training.exports import RETURN_HEADERS, ReturnTemplateExporter
from training.models import MonthlyReturn, ReturnLine, TrainingCategory
from training.services import returns as return_svc
from training.services.return_files import return_import
from training.tests import xlsx_samples as samples
from training.tests.factories import clerk_of, lines_for

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
MAY = datetime.date(2014, 5, 1)
SHEET = "月度报送"
INSIDE_WINDOW = datetime.datetime(2014, 6, 2, 10, 0, tzinfo=SH)
AFTER_LOCK = datetime.datetime(2014, 6, 11, 0, 0, tzinfo=SH)
SAVED = {"trained": 10, "passed": 8, "certified": 6, "employed": 5, "entrepreneurs": 1}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Every test makes users; the production hasher costs ~0.5 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _inside_the_window():
    with time_machine.travel(INSIDE_WINDOW, tick=False):
        yield


@pytest.fixture
def rsj_clerk(plan):
    return clerk_of("rsj")


@pytest.fixture
def saved(plan, rsj_clerk):
    """人社局's May return, saved once as a draft (version 1) with ``SAVED`` in every line."""
    return return_svc.return_save(
        campaign=plan,
        department=rsj_clerk.department,
        month=MAY,
        lines=lines_for(plan, "rsj", **SAVED),
        version=0,
        actor=rsj_clerk,
    )


@pytest.fixture
def template(plan, saved):
    """The template 人社局's clerk downloads: rows 2–5 hold categories 2, 3, 4, 5."""
    return samples.template_bytes(
        campaign=plan, department=saved.department, month=MAY, monthly_return=saved
    )


def _state() -> dict:
    """Everything an import could change."""
    return {
        "returns": sorted(MonthlyReturn.objects.values_list("pk", "status", "version")),
        "lines": sorted(
            ReturnLine.objects.values_list(
                "pk",
                "category_id",
                "trained",
                "passed",
                "certified",
                "employed",
                "entrepreneurs",
                "note",
            )
        ),
        "audit": AuditEvent.objects.filter(action__startswith="monthly_return.").count(),
    }


def _refused(plan, clerk, data: bytes, *, filename="月报.xlsx", version=1) -> XlsxError:
    """Import ``data`` expecting XlsxError, and check that nothing in the database changed."""
    before = _state()
    with pytest.raises(XlsxError) as excinfo:
        return_import(
            campaign=plan,
            department=clerk.department,
            month=MAY,
            fileobj=io.BytesIO(data),
            filename=filename,
            version=version,
            actor=clerk,
        )
    assert _state() == before
    assert not AuditEvent.objects.filter(action="monthly_return.import").exists()
    return excinfo.value


def _import(plan, clerk, data: bytes, *, version=1, filename="月报.xlsx") -> MonthlyReturn:
    return return_import(
        campaign=plan,
        department=clerk.department,
        month=MAY,
        fileobj=io.BytesIO(data),
        filename=filename,
        version=version,
        actor=clerk,
    )


def _figures(department_code="rsj") -> dict[int, dict[str, int]]:
    return {
        line.category.number: line.figures()
        for line in ReturnLine.objects.filter(
            monthly_return__department__code=department_code, monthly_return__month=MAY
        ).select_related("category")
    }


def _url(name: str, code: str = "rsj") -> str:
    return reverse(f"training:{name}", kwargs={"department": code, "month": MAY})


def _download(client) -> bytes:
    response = client.get(_url("return_download"))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# --- the template --------------------------------------------------------------------------


def test_download_is_the_prefilled_template_with_chinese_filename(
    client, saved, rsj_clerk, django_assert_max_num_queries
):
    client.force_login(rsj_clerk)
    with django_assert_max_num_queries(8):
        response = client.get(_url("return_download"))

    assert response.status_code == 200
    assert response["Content-Type"] == samples.XLSX_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote('市人社局_2014年05月_月度报送.xlsx')}" in disposition
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["月度报送", "填表说明"]
    sheet = workbook["月度报送"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == list(RETURN_HEADERS)
    assert rows[0] == [
        "单位代码",
        "单位名称",
        "报送月份",
        "序号",
        "培训类别",
        "培训人次",
        "考核合格",
        "取得证书",
        "实现就业",
        "成功创业",
        "备注",
    ]
    assert [row[3:5] for row in rows[1:]] == [
        [2, "下岗失业人员培训"],
        [3, "农村劳动力培训"],
        [4, "高校毕业生培训"],
        [5, "创业培训"],
    ]
    for row in rows[1:]:
        assert row[:3] == ["rsj", "许昌市人力资源和社会保障局", "2014-05"]
        assert row[5:10] == [10, 8, 6, 5, 1]
    assert sheet["C2"].data_type == "s"  # the month stays text, never an Excel date
    instructions = " ".join(cell.value for cell in workbook["填表说明"]["A"])
    assert "大于或等于0的整数" in instructions
    assert "不能大于同一行的培训人次" in instructions
    assert "不要修改" in instructions


def test_template_of_a_month_never_saved_is_prefilled_with_zeros(client, plan):
    client.force_login(clerk_of("nyj"))
    response = client.get(_url("return_download", "nyj"))

    assert response.status_code == 200
    assert (
        "filename*=utf-8''" + quote("市农业局_2014年05月_月度报送.xlsx")
        in (response["Content-Disposition"])
    )
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))["月度报送"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [row[3] for row in rows] == [8, 9]
    assert all(row[5:10] == [0, 0, 0, 0, 0] and row[10] is None for row in rows)


HOSTILE_NOTES = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3", "\t=1", '=HYPERLINK("x")']


def test_hostile_notes_are_downloaded_as_text_never_as_formulas(client, plan, rsj_clerk):
    client.force_login(rsj_clerk)
    version = 0
    for chunk in (HOSTILE_NOTES[:4], HOSTILE_NOTES[4:]):
        lines = lines_for(plan, "rsj", trained=3)
        for line, note in zip(lines, chunk, strict=False):
            line.note = note
        version = return_svc.return_save(
            campaign=plan,
            department=rsj_clerk.department,
            month=MAY,
            lines=lines,
            version=version,
            actor=rsj_clerk,
        ).version
        sheet = openpyxl.load_workbook(io.BytesIO(_download(client)))["月度报送"]
        notes = [sheet.cell(row=row, column=11) for row in range(2, 2 + len(chunk))]
        assert [cell.value for cell in notes] == chunk
        assert [cell.data_type for cell in notes] == ["s"] * len(chunk)
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_nul_in_a_note_is_dropped_and_the_rest_stays_text(plan):
    # PostgreSQL cannot store NUL, so the line is built in memory, as a bad legacy value would be.
    department = Department.objects.get(code="gxj")
    category = TrainingCategory.objects.get(campaign=plan, department=department)
    line = ReturnLine(category=category, trained=1, note="\x00=1")
    exporter = ReturnTemplateExporter(
        department=department, month=MAY, categories=[category], lines={category.pk: line}
    )
    out = io.BytesIO()
    exporter.write(out)

    cell = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["月度报送"]["K2"]
    assert cell.value == "=1"
    assert cell.data_type == "s"


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        (Role.OFFICE, None, 200),
        (Role.AUDITOR, None, 200),
        (Role.CLERK, "gxj", 404),
        (Role.REVIEWER, None, 403),
        (Role.FINANCE, "czj", 403),
    ],
)
def test_download_permission_matrix(client, saved, role, code, status):
    department = Department.objects.get(code=code) if code else None
    client.force_login(user_with_role(role, department=department))

    assert client.get(_url("return_download")).status_code == status


def test_download_needs_login(client, saved):
    response = client.get(_url("return_download"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- the round trip ------------------------------------------------------------------------


def test_round_trip_download_edit_upload_saves_the_figures(client, saved, rsj_clerk):
    client.force_login(rsj_clerk)
    data = samples.set_cells(
        _download(client), F2=20, G2=15, H2=12, I2=9, J2=2, K2="新增夜班", F5="7", G5=7
    )

    response = client.post(
        _url("return_upload"), {"file": samples.upload(data), "version": saved.version}
    )

    assert response.status_code == 302
    assert response["Location"] == _url("return_detail")
    figures = _figures()
    assert figures[2] == {
        "trained": 20,
        "passed": 15,
        "certified": 12,
        "employed": 9,
        "entrepreneurs": 2,
    }
    assert figures[5] == {**SAVED, "trained": 7, "passed": 7}
    assert figures[3] == figures[4] == SAVED
    saved.refresh_from_db()
    assert saved.version == 2
    assert saved.status == MonthlyReturn.Status.DRAFT
    assert ReturnLine.objects.get(monthly_return=saved, category__number=2).note == "新增夜班"
    event = AuditEvent.objects.get(action="monthly_return.import")
    assert event.changes == {"filename": "市人社局_2014年05月_月度报送.xlsx", "lines": 4}
    assert event.actor == rsj_clerk
    assert AuditEvent.objects.filter(action="monthly_return.save").count() == 2
    assert "已从文件“市人社局_2014年05月_月度报送.xlsx”导入2014年5月月报" in str(
        next(iter(get_messages(response.wsgi_request)))
    )


def test_first_upload_creates_the_return_without_a_version(client, plan):
    clerk = clerk_of("nyj")
    client.force_login(clerk)
    data = samples.set_cells(_download_for(client, "nyj"), F2=30, G2=28, F3=5)

    response = client.post(_url("return_upload", "nyj"), {"file": samples.upload(data)})

    assert response.status_code == 302
    ret = MonthlyReturn.objects.get(department=clerk.department, month=MAY)
    assert ret.version == 1
    assert _figures("nyj")[8]["trained"] == 30
    assert _figures("nyj")[9]["trained"] == 5


def _download_for(client, code: str) -> bytes:
    response = client.get(_url("return_download", code))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_hostile_notes_survive_an_unchanged_round_trip(client, plan, rsj_clerk):
    client.force_login(rsj_clerk)
    lines = lines_for(plan, "rsj", trained=3)
    for line, note in zip(lines, HOSTILE_NOTES[:4], strict=True):
        line.note = note
    ret = return_svc.return_save(
        campaign=plan,
        department=rsj_clerk.department,
        month=MAY,
        lines=lines,
        version=0,
        actor=rsj_clerk,
    )

    _import(plan, rsj_clerk, _download(client), version=ret.version)

    notes = list(
        ReturnLine.objects.filter(monthly_return=ret)
        .order_by("category__number")
        .values_list("note", flat=True)
    )
    assert notes == HOSTILE_NOTES[:4]


def test_month_retyped_by_excel_as_a_date_is_the_same_month(plan, rsj_clerk, template):
    data = samples.set_cells(template, C2=datetime.date(2014, 5, 1), C3="2014-5", F2=11)

    _import(plan, rsj_clerk, data)

    assert _figures()[2]["trained"] == 11


def test_returned_return_can_be_corrected_by_upload(plan, rsj_clerk, saved, template):
    office = user_with_role(Role.OFFICE)
    ret = return_svc.return_submit(monthly_return=saved, version=saved.version, actor=rsj_clerk)
    ret = return_svc.return_send_back(monthly_return=ret, reason="人次有误", actor=office)

    ret = _import(plan, rsj_clerk, samples.set_cells(template, F3=40), version=ret.version)

    assert ret.status == MonthlyReturn.Status.RETURNED
    assert _figures()[3]["trained"] == 40


# --- bad files: the file itself ------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "单位代码,序号,培训人次\nrsj,2,10\n".encode("gbk"),
        b"just some notes, not a spreadsheet\n",
    ],
    ids=["csv", "text"],
)
def test_file_that_is_not_an_xlsx_is_refused(plan, rsj_clerk, saved, content):
    error = _refused(plan, rsj_clerk, content, filename="月报.xlsx")

    assert error.messages == ["文件不是有效的 Excel（xlsx）文件"]
    assert error.errors == [CellError("", None, None, "文件不是有效的 Excel（xlsx）文件")]


def test_old_xls_renamed_to_xlsx_gets_an_actionable_message(plan, rsj_clerk, saved):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512

    error = _refused(plan, rsj_clerk, ole)

    assert error.messages == [
        "文件是旧版 .xls 格式或设置了打开密码，请去掉密码并另存为 .xlsx 后重新上传"
    ]


@pytest.mark.parametrize("filename", ["月报.xls", "月报.xlsm", "月报.csv", "月报"])
def test_wrong_extension_is_refused_even_with_xlsx_content(plan, rsj_clerk, template, filename):
    error = _refused(plan, rsj_clerk, template, filename=filename)

    assert error.messages == ["只接受 .xlsx 格式的 Excel 文件"]


def test_macro_enabled_workbook_is_refused(plan, rsj_clerk, template):
    data = samples.rezip(template, add={"xl/vbaProject.bin": b"Attribute VB_Name"})

    assert _refused(plan, rsj_clerk, data).messages == ["不接受包含宏的文件"]


def test_file_over_the_size_limit_is_refused(plan, rsj_clerk, template):
    # Random bytes do not compress: the padded file is really over 2 MB.
    data = samples.rezip(template, add={"xl/media/image1.png": os.urandom(2 * 1024 * 1024)})
    assert len(data) > 2 * 1024 * 1024

    assert _refused(plan, rsj_clerk, data).messages == ["文件大小超过上限（最大 2 MB）"]


@pytest.mark.parametrize(
    "entries",
    [
        {"xl/media/image1.png": b"\0" * (8 * 1024 * 1024)},  # one entry, ratio ~1000:1
        # Each entry under the ratio check's minimum; together past the 10 MB total.
        {f"xl/media/image{n}.png": b"\0" * (900 * 1024) for n in range(12)},
    ],
    ids=["ratio", "total"],
)
def test_zip_bomb_is_refused(plan, rsj_clerk, template, entries):
    data = samples.rezip(template, add=entries)
    assert len(data) < 100 * 1024

    assert _refused(plan, rsj_clerk, data).messages == ["文件解压后过大，不是正常的 Excel 文件"]


def test_zip_with_too_many_entries_is_refused(plan, rsj_clerk, template):
    extra = {f"xl/media/image{index}.png": b"x" for index in range(60)}

    assert _refused(plan, rsj_clerk, samples.rezip(template, add=extra)).messages == [
        "文件内部条目过多（超过 50 个），不是正常的 Excel 文件"
    ]


def test_empty_file_is_refused(plan, rsj_clerk, saved):
    assert _refused(plan, rsj_clerk, b"").messages == [
        "上传的文件是空的（0字节），请选择填好的月报文件"
    ]


def test_corrupted_sheet_inside_a_valid_zip_is_refused(plan, rsj_clerk, template):
    with zipfile.ZipFile(io.BytesIO(template)) as archive:
        sheet_xml = archive.read(samples.SHEET_XML)
    data = samples.rezip(template, replace={samples.SHEET_XML: sheet_xml[: len(sheet_xml) // 2]})

    error = _refused(plan, rsj_clerk, data)

    assert error.messages == [
        "文件无法读取，请确认文件未损坏，并用 Excel 或 WPS 另存为 .xlsx 后重新上传"
    ]


# --- bad files: the sheet ------------------------------------------------------------------


def test_missing_sheet_is_named(plan, rsj_clerk, template):
    def rename(worksheet):
        worksheet.title = "Sheet1"

    assert _refused(plan, rsj_clerk, samples.edit(template, rename)).messages == [
        "缺少工作表“月度报送”"
    ]


def test_wrong_and_missing_headers_are_each_located(plan, rsj_clerk, template):
    data = samples.set_cells(template, F1="培训人数", K1=None)

    error = _refused(plan, rsj_clerk, data)

    assert error.errors == [
        CellError(SHEET, 1, "F", "表头应为“培训人次”，实际为“培训人数”"),
        CellError(SHEET, 1, "K", "缺少列“备注”"),
    ]
    assert error.messages == [
        "工作表“月度报送”第1行第F列：表头应为“培训人次”，实际为“培训人数”",
        "工作表“月度报送”第1行第K列：缺少列“备注”",
    ]


def test_row_limit_stops_a_5001_row_file(plan, rsj_clerk, template):
    data = samples.many_rows(template, 5001)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read(samples.SHEET_XML).count(b"<row ") == 1 + 5001

    error = _refused(plan, rsj_clerk, data)

    assert error.messages[0] == "工作表“月度报送”：数据行数超过上限（最多 100 行）"
    # The copies of row 2 are duplicates: reported with their rows until the limit stopped it.
    assert error.errors[1] == CellError(
        SHEET, 3, "D", "序号2重复（第2行已填写该培训类别）", header="序号"
    )


# --- bad files: the cells ------------------------------------------------------------------


def _only_error(error: XlsxError) -> CellError:
    assert len(error.errors) == 1, error.messages
    return error.errors[0]


def test_text_in_a_number_cell_is_located(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, F2="十"))

    assert _only_error(error) == CellError(
        SHEET, 2, "F", "应为整数，实际为文本“十”", header="培训人次"
    )
    assert error.messages == ["工作表“月度报送”第2行第F列（培训人次）：应为整数，实际为文本“十”"]


def test_negative_count_is_refused(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, G3=-1))

    assert _only_error(error) == CellError(SHEET, 3, "G", "不能为负数", header="考核合格")


def test_non_whole_number_is_refused(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, F4=3.5))

    assert _only_error(error) == CellError(SHEET, 4, "F", "应为整数", header="培训人次")


def test_blank_figure_is_refused_not_read_as_zero(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, J5=None))

    assert _only_error(error) == CellError(SHEET, 5, "J", "不能为空", header="成功创业")


def test_absurdly_large_figure_is_refused(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, F2=10**12))

    assert _only_error(error) == CellError(SHEET, 2, "F", "不能大于10000000", header="培训人次")


def test_passed_above_trained_names_the_passed_cell(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, F2=10, G2=12))

    assert _only_error(error) == CellError(
        SHEET, 2, "G", "考核合格（12）不能大于培训人次（10）", header="考核合格"
    )
    assert error.messages == [
        "工作表“月度报送”第2行第G列（考核合格）：考核合格（12）不能大于培训人次（10）"
    ]


@pytest.mark.parametrize(
    ("column", "label"), [("H", "取得证书"), ("I", "实现就业"), ("J", "成功创业")]
)
def test_other_outcomes_above_trained_are_refused(plan, rsj_clerk, template, column, label):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, **{f"{column}3": 11}))

    assert _only_error(error) == CellError(
        SHEET, 3, column, f"{label}（11）不能大于培训人次（10）", header=label
    )


def test_category_of_another_department_is_refused(plan, rsj_clerk, template):
    # 序号 1 belongs to 工信局; the 人社局 file then also lacks its own category 2.
    error = _refused(plan, rsj_clerk, samples.set_cells(template, D2=1))

    assert error.errors == [
        CellError(SHEET, 2, "D", "序号1不是本单位的培训类别", header="序号"),
        CellError(SHEET, None, None, "缺少培训类别“下岗失业人员培训”（序号2）的行"),
    ]
    assert error.messages[1] == "工作表“月度报送”：缺少培训类别“下岗失业人员培训”（序号2）的行"


def test_duplicate_category_number_is_refused(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, D3=2, E3="下岗失业人员培训"))

    assert error.errors == [
        CellError(SHEET, 3, "D", "序号2重复（第2行已填写该培训类别）", header="序号"),
        CellError(SHEET, None, None, "缺少培训类别“农村劳动力培训”（序号3）的行"),
    ]


def test_missing_category_row_is_refused(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.edit(template, lambda ws: ws.delete_rows(5)))

    assert error.errors == [CellError(SHEET, None, None, "缺少培训类别“创业培训”（序号5）的行")]


def test_changed_category_name_is_refused(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, E4="大学生培训"))

    assert _only_error(error) == CellError(
        SHEET,
        4,
        "E",
        "序号4的培训类别应为“高校毕业生培训”，实际为“大学生培训”",
        header="培训类别",
    )


def test_different_month_is_refused(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, C2="2014-04"))

    assert _only_error(error) == CellError(
        SHEET, 2, "C", "报送月份应为2014-05，实际为2014-04", header="报送月份"
    )


def test_whole_file_of_another_month_reports_every_row(plan, rsj_clerk, template):
    data = samples.set_cells(template, C2="2014-06", C3="2014-06", C4="2014-06", C5="2014-06")

    error = _refused(plan, rsj_clerk, data)

    assert [(e.row, e.column, e.message) for e in error.errors] == [
        (row, "C", "报送月份应为2014-05，实际为2014-06") for row in (2, 3, 4, 5)
    ]


def test_file_of_another_department_is_refused_row_by_row(plan, rsj_clerk, template):
    data = samples.set_cells(template, A2="gxj", A3="gxj", A4="gxj", A5="gxj")

    error = _refused(plan, rsj_clerk, data)

    assert [(e.row, e.column, e.header) for e in error.errors] == [
        (row, "A", "单位代码") for row in (2, 3, 4, 5)
    ]
    assert {e.message for e in error.errors} == {"不是本单位的数据：单位代码应为“rsj”，实际为“gxj”"}


def test_number_typed_department_code_is_refused_never_converted(plan, rsj_clerk, template):
    # Decision: a code column is an ID column; a number there is refused, as for ID numbers,
    # because Excel may already have rounded it (PITFALLS.md).
    error = _refused(plan, rsj_clerk, samples.set_cells(template, A2=410100))

    assert _only_error(error) == CellError(
        SHEET, 2, "A", "单位代码必须以文本格式填写", header="单位代码"
    )


def test_note_over_500_characters_is_refused(plan, rsj_clerk, template):
    error = _refused(plan, rsj_clerk, samples.set_cells(template, K2="注" * 501))

    assert _only_error(error) == CellError(
        SHEET, 2, "K", "不能超过500个字符（当前501个）", header="备注"
    )


def test_every_error_in_the_file_is_reported_at_once(plan, rsj_clerk, template):
    data = samples.set_cells(template, F2="abc", G3=-2, H4=99, C5="2013-12", D5=1)

    error = _refused(plan, rsj_clerk, data)

    assert [(e.row, e.column) for e in error.errors] == [
        (2, "F"),
        (3, "G"),
        (4, "H"),
        (5, "C"),
        (5, "D"),
        (None, None),
    ]


# --- rules that are not about the file -----------------------------------------------------


def test_upload_after_lock_day_gives_the_lock_reason_and_changes_nothing(
    client, plan, rsj_clerk, template
):
    before = _state()

    with time_machine.travel(AFTER_LOCK, tick=False):
        client.force_login(rsj_clerk)
        response = client.post(
            _url("return_upload"), {"file": samples.upload(template), "version": 1}
        )

    assert response.status_code == 400
    body = response.content.decode()
    assert "已过锁定日期（2014年06月10日），如需补报或修改，请联系办公室临时解锁" in body
    assert _state() == before


def test_submitted_return_cannot_be_overwritten_by_upload(plan, rsj_clerk, saved, template):
    ret = return_svc.return_submit(monthly_return=saved, version=saved.version, actor=rsj_clerk)
    before = _state()

    with pytest.raises(RuleViolation, match="已提交，等待办公室审核"):
        _import(plan, rsj_clerk, samples.set_cells(template, F2=99), version=ret.version)

    assert _state() == before


def test_stale_version_is_a_conflict_and_keeps_the_other_clerks_figures(
    client, plan, rsj_clerk, saved, template
):
    other = clerk_of("rsj")
    return_svc.return_save(
        campaign=plan,
        department=other.department,
        month=MAY,
        lines=lines_for(plan, "rsj", trained=50, passed=40),
        version=saved.version,
        actor=other,
    )
    before = _state()
    client.force_login(rsj_clerk)

    response = client.post(
        _url("return_upload"),
        {"file": samples.upload(samples.set_cells(template, F2=99)), "version": saved.version},
    )

    assert response.status_code == 409
    assert "保存冲突：该月报已被他人修改" in response.content.decode()
    assert _state() == before
    assert _figures()[2]["trained"] == 50
    assert not AuditEvent.objects.filter(action="monthly_return.import").exists()


def test_another_departments_clerk_cannot_import_into_this_return(plan, saved, template):
    before = _state()

    with pytest.raises(PermissionDenied):
        return_import(
            campaign=plan,
            department=saved.department,
            month=MAY,
            fileobj=io.BytesIO(template),
            filename="月报.xlsx",
            version=saved.version,
            actor=clerk_of("gxj"),
        )

    assert _state() == before


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        (Role.CLERK, "gxj", 404),
        (Role.CLERK, "nyj", 404),
        (Role.OFFICE, None, 403),
        (Role.AUDITOR, None, 403),
        (Role.REVIEWER, None, 403),
    ],
)
def test_upload_permission_matrix_changes_nothing(client, saved, template, role, code, status):
    department = Department.objects.get(code=code) if code else None
    client.force_login(user_with_role(role, department=department))
    before = _state()

    response = client.post(
        _url("return_upload"),
        {"file": samples.upload(samples.set_cells(template, F2=99)), "version": saved.version},
    )

    assert response.status_code == status
    assert _state() == before


def test_upload_needs_login_and_post(client, rsj_clerk, saved):
    assert client.post(_url("return_upload")).status_code == 302
    client.force_login(rsj_clerk)
    assert client.get(_url("return_upload")).status_code == 405


# --- the error page ------------------------------------------------------------------------


def test_bad_upload_shows_every_error_with_a_link_back(client, rsj_clerk, template):
    client.force_login(rsj_clerk)
    data = samples.set_cells(template, F2="十", G3=12)
    before = _state()

    response = client.post(_url("return_upload"), {"file": samples.upload(data), "version": 1})

    assert response.status_code == 400
    assert response.templates[0].name == "training/return_upload_errors.html"
    assert response.context["errors"] == [
        "工作表“月度报送”第2行第F列（培训人次）：应为整数，实际为文本“十”",
        "工作表“月度报送”第3行第G列（考核合格）：考核合格（12）不能大于培训人次（10）",
    ]
    body = response.content.decode()
    assert "月报数据没有任何改动" in body
    assert f'href="{_url("return_detail")}"' in body
    assert _state() == before


def test_upload_without_a_file_is_refused(client, rsj_clerk, saved):
    client.force_login(rsj_clerk)

    response = client.post(_url("return_upload"), {"version": 1})

    assert response.status_code == 400
    assert response.context["errors"] == ["请选择要上传的月报文件（.xlsx）"]


def test_upload_with_a_garbled_version_is_refused(client, rsj_clerk, template):
    client.force_login(rsj_clerk)
    before = _state()

    response = client.post(
        _url("return_upload"), {"file": samples.upload(template), "version": "1; DROP"}
    )

    assert response.status_code == 400
    assert response.context["errors"] == ["页面已过期，请刷新月报页面后重新上传"]
    assert _state() == before
