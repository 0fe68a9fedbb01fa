"""The office's month in a real browser: open the progress dashboard (charts drawn by ECharts),
switch month, drill into a department, draft and publish the bulletin, and download the audit
workbook through its export job.

The demo clock stands at 2013-04-08 10:00 (Asia/Shanghai), after March 2013's due day;
``live_server`` runs in a thread of this process, so the ``settings`` fixture reaches it."""

import datetime
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from core.models import Department
from core.roles import Role
from core.services import user_create
from dashboard.models import Bulletin
from training.models import FIGURE_FIELDS, MonthlyReturn, ReportRun, ReturnLine, TrainingCategory
from training.services.reports import report_compute

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "E2e-pass-2013"
SH = ZoneInfo("Asia/Shanghai")
MONTHS = [datetime.date(2013, m, 1) for m in (1, 2, 3)]
SCREENSHOT = Path(tempfile.gettempdir()) / "dashboard.png"  # /tmp/dashboard.png
# Pages with charts load 1 MB of ECharts; a busy CI machine needs more than the default 5 s.
SLOW = 20_000
# (department, category number) → a month's figures: trained, passed, certified, employed,
# entrepreneurs.
FIGURES = {
    ("gxj", 1): (9000, 8100, 6000, 5000, 90),
    ("rsj", 2): (1000, 900, 700, 600, 0),
    ("rsj", 3): (2500, 2200, 1800, 1500, 10),
    ("nyj", 8): (800, 700, 500, 400, 5),
}


@pytest.fixture
def demo_clock(settings):
    settings.DEBUG = True
    settings.APP_TODAY = "2013-04-08T10:00:00"


@pytest.fixture
def office(campaign):
    return user_create(
        username="office_e2e",
        password=PASSWORD,
        full_name="王主任",
        roles=[Role.OFFICE],
        department=Department.objects.get(code="office"),
        actor=None,
    )


@pytest.fixture
def history(campaign):
    """Three months of accepted returns for three units (农业局 misses February), and the
    snapshots the scheduled job would have computed."""
    categories = {c.number: c for c in TrainingCategory.objects.filter(campaign=campaign)}
    for month in MONTHS:
        for code in ("gxj", "rsj", "nyj"):
            if code == "nyj" and month.month == 2:
                continue
            submitted = datetime.datetime(month.year, month.month + 1, 2, 9, tzinfo=SH)
            ret = MonthlyReturn.objects.create(
                campaign=campaign,
                department=Department.objects.get(code=code),
                month=month,
                status=MonthlyReturn.Status.ACCEPTED,
                first_submitted_at=submitted,
                submitted_at=submitted,
            )
            for category in categories.values():
                if category.department_id != ret.department_id:
                    continue
                values = FIGURES.get((code, category.number), (0, 0, 0, 0, 0))
                ReturnLine.objects.create(
                    monthly_return=ret,
                    category=category,
                    **dict(zip(FIGURE_FIELDS, values, strict=True)),
                )
        report_compute(campaign=campaign, month=month)
    return campaign


def _nav(page: Page, label: str) -> None:
    page.locator("#main-nav").get_by_role("link", name=label, exact=True).click()


def test_office_reads_dashboard_publishes_bulletin_and_downloads_workbook(
    page: Page, live_server, demo_clock, history, office, login
):
    login("office_e2e", PASSWORD)
    _nav(page, "进度看板")
    expect(page.locator("#page-title")).to_contain_text("进度看板 · 2013年3月", timeout=SLOW)

    # The charts are drawn (canvas inside each container), beside their tables.
    for name in ("targets", "departments", "categories", "pacing", "rates"):
        chart = page.locator(f'[data-chart="{name}"]').first
        expect(chart).to_have_attribute("data-rendered", "true", timeout=SLOW)
        expect(chart.locator("canvas").first).to_be_visible(timeout=SLOW)
    # 9000 × 3 of 200000 = 13.5 %, ahead of 12.5 %.
    expect(page.locator("#departments-table")).to_contain_text("13.5")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Switch month: choosing February in the filter reloads the page for February.
    page.select_option("#month-filter", "2013-02")
    expect(page.locator("#page-title")).to_contain_text("进度看板 · 2013年2月", timeout=SLOW)
    expect(page.locator("#punctuality-table")).to_contain_text("未报送")

    # Drill into a department, then one of its categories.
    page.locator("#departments-table").get_by_role("link", name="市人社局").click()
    expect(page.locator("#page-title")).to_contain_text(
        "许昌市人力资源和社会保障局 · 任务进度", timeout=SLOW
    )
    expect(page.locator("#page-title")).to_contain_text("2013年2月")
    expect(page.locator("#department-cumulative")).to_have_text("7000")
    page.locator("#categories-table").get_by_role("link", name="农村劳动力培训").click()
    expect(page.locator("#page-title")).to_contain_text("农村劳动力培训", timeout=SLOW)
    expect(page.locator('[data-chart="pacing"]')).to_have_attribute(
        "data-rendered", "true", timeout=SLOW
    )

    # Draft the March bulletin and publish it.
    _nav(page, "月度通报")
    page.select_option("#bulletin-month", "2013-03")
    page.click("#bulletin-create-button")
    expect(page.locator("#bulletin-summary")).to_contain_text(
        "截至2013年3月底，全市累计培训39100人次", timeout=SLOW
    )
    expect(page.locator("#bulletin-status")).to_contain_text("草稿")
    page.click("#bulletin-publish")
    expect(page.get_by_role("alert")).to_contain_text("通报已发布", timeout=SLOW)
    expect(page.locator("#bulletin-publish")).to_have_count(0)
    bulletin = Bulletin.objects.get()
    assert bulletin.is_published
    assert ReportRun.objects.get(month=MONTHS[-1]).is_published

    # The audit workbook: start the job, wait for its page to offer the file, download it.
    _nav(page, "审计工作簿")
    page.click("#export-audit-start")
    download_link = page.locator("#export-download")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    target = Path(tempfile.mkdtemp()) / download.suggested_filename
    download.save_as(target)
    workbook = openpyxl.load_workbook(target, read_only=True)
    try:
        assert "分类任务" in workbook.sheetnames
    finally:
        workbook.close()
