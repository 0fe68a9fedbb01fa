"""A training class in a real browser: 许昌技师学院 creates a class and uploads its roster (built
from the roster template), submits it; a clerk of 市人社局 (the category's department) approves
it; the office assigns an inspector who records a spot check; the institution records
attendance and results, and a job referral for a trainee who passed.

The demo clock starts at 2014-03-03 10:00 (the class runs 2014-03-10 to 2014-03-21) and is moved
to the end date for the checks, attendance and results; ``live_server`` runs in a thread of this
process, so the ``settings`` fixture reaches it."""

import io
import tempfile
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from core.models import Department
from core.roles import Role
from core.services import user_create
from core.validators import make_resident_id
from training.models import Enrollment, Institution, JobReferral, TrainingClass
from training.services.workers import roster_template_write

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "E2e-pass-2013"
TRAINEES = ("张明", "李娜", "王强")
SCREENSHOT = Path(tempfile.gettempdir()) / "class_detail.png"


@pytest.fixture
def demo_clock(settings):
    settings.DEBUG = True
    settings.APP_TODAY = "2014-03-03T10:00:00"
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
        "staff": make(
            "jishi_staff",
            "技师学院教务",
            Role.INSTITUTION,
            institution=Institution.objects.get(name="许昌技师学院"),
        ),
        "clerk": make(
            "rsj_clerk", "人社填报员", Role.CLERK, department=Department.objects.get(code="rsj")
        ),
        "office": make(
            "office_e2e", "王主任", Role.OFFICE, department=Department.objects.get(code="office")
        ),
        "inspector": make(
            "nyj_inspector",
            "农业局督查员",
            Role.CLERK,
            department=Department.objects.get(code="nyj"),
        ),
    }


@pytest.fixture
def files(tmp_path):
    """The two documents and a roster filled into the worker base's own template."""
    form = tmp_path / "开班审批表.pdf"
    form.write_bytes(b"%PDF-1.4\n% approval form\n")
    plan = tmp_path / "教学计划.pdf"
    plan.write_bytes(b"%PDF-1.4\n% teaching plan\n")
    template = io.BytesIO()
    roster_template_write(template)
    template.seek(0)
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["学员花名册"]
    for n, name in enumerate(TRAINEES, start=1):
        number = make_resident_id(f"41100219880315{n:03d}")
        sheet.append([number, name, "", "魏都区", "农村", "初中", ""])
    roster = tmp_path / "学员花名册.xlsx"
    workbook.save(roster)
    return {"form": form, "plan": plan, "roster": roster}


def _logout(page: Page, live_server) -> None:
    page.click("#logout-button")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_institution_submits_department_approves_inspector_checks_institution_finishes(
    page, live_server, login, demo_clock, people, files
):
    base = live_server.url

    # --- The institution creates the class with its documents. ---
    login("jishi_staff", PASSWORD)
    page.goto(f"{base}/training/classes/")
    page.click("#class-create-link")
    expect(page.locator("#page-title")).to_contain_text("新建培训班 · 许昌技师学院")
    page.get_by_label("班级名称").fill("低压电工培训班")
    page.get_by_label("培训类别").select_option(label="下岗失业人员培训")
    page.get_by_label("职业（工种）").select_option(index=1)
    page.get_by_label("开班日期").fill("2014-03-10")
    page.get_by_label("结业日期").fill("2014-03-21")
    page.get_by_label("计划课次").fill("10")
    page.get_by_label("计划人数").fill("30")
    page.get_by_label("授课教师").fill("张老师、李老师")
    page.set_input_files("#id_approval_form", files["form"])
    page.set_input_files("#id_teaching_plan", files["plan"])
    page.click("#class-save")
    expect(page.get_by_role("alert")).to_contain_text("已创建培训班 2014-000001")
    expect(page.locator("#class-status")).to_have_text("草稿")

    # Roster upload through the page, then submit.
    page.set_input_files("#id_roster_file", files["roster"])
    page.click("#roster-upload")
    expect(page.get_by_role("alert")).to_contain_text("已导入学员花名册，共3人")
    for name in TRAINEES:
        expect(page.locator("#roster-table")).to_contain_text(name)
    page.click("#class-submit")
    expect(page.get_by_role("alert")).to_contain_text("已提交开班审批")
    expect(page.locator("#class-status")).to_have_text("待审批")
    _logout(page, live_server)

    # --- The department's clerk approves it from the queue. ---
    login("rsj_clerk", PASSWORD)
    page.goto(f"{base}/training/classes/queue/")
    expect(page.locator("#queue-table")).to_contain_text("低压电工培训班")
    page.locator("#queue-table").get_by_role("link", name="审批").click()
    page.get_by_label("审批意见").fill("材料齐全，同意开班")
    page.click("#class-approve")
    expect(page.get_by_role("alert").first).to_contain_text("已批准开班，并已随机安排3次抽查")
    expect(page.locator("#class-status")).to_have_text("已批准开班")
    _logout(page, live_server)

    training_class = TrainingClass.objects.get(code="2014-000001")
    days = list(training_class.inspections.order_by("planned_date"))
    assert len(days) == 3

    # --- The office sends the 农业局 inspector to every planned check. ---
    login("office_e2e", PASSWORD)
    page.goto(f"{base}/training/classes/{training_class.pk}/")
    for inspection in days:
        row = page.locator(f"#inspection-{inspection.pk}")
        row.get_by_role("combobox").select_option(label="农业局督查员（市农业局）")
        row.get_by_role("button", name="指派").click()
        expect(page.get_by_role("alert")).to_contain_text("已指派农业局督查员")
    expect(page.locator("#inspection-table")).not_to_contain_text("未指派")
    _logout(page, live_server)

    # --- The end date: the inspector records a check. ---
    demo_clock.APP_TODAY = "2014-03-21T10:00:00"
    login("nyj_inspector", PASSWORD)
    page.goto(f"{base}/training/inspections/")
    page.get_by_role("link", name="登记检查").first.click()
    expect(page.locator("#page-title")).to_contain_text("登记抽查 · 2014-000001")
    page.get_by_label("教学进度").fill("第6课次")
    page.get_by_label("教学内容").fill("低压电器安装")
    page.get_by_label("教师在岗").select_option(label="在岗")
    page.get_by_label("实到人数").fill("4")
    page.get_by_label("结论").select_option(label="规范")
    page.click("#inspection-save")
    expect(page.locator(".invalid-feedback")).to_contain_text("实到人数不能超过花名册人数（3人）")
    page.get_by_label("实到人数").fill("3")
    page.click("#inspection-save")
    expect(page.get_by_role("alert")).to_contain_text("已登记抽查结果")
    _logout(page, live_server)

    # --- The institution records attendance and results, and a referral. ---
    login("jishi_staff", PASSWORD)
    page.goto(f"{base}/training/classes/{training_class.pk}/")
    expect(page.locator("#inspection-table")).to_contain_text("低压电器安装")
    page.click("#attendance-link")
    page.get_by_label("课次", exact=True).fill("1")
    for name in TRAINEES:
        page.get_by_label(name, exact=False).check()
    page.click("#attendance-save")
    expect(page.get_by_role("alert")).to_contain_text("已登记第1次课考勤（出勤3人）")
    page.click("#attendance-link")
    page.get_by_label("课次", exact=True).fill("2")
    page.get_by_label(TRAINEES[0], exact=False).check()
    page.click("#attendance-save")
    expect(page.get_by_role("alert")).to_contain_text("已登记第2次课考勤（出勤1人）")
    expect(page.locator("#class-sessions")).to_contain_text("已上2次")
    expect(page.locator("#attendance-grid")).to_be_visible()

    page.click("#results-link")
    page.get_by_label(f"{TRAINEES[0]} 考核结果").select_option(label="合格")
    page.get_by_label(f"{TRAINEES[1]} 考核结果").select_option(label="合格")
    page.get_by_label(f"{TRAINEES[2]} 考核结果").select_option(label="不合格")
    page.click("#results-save")
    expect(page.get_by_role("alert")).to_contain_text("已保存结业考核结果")
    expect(page.locator("#class-pass-rate")).to_contain_text("合格2人，不合格1人")

    page.locator(f"#roster-table tr:has-text('{TRAINEES[0]}')").get_by_role(
        "link", name="登记就业推荐"
    ).click()
    page.get_by_label("推荐单位").fill("许继集团")
    page.get_by_label("推荐岗位").fill("维修电工")
    page.click("#referral-save")
    expect(page.get_by_role("alert")).to_contain_text(f"已登记{TRAINEES[0]}的就业推荐")
    expect(page.locator("#roster-table")).to_contain_text("许继集团 · 维修电工")
    page.screenshot(path=SCREENSHOT, full_page=True)

    referral = JobReferral.objects.select_related("enrollment__worker").get()
    assert referral.enrollment.worker.name == TRAINEES[0]
    assert Enrollment.objects.filter(result="passed").count() == 2
    assert training_class.inspections.filter(done_at__isnull=False).count() == 1
