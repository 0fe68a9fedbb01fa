"""The work ledger in a real browser: the office records a joint meeting and assigns a follow-up
task to 市人社局 with a deadline of 2014-03-31; the bureau's clerk reports progress; after the
deadline (the demo clock moved to 2014-04-01) the office's home page flags the task as overdue.

``live_server`` runs in a thread of this process, so the ``settings`` fixture reaches it."""

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.models import Department
from core.roles import Role
from core.services import user_create
from training.models import LedgerProgressNote, LedgerTask

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "E2e-pass-2013"
SCREENSHOT = Path(tempfile.gettempdir()) / "ledger_overdue_home.png"


@pytest.fixture
def demo_clock(settings):
    settings.DEBUG = True
    settings.APP_TODAY = "2014-03-03T10:00:00"
    return settings


@pytest.fixture
def people(campaign):
    # 3.1 (drafting the plan, due 2013-07-31) was done in time; only the new task may be overdue.
    LedgerTask.objects.filter(campaign=campaign, code="3.1").update(
        status=LedgerTask.Status.DONE, completed_on="2013-07-30"
    )

    def make(username, full_name, role, code):
        return user_create(
            username=username,
            password=PASSWORD,
            full_name=full_name,
            roles=[role],
            department=Department.objects.get(code=code),
            actor=None,
        )

    return {
        "office": make("office_ledger", "王主任", Role.OFFICE, "office"),
        "clerk": make("rsj_ledger", "人社填报员", Role.CLERK, "rsj"),
    }


def _logout(page: Page, live_server) -> None:
    page.click("#logout-button")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_office_assigns_unit_reports_and_task_shows_overdue_after_deadline(
    page, live_server, login, demo_clock, people
):
    base = live_server.url

    # --- The office records the joint meeting and assigns a follow-up task. ---
    login("office_ledger", PASSWORD)
    page.goto(f"{base}/training/ledger/")
    expect(page.locator("#page-title")).to_have_text("工作台帐")
    page.click("#meeting-create-link")
    page.get_by_label("会议地点").fill("市政府第一会议室")
    page.get_by_label("主持人").fill("李副市长")
    page.get_by_label("许昌市人力资源和社会保障局").check()
    page.get_by_label("许昌市财政局").check()
    page.get_by_label("议定事项").fill("一、三月底前报送县办技工学校建设进度。")
    page.click("#meeting-submit")
    expect(page.get_by_role("alert")).to_contain_text("已登记第1次联席会议（2014-03-03）")
    page.click("#task-create-link")
    page.get_by_label("工作任务").fill("报送县办技工学校建设进度")
    page.get_by_label("主办单位").select_option(label="许昌市人力资源和社会保障局")
    page.get_by_label("许昌市财政局").check()
    page.get_by_label("责任领导").fill("张局长")
    page.get_by_label("完成时限").fill("2014-03-31")
    page.click("#task-submit")
    expect(page.get_by_role("alert")).to_contain_text("已将任务H1-1列入工作台帐")
    expect(page.locator("#meeting-tasks")).to_contain_text("报送县办技工学校建设进度")
    expect(page.locator("#meeting-tasks")).to_contain_text("未启动")
    _logout(page, live_server)

    # --- The bureau's clerk sees the task and reports progress. ---
    login("rsj_ledger", PASSWORD)
    page.goto(f"{base}/training/ledger/")
    page.locator("#task-H1-1").get_by_role("link", name="H1-1").click()
    expect(page.locator("#page-title")).to_contain_text("H1-1 报送县办技工学校建设进度")
    # Too much progress is refused in Chinese, and the page comes back with the error.
    page.get_by_label("进展情况").fill("已收集5个县（市、区）的进度")
    page.get_by_label("完成进度（%）").fill("150")
    page.click("#note-submit")
    expect(page.locator(".invalid-feedback")).to_contain_text("100")
    page.get_by_label("完成进度（%）").fill("60")
    page.click("#note-submit")
    expect(page.get_by_role("alert")).to_contain_text("进展情况已报告")
    expect(page.locator("#task-state")).to_have_text("推进中")
    expect(page.locator("#task-notes")).to_contain_text("已收集5个县（市、区）的进度")
    expect(page.locator("#task-progress")).to_contain_text("60%")
    _logout(page, live_server)
    assert LedgerProgressNote.objects.get().department.code == "rsj"

    # --- On the deadline the task is still in time on the office's home page. ---
    demo_clock.APP_TODAY = "2014-03-31T18:00:00"
    login("office_ledger", PASSWORD)
    expect(page.locator("#ledger-panel-summary")).to_contain_text("已逾期0项")
    _logout(page, live_server)

    # --- The day after the deadline the office's home page flags it. ---
    demo_clock.APP_TODAY = "2014-04-01T09:00:00"
    login("office_ledger", PASSWORD)
    panel = page.locator("#ledger-panel")
    expect(panel).to_contain_text("已逾期1项")
    expect(page.locator("#ledger-overdue-list")).to_contain_text("H1-1 报送县办技工学校建设进度")
    expect(page.locator("#ledger-overdue-list")).to_contain_text("逾期1天")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.click("#ledger-panel-overdue-link")
    expect(page.locator("#task-H1-1")).to_contain_text("已逾期")
    expect(page.locator("#ledger-table")).not_to_contain_text("4.2.2")


def test_bureau_clerk_builds_a_service_centre_and_progress_moves(
    page, live_server, login, demo_clock, people, tmp_path
):
    """市人社局's clerk registers a service centre, records construction, then completion with
    the completion report (a real file upload); the facility counts towards 80 from then on."""
    base = live_server.url
    report = tmp_path / "竣工报告.pdf"
    report.write_bytes(b"%PDF-1.4\n% completion report\n")

    login("rsj_ledger", PASSWORD)
    page.goto(f"{base}/training/facilities/")
    expect(page.locator("#progress-service_centre")).to_contain_text("80")
    page.click("#facility-create-link")
    page.get_by_label("类型").select_option(label="就业培训服务中心")
    page.get_by_label("名称").fill("禹州市褚河乡就业培训服务中心")
    page.get_by_label("县（市、区）").select_option(label="禹州市")
    page.get_by_label("立项日期").fill("2013-09-01")
    page.click("#facility-submit")
    expect(page.get_by_role("alert")).to_contain_text("已登记“禹州市褚河乡就业培训服务中心”")
    expect(page.locator("#facility-status")).to_have_text("规划中")

    page.get_by_label("日期").fill("2013-10-08")
    page.click("#advance-submit")
    expect(page.locator("#facility-status")).to_have_text("在建")

    # Completion without its report is refused; with it, accepted.
    page.get_by_label("日期").fill("2014-02-20")
    page.click("#advance-submit")
    expect(page.locator("#advance-form .invalid-feedback")).to_contain_text("须上传证明材料")
    page.get_by_label("日期").fill("2014-02-20")
    page.locator("#advance-form").get_by_label("证明材料").set_input_files(str(report))
    page.locator("#advance-form").get_by_label("材料说明").fill("竣工报告")
    page.click("#advance-submit")
    expect(page.locator("#facility-status")).to_have_text("已建成")
    expect(page.locator("#facility-evidence")).to_contain_text("已建成 · 竣工报告")
    expect(page.locator("#facility-steps")).to_contain_text("2014-02-20")
    page.screenshot(path=str(Path(tempfile.gettempdir()) / "facility_detail.png"), full_page=True)

    page.goto(f"{base}/training/facilities/")
    row = page.locator("#progress-service_centre")
    expect(row).to_contain_text("1.3")  # 1 × 100 ÷ 80 = 1.25 → 1.3
