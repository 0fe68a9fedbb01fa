"""A training subsidy in a real browser, from application to money in the bank.

A worker who completed a class, passed and holds the certificate applies online and entrusts the
training institution (uploading the signed entrustment); 人社 approves the claim and publishes it
in a public notice; the notice ends (the demo clock moves past its last day and the reviewer
closes it); a finance user builds the payment batch, a second finance user approves it and
downloads the bank file (the institution's basic account from the registry), and records the
bank's result; the worker then sees "已发放".

The demo clock starts at 2014-03-03 10:00 (a Monday); ``live_server`` runs in a thread of this
process, so the ``settings`` fixture reaches it."""

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from core.models import Department, PaymentBatch
from core.roles import Role
from core.services import user_create
from core.tests.factories import PASSWORD as WORKER_PASSWORD
from subsidies.models import SubsidyClaim
from subsidies.tests.factories import INSTITUTION_ACCOUNT, give_account, trainee

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "E2e-pass-2013"


@pytest.fixture
def demo_clock(settings, tmp_path):
    settings.DEBUG = True
    settings.APP_TODAY = "2014-03-03T10:00:00"
    settings.MEDIA_ROOT = tmp_path / "media"
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

    finance = Department.objects.get(code="czj")
    return {
        "reviewer": make(
            "rsj_reviewer", "李审核", Role.REVIEWER, department=Department.objects.get(code="rsj")
        ),
        "maker": make("czj_maker", "赵财务", Role.FINANCE, department=finance),
        "checker": make("czj_checker", "钱复核", Role.FINANCE, department=finance),
    }


def _logout(page: Page) -> None:
    page.click("#logout-button")


def test_worker_entrusts_reviewer_approves_notice_ends_finance_pays(
    page: Page, live_server, login, campaign, people, demo_clock, tmp_path
):
    enrollment = trainee(campaign, name="张建华")
    worker = enrollment.worker
    give_account(enrollment.training_class.institution)
    entrustment = tmp_path / "委托书.pdf"
    entrustment.write_bytes(b"%PDF-1.4\n% signed entrustment\n")

    # The worker applies and entrusts the institution.
    login(worker.user.username, WORKER_PASSWORD)
    page.goto(f"{live_server.url}/subsidies/my/")
    page.click(f"#training-{enrollment.pk} .apply-link")
    page.check("#id_payee_1")
    page.set_input_files("#id_document", str(entrustment))
    page.check("#id_confirm")
    page.click("#apply-submit")
    claim = SubsidyClaim.objects.get(worker=worker)
    assert claim.payee_kind == SubsidyClaim.PayeeKind.INSTITUTION
    _logout(page)

    # 人社 approves, then publishes the approved claim.
    login("rsj_reviewer", PASSWORD)
    page.goto(f"{live_server.url}/subsidies/review/")
    page.click(f"text={claim.number}")
    expect(page.locator('[data-rule="attendance"]')).to_have_attribute("data-passed", "1")
    page.click("#approve-button")
    page.goto(f"{live_server.url}/subsidies/review/notice/")
    page.click("#publish-button")
    expect(page.locator("#notice-status")).to_have_text("公示中")
    expect(page.locator("#notice-items")).to_contain_text("张*华")
    expect(page.locator("#notice-items")).not_to_contain_text("张建华")

    # The notice ends (5 working days: Mon 3 to Fri 7 March); on Monday it can be closed.
    demo_clock.APP_TODAY = "2014-03-10T10:00:00"
    page.reload()
    page.click("#notice-close-button")
    expect(page.locator("#notice-status")).to_have_text("公示结束")
    claim.refresh_from_db()
    assert claim.status == SubsidyClaim.Status.READY
    _logout(page)

    # Finance builds the batch; the maker may not approve it.
    login("czj_maker", PASSWORD)
    page.goto(f"{live_server.url}/subsidies/payments/")
    expect(page.locator("#payable-table")).to_contain_text(claim.number)
    page.click("#batch-create-button")
    expect(page.locator("#maker-checker-note")).to_be_visible()
    expect(page.locator("#batch-approve-button")).to_have_count(0)
    batch = PaymentBatch.objects.get()
    _logout(page)

    # A second finance user approves, downloads the bank file and records the result.
    login("czj_checker", PASSWORD)
    page.goto(f"{live_server.url}/payments/{batch.pk}/")
    page.click("#batch-approve-button")
    with page.expect_download() as download:
        page.click("#bank-file-link")
    # The downloaded file has no extension; openpyxl accepts a file object without checking it.
    with open(download.value.path(), "rb") as handle:
        sheet = openpyxl.load_workbook(handle).active
    assert sheet["E3"].value == INSTITUTION_ACCOUNT
    assert sheet["G3"].value == claim.number
    line = batch.lines.get()
    page.select_option(f"#line-{line.pk} select", "paid")
    page.click(f"#line-{line.pk} button")
    expect(page.locator("#batch-status")).to_have_text("已完成")
    _logout(page)

    # The worker sees the money paid.
    login(worker.user.username, WORKER_PASSWORD)
    page.goto(f"{live_server.url}/subsidies/my/claims/{claim.pk}/")
    expect(page.locator("#claim-status")).to_have_text("已发放")
