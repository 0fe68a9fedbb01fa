"""The audit workbook (审计工作簿): its sheets and figures, opened with openpyxl; the export job
pages; the ``export_audit`` command. "Now" is frozen inside the campaign (Asia/Shanghai)."""

import datetime
import io
from urllib.parse import quote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.urls import reverse

from core import exports as core_exports
from core.exports import write_exporters
from core.models import AuditEvent, Department, ExportJob
from core.roles import Role
from core.tests.factories import user_with_role
from dashboard.exports import audit_workbook_exporters, audit_workbook_filename
from training.models import MonthlyReturn, ReturnLine, TrainingCategory
from training.services import returns as return_services
from training.tests.factories import clerk_of, lines_for

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
SHEETS = ["目标任务", "分类任务", "月度进度", "报送情况"]
HEADERS = {
    "目标任务": ["指标", "目标数", "计量单位", "已完成", "完成率%"],
    "分类任务": ["序号", "责任单位", "培训类别", "任务数", "已完成", "完成率%"],
    "月度进度": [
        "责任单位",
        "培训类别",
        "月份",
        "培训人次",
        "考核合格",
        "取得证书",
        "实现就业",
        "成功创业",
        "状态",
        "备注",
    ],
    "报送情况": ["责任单位", "月份", "提交时间", "是否按时", "审核状态", "锁定后更正"],
}
# DOMAIN.md §2: the thirteen categories, their responsible units and two-year quotas.
QUOTAS = [
    (1, "许昌市工业和信息化局", "企业职工在岗和转岗技能培训", 200000),
    (2, "许昌市人力资源和社会保障局", "下岗失业人员培训", 24000),
    (3, "许昌市人力资源和社会保障局", "农村劳动力培训", 68000),
    (4, "许昌市人力资源和社会保障局", "高校毕业生培训", 8000),
    (5, "许昌市人力资源和社会保障局", "创业培训", 6000),
    (6, "许昌市教育局", "“两后生”培训", 26000),
    (7, "许昌市民政局", "退役士兵培训", 2000),
    (8, "许昌市农业局", "“阳光工程”培训", 20000),
    (9, "许昌市农业局", "“雨露计划”培训", 6000),
    (10, "许昌市总工会", "困难职工培训", 3000),
    (11, "共青团许昌市委员会", "青年农民工培训", 4000),
    (12, "许昌市妇女联合会", "妇女技能培训", 30000),
    (13, "许昌市残疾人联合会", "残疾人培训", 3000),
]
HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3", '=HYPERLINK("http://x","点我")']
RESPONSIBLE = ["gxj", "rsj", "jyj", "mzj", "nyj", "zgh", "tsw", "flh", "clh"]


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


def month(year: int, number: int) -> datetime.date:
    return datetime.date(year, number, 1)


# Inside the campaign: returns for January 2013 … May 2014 are due; June 2014's is due tomorrow.
NOW = at(2014, 7, 2, 10, 0)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Test users get a password; the production hasher spends ~1 s on each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def make_return(
    plan,
    code: str,
    when: datetime.date,
    *,
    status: str = MonthlyReturn.Status.ACCEPTED,
    late: bool = False,
    amended: bool = False,
    note: str = "",
    **figures,
) -> MonthlyReturn:
    """A return with one line per category of the department, each carrying ``figures``."""
    submitted = None
    if status != MonthlyReturn.Status.DRAFT:
        following = (when + datetime.timedelta(days=32)).replace(day=1)
        submitted = at(following.year, following.month, 6 if late else 2, 9, 30)
    ret = MonthlyReturn.objects.create(
        campaign=plan,
        department=Department.objects.get(code=code),
        month=when,
        status=status,
        first_submitted_at=submitted,
        submitted_at=submitted,
        is_late=late,
        amended_after_deadline=amended,
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(monthly_return=ret, category=category, note=note, **figures)
        for category in TrainingCategory.objects.filter(campaign=plan, department=ret.department)
    )
    return ret


def workbook_bytes(plan, user=None) -> bytes:
    buffer = io.BytesIO()
    write_exporters(buffer, audit_workbook_exporters(campaign=plan, user=user))
    return buffer.getvalue()


def open_book(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


def data_rows(sheet) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows(min_row=2)]


# --- the sheets ---------------------------------------------------------------------------------


def test_workbook_has_the_four_sheets_in_order_with_headers_and_frozen_panes(plan, frozen):
    book = open_book(workbook_bytes(plan))
    # The training sheets come first; later apps' sheets follow in their registered order.
    assert book.sheetnames[:4] == SHEETS
    assert book.sheetnames == [cls.sheet_name for cls in core_exports.audit_exporter_classes()]
    for name in SHEETS:
        sheet = book[name]
        assert [cell.value for cell in sheet[1]] == HEADERS[name]
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert sheet.column_dimensions["A"].width >= 6


def test_category_sheet_has_the_13_quotas_and_counts_accepted_returns_only(plan, frozen):
    make_return(plan, "gxj", month(2014, 3), trained=1000, passed=900)
    make_return(plan, "gxj", month(2014, 4), status="returned", trained=300)
    make_return(plan, "rsj", month(2014, 3), trained=100)
    make_return(plan, "rsj", month(2014, 4), trained=20)
    make_return(plan, "rsj", month(2014, 5), status="submitted", trained=50)
    make_return(plan, "mzj", month(2014, 5), status="draft", trained=70)

    rows = data_rows(open_book(workbook_bytes(plan))["分类任务"])

    assert [row[:4] for row in rows] == QUOTAS
    assert sum(row[3] for row in rows) == 400000
    completed = {row[0]: row[4] for row in rows}
    assert completed == {1: 1000, 2: 120, 3: 120, 4: 120, 5: 120} | dict.fromkeys(range(6, 14), 0)
    percent = {row[0]: row[5] for row in rows}
    assert percent[1] == pytest.approx(0.5)  # 1000 / 200000
    assert percent[2] == pytest.approx(0.5)  # 120 / 24000
    assert percent[5] == pytest.approx(2.0)  # 120 / 6000
    assert percent[7] == 0


def test_category_percentages_are_numbers_with_one_decimal(plan, frozen):
    make_return(plan, "mzj", month(2014, 3), trained=1234)  # 1234 / 2000 = 61.7 %
    sheet = open_book(workbook_bytes(plan))["分类任务"]
    cell = sheet["F8"]  # row of category 7
    assert sheet["A8"].value == 7
    assert cell.data_type == "n"
    assert cell.value == pytest.approx(61.7)
    assert cell.number_format == "0.0"
    assert sheet["E8"].data_type == "n"


def test_targets_sheet_counts_accepted_returns_only_and_leaves_unprovided_targets_empty(
    plan, frozen
):
    make_return(plan, "gxj", month(2014, 3), trained=4000, employed=300, entrepreneurs=20)
    make_return(plan, "rsj", month(2014, 3), trained=1000, employed=80)
    make_return(plan, "gxj", month(2014, 4), status="submitted", trained=1000, employed=100)
    make_return(plan, "flh", month(2014, 5), status="draft", trained=999, employed=999)

    book = open_book(workbook_bytes(plan))
    rows = data_rows(book["目标任务"])

    # rsj's 1000 is on each of its four category lines: 4000 + 4 × 1000 = 8000 trained.
    assert rows == [
        ("各类职业培训", 400000, "人次", 8000, pytest.approx(2.0)),
        ("职业技能鉴定", 45000, "人次", 0, 0.0),
        ("培养高技能人才", 7000, "人", 0, 0.0),
        ("促进就业", 320000, "人次", 640, pytest.approx(0.2)),  # 300 + 20 + 4 × 80
    ]
    # The audit's two sheets agree: training achieved = the total completed by category.
    assert rows[0][3] == sum(row[4] for row in data_rows(book["分类任务"]))


def test_monthly_progress_has_one_row_per_line_of_received_returns_in_order(plan, frozen):
    make_return(plan, "nyj", month(2014, 4), trained=30, passed=20, certified=10, note="夜校")
    make_return(plan, "nyj", month(2014, 3), status="submitted", trained=40, employed=5)
    make_return(plan, "gxj", month(2014, 5), status="returned", trained=7)
    make_return(plan, "clh", month(2014, 5), status="draft", trained=9)

    sheet = open_book(workbook_bytes(plan))["月度进度"]
    rows = data_rows(sheet)

    agriculture, rain = "“阳光工程”培训", "“雨露计划”培训"
    assert rows == [
        (
            "许昌市工业和信息化局",
            "企业职工在岗和转岗技能培训",
            "2014-05",
            7,
            0,
            0,
            0,
            0,
            "已退回修改",
            None,
        ),
        ("许昌市农业局", agriculture, "2014-03", 40, 0, 0, 5, 0, "已提交", None),
        ("许昌市农业局", agriculture, "2014-04", 30, 20, 10, 0, 0, "已审核通过", "夜校"),
        ("许昌市农业局", rain, "2014-03", 40, 0, 0, 5, 0, "已提交", None),
        ("许昌市农业局", rain, "2014-04", 30, 20, 10, 0, 0, "已审核通过", "夜校"),
    ]
    assert sheet["C2"].data_type == "s"  # the month is text, not a date Excel might reformat
    assert sheet["D2"].data_type == "n"


def test_submissions_sheet_shows_on_time_late_missing_and_not_yet_due(plan):
    clerk = clerk_of("jyj")
    office = user_with_role(Role.OFFICE)
    # 教育局 submits April three days after the due day (3 May), then the office accepts it.
    with time_machine.travel(at(2014, 5, 6, 15, 0), tick=False):
        ret = return_services.return_save(
            campaign=plan,
            department=clerk.department,
            month=month(2014, 4),
            lines=lines_for(plan, "jyj", trained=12),
            version=0,
            actor=clerk,
        )
        ret = return_services.return_submit(monthly_return=ret, version=ret.version, actor=clerk)
        return_services.return_accept(monthly_return=ret, actor=office)
    make_return(plan, "jyj", month(2014, 3), trained=5, amended=True)
    make_return(plan, "jyj", month(2014, 6), status="submitted", trained=5)
    make_return(plan, "mzj", month(2014, 5), status="draft", trained=5)

    with time_machine.travel(NOW, tick=False):
        sheet = open_book(workbook_bytes(plan))["报送情况"]
    rows = {(row[0], row[1]): row for row in data_rows(sheet)}

    assert len(rows) == 9 * 18  # 9 responsible units × January 2013 … June 2014
    education, civil = "许昌市教育局", "许昌市民政局"
    assert rows[(education, "2014-04")] == (
        education,
        "2014-04",
        at(2014, 5, 6, 15, 0).replace(tzinfo=None),  # Excel has no zones: Beijing time
        "逾期",
        "已审核通过",
        "否",
    )
    assert rows[(education, "2014-03")][3:] == ("按时", "已审核通过", "是")
    assert rows[(education, "2014-06")][3:] == ("按时", "已提交", "否")
    assert rows[(education, "2014-05")] == (education, "2014-05", None, "未报送", None, "否")
    assert rows[(civil, "2014-05")][2:5] == (None, "未报送", "草稿")
    assert rows[(civil, "2014-06")][3] == "未到截止日"  # due 3 July
    assert [row[1] for row in data_rows(sheet)[:3]] == ["2013-01", "2013-02", "2013-03"]
    assert data_rows(sheet)[0][0] == "许昌市工业和信息化局"


def test_no_cell_is_a_formula_even_with_hostile_names_and_notes(plan, frozen):
    for code, text in zip(RESPONSIBLE, HOSTILE, strict=False):
        Department.objects.filter(code=code).update(name=text)
    for number, code in enumerate(RESPONSIBLE[:5]):
        make_return(plan, code, month(2014, 3), trained=3, note=HOSTILE[number])

    book = open_book(workbook_bytes(plan))

    formulas = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    texts = {cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row}
    assert set(HOSTILE) <= texts  # kept as literal text


def _seed_months(plan, months: list[datetime.date]) -> None:
    departments = list(Department.objects.filter(code__in=RESPONSIBLE))
    returns = MonthlyReturn.objects.bulk_create(
        MonthlyReturn(
            campaign=plan,
            department=department,
            month=when,
            status="accepted",
            first_submitted_at=at(when.year, when.month, 20),
            is_late=number % 3 == 0,
        )
        for number, (department, when) in enumerate(
            (department, when) for department in departments for when in months
        )
    )
    categories = list(TrainingCategory.objects.filter(campaign=plan))
    ReturnLine.objects.bulk_create(
        ReturnLine(monthly_return=ret, category=category, trained=10, passed=5)
        for ret in MonthlyReturn.objects.filter(pk__in=[r.pk for r in returns])
        for category in categories
        if category.department_id == ret.department_id
    )


def _queries_for_workbook(plan, django_assert_max_num_queries) -> tuple[int, dict[str, int]]:
    exporters = audit_workbook_exporters(campaign=plan, user=None)
    # Sheets of payments look up content types, which Django caches per process: start both
    # runs cold, so the two counts compare like with like.
    ContentType.objects.clear_cache()
    # A few queries per sheet (its rows, a count for the progress bar, a lookup or two),
    # whatever the data: the bound grows with the sheets, never with the rows.
    with django_assert_max_num_queries(4 * len(exporters)) as captured:
        counts = write_exporters(io.BytesIO(), exporters, progress=lambda done, total: None)
    return len(captured), counts


def test_query_count_is_bounded_and_the_same_for_3_and_24_months(
    plan, django_assert_max_num_queries
):
    _seed_months(plan, [month(2013, n) for n in (1, 2, 3)])
    with time_machine.travel(at(2013, 4, 5), tick=False):
        small, small_counts = _queries_for_workbook(plan, django_assert_max_num_queries)

    _seed_months(
        plan, [month(2013, n) for n in range(4, 13)] + [month(2014, n) for n in range(1, 13)]
    )
    with time_machine.travel(at(2015, 1, 5), tick=False):
        large, large_counts = _queries_for_workbook(plan, django_assert_max_num_queries)

    assert small_counts["月度进度"] == 13 * 3
    assert large_counts["月度进度"] == 13 * 24
    assert large_counts["报送情况"] == 9 * 24
    assert small == large


def test_filename_is_the_campaign_title_and_the_date(plan):
    name = audit_workbook_filename(plan, datetime.date(2014, 7, 2))
    assert name == "许昌市技能振兴专项活动_审计工作簿_20140702.xlsx"


# --- the pages ----------------------------------------------------------------------------------


def _done_job_of(user, django_capture_on_commit_callbacks) -> ExportJob:
    from core.exports import export_job_start

    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_start(kind="audit_workbook", actor=user)
    job.refresh_from_db()
    return job


PAGES = ["export_audit", "export_job_detail", "export_job_download"]


def _url(page: str, job: ExportJob | None) -> str:
    return reverse(f"dashboard:{page}", args=[] if page == "export_audit" else [job.pk])


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    "role",
    [Role.CLERK, Role.WORKER, Role.REVIEWER, Role.FINANCE, Role.INSTITUTION, Role.COMMITTEE],
)
def test_other_roles_are_refused_every_export_page(client, plan, page, role):
    job = ExportJob.objects.create(kind="audit_workbook", requested_by=user_with_role(Role.OFFICE))
    client.force_login(user_with_role(role, department=Department.objects.get(code="rsj")))
    assert client.get(_url(page, job)).status_code == 403
    if page == "export_audit":
        assert client.post(_url(page, job)).status_code == 403
        assert ExportJob.objects.count() == 1


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_users_are_sent_to_login(client, db, page):
    job = ExportJob.objects.create(kind="audit_workbook", requested_by=user_with_role(Role.OFFICE))
    response = client.get(_url(page, job))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.OFFICE, Role.AUDITOR])
@pytest.mark.parametrize("page", PAGES)
def test_office_and_auditor_use_their_own_jobs(
    client, plan, frozen, django_capture_on_commit_callbacks, role, page
):
    user = user_with_role(role)
    job = _done_job_of(user, django_capture_on_commit_callbacks)
    client.force_login(user)
    assert client.get(_url(page, job)).status_code == 200


@pytest.mark.parametrize("page", ["export_job_detail", "export_job_download"])
@pytest.mark.parametrize("role", [Role.OFFICE, Role.AUDITOR])
def test_another_persons_job_is_not_found(
    client, plan, frozen, django_capture_on_commit_callbacks, page, role
):
    job = _done_job_of(user_with_role(Role.OFFICE), django_capture_on_commit_callbacks)
    client.force_login(user_with_role(role))
    assert client.get(_url(page, job)).status_code == 404
    assert client.get(reverse(f"dashboard:{page}", args=[job.pk + 1000])).status_code == 404


def test_the_office_downloads_the_workbook_through_a_job(
    client, plan, frozen, django_capture_on_commit_callbacks
):
    make_return(plan, "gxj", month(2014, 3), trained=1000)
    office = user_with_role(Role.OFFICE)
    client.force_login(office)
    page = client.get(reverse("dashboard:export_audit")).content.decode()
    assert "下载审计工作簿" in page
    assert all(name in page for name in SHEETS)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dashboard:export_audit"))
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:export_job_detail", args=[job.pk])

    detail = client.get(response["Location"]).content.decode()
    download_url = reverse("dashboard:export_job_download", args=[job.pk])
    assert download_url in detail
    assert "hx-trigger" not in detail  # finished: no more polling

    download = client.get(download_url)
    assert download.status_code == 200
    filename = "许昌市技能振兴专项活动_审计工作簿_20140702.xlsx"
    assert quote(filename) in download["Content-Disposition"]
    book = open_book(b"".join(download.streaming_content))
    assert book.sheetnames[:4] == SHEETS
    assert book["分类任务"]["E2"].value == 1000
    actions = AuditEvent.objects.for_object(job).order_by("id").values_list("action", flat=True)
    assert list(actions) == ["export.start", "export.done", "export.download"]


def test_an_unfinished_job_page_polls_with_htmx_and_refreshes_without_javascript(
    client, plan, frozen
):
    from core.exports import export_job_start

    office = user_with_role(Role.OFFICE)
    job = export_job_start(kind="audit_workbook", actor=office)  # on-commit not run: queued
    ExportJob.objects.filter(pk=job.pk).update(
        status="running", progress_done=1000, progress_total=4000
    )
    client.force_login(office)
    url = reverse("dashboard:export_job_detail", args=[job.pk])

    page = client.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert 'hx-trigger="every 2s"' in page
    assert "25%" in page

    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert 'id="export-job"' in fragment

    early = client.get(reverse("dashboard:export_job_download", args=[job.pk]))
    assert early.status_code == 302
    assert early["Location"] == url


def test_starting_twice_goes_to_the_same_running_job(client, plan, frozen):
    office = user_with_role(Role.OFFICE)
    client.force_login(office)
    first = client.post(reverse("dashboard:export_audit"))  # on-commit not run: stays queued
    second = client.post(reverse("dashboard:export_audit"))
    assert first["Location"] == second["Location"]
    assert ExportJob.objects.count() == 1


def test_export_without_a_campaign_fails_with_a_chinese_reason(
    client, db, django_capture_on_commit_callbacks
):
    office = user_with_role(Role.OFFICE)
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dashboard:export_audit"))
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.FAILED
    page = client.get(reverse("dashboard:export_job_detail", args=[job.pk])).content.decode()
    assert "尚未载入专项活动方案" in page


# --- the command --------------------------------------------------------------------------------


def test_export_audit_command_writes_the_workbook_and_prints_row_counts(plan, frozen, tmp_path):
    make_return(plan, "rsj", month(2014, 3), trained=10)
    out = tmp_path / "审计.xlsx"
    stdout = io.StringIO()

    call_command("export_audit", out=str(out), stdout=stdout)

    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:4] == SHEETS
    printed = stdout.getvalue()
    assert "目标任务：4 行" in printed
    assert "分类任务：13 行" in printed
    assert "月度进度：4 行" in printed
    assert "报送情况：162 行" in printed
    event = AuditEvent.objects.get(action="export.done")
    assert event.actor is None
    assert event.changes["via"] == "command"
    assert event.changes["rows"]["分类任务"] == 13
    assert [p.name for p in tmp_path.iterdir()] == ["审计.xlsx"]  # no temporary file left


def test_export_audit_command_refuses_a_bad_target(plan, tmp_path):
    with pytest.raises(CommandError, match="xlsx"):
        call_command("export_audit", out=str(tmp_path / "audit.csv"))
    with pytest.raises(CommandError, match="目录不存在"):
        call_command("export_audit", out=str(tmp_path / "missing" / "audit.xlsx"))
    with pytest.raises(CommandError, match="用户不存在"):
        call_command("export_audit", out=str(tmp_path / "a.xlsx"), user="nobody")
    assert not AuditEvent.objects.filter(action="export.done").exists()
