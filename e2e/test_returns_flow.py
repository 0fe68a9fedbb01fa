"""The monthly-return loop in a real browser: a clerk of 市人社局 enters and submits May 2014, the
office sends it back with a reason, the clerk corrects and resubmits, the office accepts.

The demo clock stands at 2014-06-02 10:00 (Asia/Shanghai), inside May's window (due on the 3rd);
``live_server`` runs in a thread of this process, so the ``settings`` fixture reaches it."""

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.models import Department
from core.roles import Role
from core.services import user_create
from training.models import MonthlyReturn

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "E2e-pass-2013"
SEND_BACK_REASON = "创业培训合格人数与证书不符"
SCREENSHOT = Path(tempfile.gettempdir()) / "return_grid.png"  # /tmp/return_grid.png

# 市人社局's four categories (number, name) and May's figures for each, in FIGURE_FIELDS order:
# trained, passed, certified, employed, entrepreneurs.
FIGURE_LABELS = ("培训人次", "考核合格", "取得证书", "实现就业", "成功创业")
FIGURES = {
    (2, "下岗失业人员培训"): (120, 110, 100, 60, 5),
    (3, "农村劳动力培训"): (340, 300, 280, 150, 0),
    (4, "高校毕业生培训"): (45, 40, 38, 20, 2),
    (5, "创业培训"): (30, 28, 25, 10, 12),
}


@pytest.fixture
def demo_clock(settings):
    settings.DEBUG = True
    settings.APP_TODAY = "2014-06-02T10:00:00"


@pytest.fixture
def clerk(campaign):
    return user_create(
        username="clerk_rsj_e2e",
        password=PASSWORD,
        full_name="人社填报员",
        roles=[Role.CLERK],
        department=Department.objects.get(code="rsj"),
        actor=None,
    )


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


def _cell(page: Page, category: str, label: str):
    """The input of one cell, found by its accessible name ("创业培训 取得证书")."""
    return page.get_by_label(f"{category} {label}", exact=True)


def _logout(page: Page, live_server) -> None:
    page.click("#logout-button")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def _open_current_return(page: Page) -> None:
    """The clerk's way in: 月度报送 in the menu, straight to last month's return."""
    page.locator("#main-nav").get_by_role("link", name="月度报送", exact=True).click()
    expect(page.locator("#page-title")).to_contain_text("2014年5月目标任务完成情况")


def _open_rsj_may_from_matrix(page: Page) -> None:
    """The office's way in: 报送审核 in the menu, then 市人社局's cell in the row for May 2014."""
    page.locator("#main-nav").get_by_role("link", name="报送审核", exact=True).click()
    expect(page.locator("#page-title")).to_have_text("月度报送情况")
    cell = page.locator('#return-matrix a[href$="/returns/rsj/2014-05/"]')
    expect(cell).to_have_attribute("title", "许昌市人力资源和社会保障局 2014年5月：按时提交")
    cell.click()
    expect(page.locator("#page-title")).to_have_text(
        "许昌市人力资源和社会保障局 · 2014年5月目标任务完成情况"
    )


def test_clerk_submits_office_sends_back_clerk_resubmits_office_accepts(
    page, live_server, login, demo_clock, clerk, office
):
    # --- The clerk enters May's figures, saves a draft, then submits. ---
    login(clerk.username, PASSWORD)
    _open_current_return(page)
    expect(page.locator("#return-status")).to_have_text("未填报")
    for (_number, category), values in FIGURES.items():
        for label, value in zip(FIGURE_LABELS, values, strict=True):
            _cell(page, category, label).fill(str(value))
    page.get_by_role("button", name="保存草稿").click()

    expect(page.get_by_role("alert")).to_contain_text("已保存草稿")
    expect(page.locator("#return-status")).to_have_text("草稿")
    for (_number, category), values in FIGURES.items():
        for label, value in zip(FIGURE_LABELS, values, strict=True):
            expect(_cell(page, category, label)).to_have_value(str(value))
    # Cumulative and % of quota follow the saved figures: 120 of 24,000 = 0.5%.
    expect(page.locator("#row-2-trained")).to_contain_text("0.5%")
    page.locator("#return-grid").screenshot(path=SCREENSHOT)

    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("已提交，等待办公室审核。")
    expect(page.locator("#return-status")).to_have_text("已提交")
    expect(page.locator("#edit-state")).to_contain_text("已提交，等待办公室审核")
    expect(page.locator("#return-grid input")).to_have_count(0)
    expect(page.locator("#row-3-trained .cell-value")).to_have_text("340")
    expect(page.get_by_role("button", name="提交", exact=True)).to_have_count(0)
    _logout(page, live_server)

    # --- The office sends it back with a reason. ---
    login(office.username, PASSWORD)
    _open_rsj_may_from_matrix(page)
    expect(page.locator("#row-5-certified .cell-value")).to_have_text("25")
    page.get_by_label("退回理由").fill(SEND_BACK_REASON)
    page.get_by_role("button", name="退回修改").click()
    expect(page.get_by_role("alert")).to_contain_text("已退回市人社局2014年5月月报")
    expect(page.locator("#return-status")).to_have_text("已退回修改")
    _logout(page, live_server)

    # --- The clerk reads the reason, corrects one figure and resubmits. ---
    login(clerk.username, PASSWORD)
    _open_current_return(page)
    expect(page.locator("#return-reason")).to_contain_text(SEND_BACK_REASON)
    expect(page.locator("#edit-state")).to_have_count(0)
    certified = _cell(page, "创业培训", "取得证书")
    expect(certified).to_have_value("25")
    certified.fill("28")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("已提交，等待办公室审核。")
    expect(page.locator("#return-status")).to_have_text("已提交")
    expect(page.locator("#row-5-certified .cell-value")).to_have_text("28")
    expect(page.locator("#return-reason")).to_have_count(0)
    _logout(page, live_server)

    # --- The office accepts. ---
    login(office.username, PASSWORD)
    _open_rsj_may_from_matrix(page)
    expect(page.locator("#row-5-certified .cell-value")).to_have_text("28")
    page.get_by_role("button", name="审核通过").click()
    expect(page.get_by_role("alert")).to_contain_text("已审核通过市人社局2014年5月月报")
    expect(page.locator("#return-status")).to_have_text("已审核通过")
    _logout(page, live_server)

    # --- The clerk sees it accepted and closed. ---
    login(clerk.username, PASSWORD)
    _open_current_return(page)
    expect(page.locator("#return-status")).to_have_text("已审核通过")
    expect(page.locator("#edit-state")).to_contain_text("已审核通过；如需修改，请提交更正申请")
    expect(page.locator("#return-grid input")).to_have_count(0)
    expect(page.locator("#row-5-certified .cell-value")).to_have_text("28")

    ret = MonthlyReturn.objects.get(department__code="rsj", month="2014-05-01")
    assert ret.status == MonthlyReturn.Status.ACCEPTED
    assert ret.lines.get(category__number=5).certified == 28


def test_passed_above_trained_shows_the_cell_error_and_saves_nothing(
    page, live_server, login, demo_clock, clerk
):
    login(clerk.username, PASSWORD)
    _open_current_return(page)
    _cell(page, "下岗失业人员培训", "培训人次").fill("10")
    _cell(page, "下岗失业人员培训", "考核合格").fill("20")
    page.get_by_role("button", name="保存草稿").click()

    expect(page.get_by_role("alert")).to_contain_text("填报数据有误，请按提示修改后重新保存。")
    expect(page.locator("#row-2-passed .invalid-feedback")).to_have_text(
        "下岗失业人员培训：考核合格（20）不能大于培训人次（10）"
    )
    passed = _cell(page, "下岗失业人员培训", "考核合格")
    expect(passed).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(passed).to_have_value("20")
    expect(page.locator("#return-status")).to_have_text("未填报")

    _open_current_return(page)
    expect(_cell(page, "下岗失业人员培训", "培训人次")).to_have_value("0")
    assert not MonthlyReturn.objects.filter(department__code="rsj").exists()
