import pytest
from playwright.sync_api import expect

from core.models import Department
from core.roles import Role
from core.services import user_create

PASSWORD = "E2e-pass-2013"


@pytest.mark.django_db(transaction=True)
def test_clerk_logs_in_sees_chinese_home_and_logs_out(page, live_server, campaign, login):
    user_create(
        username="clerk_e2e",
        password=PASSWORD,
        full_name="人社填报员",
        roles=[Role.CLERK],
        department=Department.objects.get(code="rsj"),
        actor=None,
    )
    login("clerk_e2e", "wrong-password")
    expect(page.locator("#login-error")).to_contain_text("用户名或密码不正确")

    login("clerk_e2e", PASSWORD)
    expect(page.locator("#page-title")).to_contain_text("您好，人社填报员")
    expect(page.locator("#panel-clerk")).to_contain_text("下岗失业人员培训")
    expect(page.locator("#current-user")).to_contain_text("责任单位填报员")
    expect(page.locator("#main-nav")).not_to_contain_text("审计记录")

    page.click("#logout-button")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
