"""The "直通车" in a real browser: a worker who passed a closed 钧瓷 class registers online
(checking the level rule first), the appraisal body schedules them into today's sitting and
records a pass, the certificate appears on the worker's page and the public check confirms it.

The demo clock stands at 2014-06-02 10:00 (Asia/Shanghai), the sitting's exam day (scheduling
is allowed up to the day, results from the day on); ``live_server`` runs in a thread of this
process, so the ``settings`` fixture reaches it."""

import datetime
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from appraisal.models import AppraisalBody, BodyAuthorisation, Certificate, Level, Sitting
from core.crypto import encrypt, keyed_hash
from core.models import Department
from core.roles import Role
from core.services import user_create
from core.validators import make_resident_id, mask_resident_id
from training.models import (
    Enrollment,
    Institution,
    Occupation,
    TrainingCategory,
    TrainingClass,
    Worker,
)

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "E2e-pass-2013"
EXAM_DAY = datetime.date(2014, 6, 2)
WORKER_NAME = "赵小燕"
SCREENSHOTS = Path(tempfile.gettempdir())  # /tmp/appraisal_*.png


@pytest.fixture
def demo_clock(settings):
    settings.DEBUG = True
    settings.APP_TODAY = "2014-06-02T10:00:00"


@pytest.fixture
def world(campaign):
    """A trained worker with a login, a body with one staff member, today's sitting."""
    occupation = Occupation.objects.get(code="ZY001")
    number = make_resident_id("41100219920315002")
    worker = Worker.objects.create(
        id_number_hash=keyed_hash(number),
        id_number_encrypted=encrypt(number),
        id_number_masked=mask_resident_id(number),
        name=WORKER_NAME,
        sex=Worker.Sex.FEMALE,
        birth_date=datetime.date(1992, 3, 15),
        household=Worker.Household.RURAL,
        education=Worker.Education.SENIOR,
        user=user_create(
            username="worker_e2e",
            password=PASSWORD,
            full_name=WORKER_NAME,
            roles=[Role.WORKER],
            actor=None,
        ),
    )
    training_class = TrainingClass.objects.create(
        campaign=campaign,
        code="E2E-001",
        name="电工培训班",
        institution=Institution.objects.get(name="许昌技师学院"),
        category=TrainingCategory.objects.get(campaign=campaign, number=3),
        occupation=occupation,
        kind=TrainingClass.Kind.EMPLOYMENT,
        start_date=datetime.date(2014, 4, 1),
        end_date=datetime.date(2014, 5, 16),
        planned_sessions=20,
        sessions_held=20,
        capacity=30,
        teachers="王老师",
        status=TrainingClass.Status.CLOSED,
    )
    Enrollment.objects.create(
        campaign=campaign,
        training_class=training_class,
        worker=worker,
        subsidised=True,
        sessions_attended=19,
        result=Enrollment.Result.PASSED,
    )
    staff = user_create(
        username="body_e2e",
        password=PASSWORD,
        full_name="鉴定站李老师",
        roles=[Role.REVIEWER],
        department=Department.objects.get(code="rsj"),
        actor=None,
    )
    body = AppraisalBody.objects.create(name="许昌市职业技能鉴定中心")
    body.staff.add(staff)
    BodyAuthorisation.objects.create(body=body, occupation=occupation, max_level=Level.SENIOR)
    sitting = Sitting.objects.create(
        body=body,
        occupation=occupation,
        level=Level.JUNIOR,
        exam_date=EXAM_DAY,
        place="鉴定中心一楼实操车间",
        capacity=30,
        created_by=staff,
    )
    return {"worker": worker, "staff": staff, "sitting": sitting, "occupation": occupation}


def _logout(page: Page, live_server) -> None:
    page.click("#logout-button")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_worker_registers_body_records_a_pass_certificate_is_public(
    page, live_server, login, demo_clock, world
):
    occupation = world["occupation"]
    sitting = world["sitting"]

    # --- The worker checks the rule, then registers online. ---
    login("worker_e2e", PASSWORD)
    page.goto(f"{live_server.url}/appraisal/register/")
    expect(page.locator("#page-title")).to_have_text("职业技能鉴定报名（直通车）")
    page.get_by_label("职业（工种）").select_option(label=occupation.name)
    page.get_by_label("申报等级").select_option(label="初级工")
    page.get_by_role("button", name="检查报名条件").click()
    expect(page.locator("#rule-check-verdict")).to_have_text("符合报名条件，可以提交报名")
    expect(page.locator("#rule-check-met")).to_contain_text("培训班结业考核合格")
    page.screenshot(path=SCREENSHOTS / "appraisal_apply.png", full_page=True)
    page.get_by_label("委托鉴定机构或培训机构代为申领一次性职业技能鉴定补贴").check()
    page.get_by_role("button", name="提交报名").click()
    expect(page.get_by_role("alert")).to_contain_text("报名成功")
    row = page.locator("#registration-table tbody tr").first
    expect(row).to_contain_text(occupation.name)
    expect(row.locator(".registration-status")).to_have_text("已报名")
    expect(page.locator("#certificate-table")).to_contain_text("暂无证书")
    _logout(page, live_server)

    # --- The body's staff schedule the candidate into today's sitting and record a pass. ---
    login("body_e2e", PASSWORD)
    page.goto(f"{live_server.url}/appraisal/sittings/")
    page.locator("#sitting-table").get_by_role("link", name="2014-06-02").click()
    expect(page.locator("#page-title")).to_contain_text(occupation.name)
    page.get_by_label(f"安排 {WORKER_NAME}").check()
    page.get_by_role("button", name="安排所选考生").click()
    expect(page.get_by_role("alert")).to_contain_text("已安排1名考生")
    expect(page.locator("#sitting-seats")).to_contain_text("已安排1人")
    page.get_by_role("link", name="录入成绩").click()
    page.get_by_label(f"{WORKER_NAME} 理论成绩").fill("86")
    page.get_by_label(f"{WORKER_NAME} 实操成绩").fill("78.5")
    page.get_by_role("button", name="保存成绩").click()
    expect(page.get_by_role("alert")).to_contain_text("合格1人")
    certificate = Certificate.objects.get(worker=world["worker"])
    assert re.fullmatch(rf"XC2014{sitting.body_id:04d}000001", certificate.number)
    expect(page.locator("#certificate-table")).to_contain_text(certificate.number)
    page.screenshot(path=SCREENSHOTS / "appraisal_sitting.png", full_page=True)
    _logout(page, live_server)

    # --- The certificate is on the worker's page. ---
    login("worker_e2e", PASSWORD)
    page.goto(f"{live_server.url}/appraisal/me/")
    expect(page.locator("#certificate-table .certificate-number")).to_have_text(certificate.number)
    expect(page.locator("#registration-table .registration-status").first).to_have_text("合格")
    _logout(page, live_server)

    # --- An employer checks it on the public page, without signing in. ---
    page.goto(f"{live_server.url}/appraisal/certificates/check/")
    page.get_by_label("证书编号").fill(certificate.number)
    page.get_by_label("持证人姓名").fill("赵小")
    page.get_by_role("button", name="查验").click()
    expect(page.locator("#check-verdict")).to_have_text("未查到与该姓名匹配的证书")
    page.get_by_label("持证人姓名").fill(WORKER_NAME)
    page.get_by_role("button", name="查验").click()
    expect(page.locator("#check-verdict")).to_have_text("证书有效")
    expect(page.locator("#check-occupation")).to_have_text(occupation.name)
    expect(page.locator("#check-level")).to_have_text("初级工")
    expect(page.locator("#check-issuer")).to_have_text("许昌市职业技能鉴定中心")
    expect(page.locator("#check-result")).not_to_contain_text(world["worker"].id_number_masked)
    page.screenshot(path=SCREENSHOTS / "appraisal_check.png", full_page=True)
