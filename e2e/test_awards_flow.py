"""An award cycle in a real browser: the office opens the 2013–2014 cycle with two committee
members; the clerk of 市人社局 nominates a technician for 技能大奖; the office closes
nominations; one member recuses, the other scores, both submit; the office confirms the winner
from the ranking and publishes the notice; after the notice period the office closes it and the
public honours page (no login) shows the winner with a masked ID number.

The demo clock starts at 2014-09-10 10:00 and is moved past the notice's last day to close it;
``live_server`` runs in a thread of this process, so the ``settings`` fixture reaches it."""

import re

import pytest
from playwright.sync_api import Page, expect

from awards.models import Cycle, Recusal, Score, Winner
from awards.tests.support import make_worker
from core.crypto import decrypt
from core.models import Department
from core.roles import Role
from core.services import user_create

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "E2e-pass-2013"


@pytest.fixture
def demo_clock(settings):
    settings.DEBUG = True
    settings.APP_TODAY = "2014-09-10T10:00:00"
    return settings


@pytest.fixture
def people(campaign):
    def make(username, full_name, role, **kwargs):
        return user_create(
            username=username,
            password=PASSWORD,
            full_name=full_name,
            roles=[role],
            actor=None,
            **kwargs,
        )

    return {
        "office": make(
            "office_e2e", "王主任", Role.OFFICE, department=Department.objects.get(code="office")
        ),
        "clerk": make(
            "rsj_clerk", "人社填报员", Role.CLERK, department=Department.objects.get(code="rsj")
        ),
        "member_a": make("committee_a", "孙委员", Role.COMMITTEE),
        "member_b": make("committee_b", "周委员", Role.COMMITTEE),
    }


def _as(page: Page, login, username: str) -> None:
    page.context.clear_cookies()
    login(username, PASSWORD)


def test_office_opens_unit_nominates_members_score_office_decides_honours_show(
    page: Page, live_server, login, people, demo_clock
):
    worker = make_worker("赵技师", level=2)
    id_number = decrypt(worker.id_number_encrypted)
    base = live_server.url

    # The office opens the cycle.
    _as(page, login, "office_e2e")
    page.goto(f"{base}/awards/cycles/")
    page.click("#cycle-create-link")
    page.fill("#id_first_year", "2013")
    page.fill("#id_nomination_opens", "2014-09-01")
    page.fill("#id_nomination_closes", "2014-09-30")
    page.get_by_label("孙委员").check()
    page.get_by_label("周委员").check()
    page.click("#cycle-submit")
    expect(page.locator("#cycle-status")).to_have_text("推荐中")
    cycle = Cycle.objects.get()

    # The unit (市人社局) nominates.
    _as(page, login, "rsj_clerk")
    page.goto(f"{base}/awards/cycles/{cycle.pk}/")
    page.click("#nominate-link")
    page.select_option("#id_award_kind", label="许昌市技能大奖")
    page.fill("#id_id_number", id_number)
    page.fill("#id_name", "赵技师")
    page.select_option("#id_occupation", index=1)
    page.fill("#id_employer", "许继集团有限公司")
    page.fill("#id_achievements", "主持变压器绕线工艺改进，带徒三十余人。")
    page.click("#nomination-submit")
    expect(page.locator("#nomination-table")).to_contain_text("赵技师")

    # The office closes nominations.
    _as(page, login, "office_e2e")
    page.goto(f"{base}/awards/cycles/{cycle.pk}/")
    page.click("#close-nominations")
    expect(page.locator("#cycle-status")).to_have_text("评审中")

    # Member A recuses and submits; member B scores and submits.
    _as(page, login, "committee_a")
    page.goto(f"{base}/awards/cycles/{cycle.pk}/review/")
    page.get_by_role("link", name="评分").click()
    page.fill("#recuse-form input[name=reason]", "被推荐人系本人学生")
    page.click("#recuse-submit")
    expect(page.locator("#review-table")).to_contain_text("已回避")
    page.click("#review-submit")
    expect(page.locator("#submitted-note")).to_be_visible()

    _as(page, login, "committee_b")
    page.goto(f"{base}/awards/cycles/{cycle.pk}/review/")
    page.get_by_role("link", name="评分").click()
    page.fill("#id_skill", "92")
    page.fill("#id_contribution", "95")
    page.fill("#id_mentoring", "88")
    page.click("#score-submit")
    expect(page.locator("#review-table")).to_contain_text("92")
    page.click("#review-submit")
    expect(page.locator("#submitted-note")).to_be_visible()
    assert Recusal.objects.filter(member=people["member_a"]).exists()
    assert not Score.objects.filter(member=people["member_a"]).exists()

    # The office decides from the ranking and publishes the notice.
    _as(page, login, "office_e2e")
    page.goto(f"{base}/awards/cycles/{cycle.pk}/ranking/")
    expect(page.locator("#ranking-grand_prize")).to_contain_text("92.70")
    page.click("#confirm-top-grand_prize")
    expect(page.locator("#ranking-grand_prize")).to_contain_text("已确定")
    page.goto(f"{base}/awards/cycles/{cycle.pk}/")
    page.click("#publish-notice")
    expect(page.locator("#cycle-status")).to_have_text("公示中")

    # After the notice period (5 working days from Wed 10 Sep: last day Tue 16 Sep).
    demo_clock.APP_TODAY = "2014-09-17T10:00:00"
    _as(page, login, "office_e2e")
    page.goto(f"{base}/awards/cycles/{cycle.pk}/")
    page.click("#close-notice")
    expect(page.locator("#cycle-status")).to_have_text("已公布")
    assert Winner.objects.get().nomination.worker == worker

    # The public honours page, without login.
    page.context.clear_cookies()
    page.goto(f"{base}/awards/honours/")
    page.get_by_role("link", name=re.compile("2013—2014")).click()
    honours = page.locator("#honours-grand_prize")
    expect(honours).to_contain_text("赵技师")
    expect(honours).to_contain_text(worker.id_number_masked)
    expect(honours).not_to_contain_text(id_number)
    expect(honours).to_contain_text("许继集团有限公司")
