"""The class pages through the test client: the whole loop page by page, the permission matrix
of every view, and query counts that do not grow with the data."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.crypto import decrypt
from core.roles import Role
from core.tests.factories import user_with_role
from core.validators import make_resident_id
from training.models import (
    AttendanceRecord,
    CooperationOrder,
    Enrollment,
    Inspection,
    JobReferral,
    TrainingClass,
)
from training.services import classes as svc
from training.services import workers as worker_services
from training.tests.test_classes_support import (  # noqa: F401 (fixtures)
    END,
    HOME,
    OTHER,
    START,
    approved_class,
    at,
    category,
    department_user,
    enroll,
    frozen_fixture,
    make_class,
    media_root,
    occupation,
    rsj_clerk,
    staff_of,
)

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"training:{name}", args=args)


def roster_xlsx(rows) -> bytes:
    """A roster built from the worker base's own template, filled in with openpyxl."""
    template = io.BytesIO()
    worker_services.roster_template_write(template)
    template.seek(0)
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["学员花名册"]
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def roster_rows(count, first=1):
    return [
        [make_resident_id(f"41100219850101{n:03d}"), f"学员{n}", "", "魏都区", "农村", "初中", ""]
        for n in range(first, first + count)
    ]


def class_post(plan, **overrides):
    data = {
        "name": "电工培训班",
        "category": str(category(plan).pk),
        "occupation": str(occupation().pk),
        "kind": "employment",
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "planned_sessions": "10",
        "capacity": "30",
        "teachers": "张老师",
        "subsidised": "on",
        "approval_form": SimpleUploadedFile("审批表.pdf", b"%PDF-1.4 x"),
        "teaching_plan": SimpleUploadedFile("计划.docx", b"PK\x03\x04 x"),
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------------------------
# The loop, page by page
# --------------------------------------------------------------------------------------------


def test_whole_class_loop_through_the_pages(client, plan, frozen):
    staff = staff_of()
    clerk = rsj_clerk()
    office = department_user(Role.OFFICE, "office")
    inspector = department_user(Role.CLERK, "nyj")

    # The institution creates the class with its two documents.
    client.force_login(staff)
    response = client.post(url("class_create"), class_post(plan))
    assert response.status_code == 302
    training_class = TrainingClass.objects.get()
    assert response["Location"] == url("class_detail", training_class.pk)
    assert training_class.code == "2014-000001"

    # Roster through the page (the worker base's importer), then submit.
    response = client.post(
        url("class_roster_upload", training_class.pk),
        {"file": SimpleUploadedFile("花名册.xlsx", roster_xlsx(roster_rows(4)))},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert training_class.enrollments.count() == 4
    response = client.post(url("class_submit", training_class.pk), follow=True)
    assert "已提交开班审批" in response.content.decode()

    # The department's clerk finds it in the queue and approves it.
    client.force_login(clerk)
    assert training_class.code in client.get(url("class_queue")).content.decode()
    response = client.post(url("class_approve", training_class.pk), {"reason": "同意"})
    assert response.status_code == 302
    training_class.refresh_from_db()
    assert training_class.status == "approved"
    assert training_class.inspections.count() == 3

    # The office sends an inspector to every planned check.
    client.force_login(office)
    page = client.get(url("class_detail", training_class.pk)).content.decode()
    assert "抽查随机种子" in page or "随机种子" in page
    for inspection in training_class.inspections.all():
        response = client.post(url("inspection_assign", inspection.pk), {"inspector": inspector.pk})
        assert response.status_code == 302
    assert not training_class.inspections.filter(inspector__isnull=True).exists()

    # The institution cannot see the planned (unannounced) days.
    client.force_login(staff)
    page = client.get(url("class_detail", training_class.pk)).content.decode()
    first_day = training_class.inspections.order_by("planned_date").first().planned_date
    assert "计划日期" not in page
    assert "暂无已完成的抽查" in page

    # Sessions 1-10 between start and end; trainee 4 misses five sessions.
    frozen.move_to(at(2014, 3, 21, 9), tick=False)
    client.force_login(staff)  # the session of 18 days ago has expired
    ids = list(training_class.enrollments.order_by("pk").values_list("pk", flat=True))
    for session in range(1, 11):
        present = ids if session <= 5 else ids[:3]
        response = client.post(
            url("class_attendance", training_class.pk),
            {"session_number": str(session), "present": [str(i) for i in present]},
        )
        assert response.status_code == 302
    assert Enrollment.objects.get(pk=ids[3]).sessions_attended == 5
    page = client.get(url("class_detail", training_class.pk)).content.decode()
    assert 'id="attendance-grid"' in page

    # The inspector records the three checks.
    client.force_login(inspector)
    assert "登记检查" in client.get(url("inspection_list")).content.decode()
    for inspection in training_class.inspections.all():
        response = client.post(
            url("inspection_record", inspection.pk),
            {
                "teaching_progress": "第5课次",
                "content": "低压电工作业",
                "teacher_present": "yes",
                "students_present": "4",
                "findings": "",
                "verdict": "good",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
    assert training_class.inspections.filter(done_at__isnull=False).count() == 3
    assert first_day <= datetime.date(2014, 3, 21)

    # Results, a referral with its outcome, then the class closes.
    client.force_login(staff)
    results = {f"result_{i}": "passed" for i in ids[:3]} | {f"result_{ids[3]}": "failed"}
    assert client.post(url("class_results", training_class.pk), results).status_code == 302
    response = client.post(
        url("referral_create", ids[0]),
        {"employer": "许继集团", "post": "电工", "referred_on": "2014-03-21"},
    )
    assert response.status_code == 302
    referral = JobReferral.objects.get()
    response = client.post(
        url("referral_outcome", referral.pk), {"outcome": "employed", "outcome_on": "2014-03-21"}
    )
    assert response.status_code == 302
    # A failed trainee gets no referral.
    response = client.post(
        url("referral_create", ids[3]),
        {"employer": "许继集团", "post": "电工", "referred_on": "2014-03-21"},
    )
    assert response.status_code == 400
    assert "只有考核合格的学员才能登记就业推荐" in response.content.decode()
    response = client.post(url("class_close", training_class.pk), follow=True)
    assert "班级已结业" in response.content.decode()
    training_class.refresh_from_db()
    assert training_class.status == "closed"
    page = client.get(url("class_detail", training_class.pk)).content.decode()
    assert "合格率75.0%" in page
    assert "已就业" in page


def test_create_form_shows_service_errors_with_400(client, plan):
    client.force_login(staff_of())
    response = client.post(
        url("class_create"),
        class_post(plan, end_date="2014-03-01", approval_form=SimpleUploadedFile("a.exe", b"MZ")),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "结业日期不能早于开班日期" in body
    assert "只接受以下格式" in body
    assert not TrainingClass.objects.exists()


def test_revoked_institution_sees_the_refusal_on_the_form(client, plan):
    staff = staff_of()
    staff.institution.designation = "revoked"
    staff.institution.save()
    client.force_login(staff)
    response = client.post(url("class_create"), class_post(plan))
    assert response.status_code == 400
    assert "机构已被取消定点资格，不能开班" in response.content.decode()


def test_edit_page_saves_a_draft_and_refuses_a_submitted_class(client, plan):
    staff = staff_of()
    training_class = make_class(plan, staff)
    client.force_login(staff)
    page = client.get(url("class_edit", training_class.pk)).content.decode()
    assert 'value="电工培训班"' in page
    data = class_post(plan, name="焊工培训班", capacity="20")
    del data["approval_form"], data["teaching_plan"]
    assert client.post(url("class_edit", training_class.pk), data).status_code == 302
    training_class.refresh_from_db()
    assert (training_class.name, training_class.capacity) == ("焊工培训班", 20)
    assert training_class.approval_form  # kept when no new file is chosen
    response = client.post(url("class_edit", training_class.pk), {**data, "capacity": "0"})
    assert response.status_code == 400
    enroll(training_class, 1)
    svc.class_submit(training_class=training_class, actor=staff)
    response = client.post(url("class_edit", training_class.pk), data, follow=True)
    assert "不能修改" in response.content.decode()


def test_order_edit_and_delete_pages(client, plan):
    staff = staff_of()
    order = CooperationOrder.objects.create(
        campaign=plan,
        enterprise="许继集团",
        institution=staff.institution,
        kind="order",
        occupation=occupation(),
        year=2014,
        yearly_target=100,
    )
    client.force_login(staff)
    data = {
        "enterprise": "许继集团",
        "institution": str(staff.institution_id),
        "kind": "post",
        "occupation": str(occupation().pk),
        "year": "2014",
        "yearly_target": "1500",
    }
    assert client.post(url("order_edit", order.pk), data).status_code == 302
    order.refresh_from_db()
    assert (order.kind, order.yearly_target) == ("post", 1500)
    make_class(plan, staff, order=order)
    response = client.post(url("order_delete", order.pk), follow=True)
    assert "已有培训班关联该订单，不能删除" in response.content.decode()
    assert CooperationOrder.objects.filter(pk=order.pk).exists()


def test_roster_upload_errors_are_listed_and_nothing_saved(client, plan):
    staff = staff_of()
    training_class = make_class(plan, staff, capacity=2)
    client.force_login(staff)
    response = client.post(
        url("class_roster_upload", training_class.pk),
        {"file": SimpleUploadedFile("花名册.xlsx", roster_xlsx(roster_rows(3)))},
    )
    assert response.status_code == 400
    assert "学员人数超过计划人数" in response.content.decode()
    assert not training_class.enrollments.exists()


def test_submit_with_too_many_trainees_shows_the_rule(client, plan):
    staff = staff_of()
    training_class = make_class(plan, staff, capacity=1)
    enroll(training_class, 2)
    client.force_login(staff)
    response = client.post(url("class_submit", training_class.pk), follow=True)
    assert "学员人数超过计划人数" in response.content.decode()
    training_class.refresh_from_db()
    assert training_class.status == "draft"


def test_refuse_without_reason_re_renders_with_400(client, plan):
    staff = staff_of()
    training_class = make_class(plan, staff)
    enroll(training_class, 1)
    svc.class_submit(training_class=training_class, actor=staff)
    client.force_login(rsj_clerk())
    response = client.post(url("class_refuse", training_class.pk), {"reason": ""})
    assert response.status_code == 400
    assert "请填写不予批准的理由" in response.content.decode()
    response = client.post(url("class_refuse", training_class.pk), {"reason": "材料不全"})
    assert response.status_code == 302
    training_class.refresh_from_db()
    assert training_class.status == "refused"


def test_attendance_upload_page_reports_attended_above_held(client, plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=1)
    enrollment = training_class.enrollments.select_related("worker").get()
    frozen.move_to(at(2014, 3, 15, 9), tick=False)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "考勤"
    sheet.append(["身份证号码", "姓名", "出勤课次"])
    sheet.append([decrypt(enrollment.worker.id_number_encrypted), enrollment.worker.name, 4])
    content = io.BytesIO()
    workbook.save(content)
    client.force_login(staff)
    response = client.post(
        url("class_attendance_upload", training_class.pk),
        {"sessions_held": "3", "file": SimpleUploadedFile("考勤.xlsx", content.getvalue())},
    )
    assert response.status_code == 400
    assert "出勤课次（4）不能超过已上课次（3）" in response.content.decode()
    response = client.post(
        url("class_attendance_upload", training_class.pk),
        {"sessions_held": "4", "file": SimpleUploadedFile("考勤.xlsx", content.getvalue())},
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.sessions_attended == 4


def test_attendance_template_round_trips(client, plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=2)
    frozen.move_to(at(2014, 3, 15, 9), tick=False)
    client.force_login(staff)
    response = client.get(url("class_attendance_template", training_class.pk))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook["考勤"].iter_rows(values_only=True))
    assert rows[0] == ("身份证号码", "姓名", "出勤课次")
    assert len(rows) == 3
    sheet = workbook["考勤"]
    sheet["C2"] = 2
    sheet["C3"] = 1
    out = io.BytesIO()
    workbook.save(out)
    response = client.post(
        url("class_attendance_upload", training_class.pk),
        {"sessions_held": "2", "file": SimpleUploadedFile("考勤.xlsx", out.getvalue())},
    )
    assert response.status_code == 302
    assert sorted(training_class.enrollments.values_list("sessions_attended", flat=True)) == [1, 2]


def test_early_warning_shown_on_the_class_page(client, plan, frozen):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=2)
    edge, lost = training_class.enrollments.order_by("pk")
    frozen.move_to(at(2014, 3, 15, 9), tick=False)
    for session in range(1, 6):
        svc.attendance_record_session(
            training_class=training_class,
            session_number=session,
            present=[edge.pk] if session == 1 else [],
            actor=staff,
        )
    client.force_login(staff)
    body = client.get(url("class_detail", training_class.pk)).content.decode()
    assert 'id="attendance-warnings"' in body
    warning = body.split('id="attendance-warnings"')[1].split("</div>")[0]
    assert lost.worker.name in warning
    assert edge.worker.name not in warning


def test_file_download_to_class_readers(client, plan):
    staff = staff_of()
    training_class = make_class(plan, staff)
    client.force_login(staff)
    response = client.get(url("class_file", training_class.pk, "approval-form"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "%E5%BC%80%E7%8F%AD%E5%AE%A1%E6%89%B9%E8%A1%A8" in response["Content-Disposition"]
    assert client.get(url("class_file", training_class.pk, "roster")).status_code == 404
    assert client.get(url("class_file", training_class.pk, "other")).status_code == 404


def test_order_pages_show_progress(client, plan):
    staff = staff_of()
    client.force_login(staff)
    response = client.post(
        url("order_create"),
        {
            "enterprise": "许继集团",
            "institution": str(staff.institution_id),
            "kind": "order",
            "occupation": str(occupation().pk),
            "year": "2014",
            "yearly_target": "1500",
        },
    )
    assert response.status_code == 302
    order = CooperationOrder.objects.get()
    approved_class(plan, staff, trainees=3, order=order)
    body = client.get(url("order_list") + "?year=2014").content.decode()
    assert "3/1500" in body
    assert "0.2%" in body
    # Staff cannot file an order for another institution: the choice is not offered.
    other = staff_of(OTHER)
    response = client.post(
        url("order_create"),
        {
            "enterprise": "富士康",
            "institution": str(other.institution_id),
            "kind": "order",
            "occupation": str(occupation().pk),
            "year": "2014",
            "yearly_target": "10",
        },
    )
    assert response.status_code == 400
    assert CooperationOrder.objects.count() == 1


# --------------------------------------------------------------------------------------------
# Permission matrix
# --------------------------------------------------------------------------------------------


@pytest.fixture
def world(plan, frozen):
    """An approved class of 许昌技师学院 (category 2 → 市人社局) with an assigned inspection, a
    passed trainee with a referral, and an order."""
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=2)
    inspector = department_user(Role.CLERK, "nyj")
    office = department_user(Role.OFFICE, "office")
    inspection = training_class.inspections.order_by("planned_date").first()
    svc.inspection_assign(inspection=inspection, inspector=inspector, actor=office)
    frozen.move_to(at(2014, 3, 21, 17), tick=False)
    enrollment = training_class.enrollments.order_by("pk").first()
    svc.results_record(
        training_class=training_class, results={enrollment.pk: "passed"}, actor=staff
    )
    referral = svc.referral_create(
        enrollment=enrollment,
        employer="许继集团",
        post="电工",
        referred_on=datetime.date(2014, 3, 21),
        actor=staff,
    )
    order = CooperationOrder.objects.create(
        campaign=plan,
        enterprise="许继集团",
        institution=staff.institution,
        kind="order",
        occupation=occupation(),
        year=2014,
        yearly_target=100,
    )
    return {
        "class": training_class,
        "staff": staff,
        "inspector": inspector,
        "office": office,
        "inspection": inspection,
        "enrollment": enrollment,
        "referral": referral,
        "order": order,
    }


def routes(w):
    """(name, args, method) for every class-area view."""
    c = w["class"].pk
    return [
        ("class_list", (), "get"),
        ("class_queue", (), "get"),
        ("class_create", (), "get"),
        ("class_detail", (c,), "get"),
        ("class_edit", (c,), "get"),
        ("class_file", (c, "approval-form"), "get"),
        ("class_roster_upload", (c,), "post"),
        ("class_submit", (c,), "post"),
        ("class_approve", (c,), "post"),
        ("class_refuse", (c,), "post"),
        ("class_close", (c,), "post"),
        ("class_attendance", (c,), "get"),
        ("class_attendance_upload", (c,), "post"),
        ("class_attendance_template", (c,), "get"),
        ("class_results", (c,), "get"),
        ("referral_create", (w["enrollment"].pk,), "get"),
        ("referral_outcome", (w["referral"].pk,), "get"),
        ("inspection_list", (), "get"),
        ("inspection_assign", (w["inspection"].pk,), "post"),
        ("inspection_record", (w["inspection"].pk,), "get"),
        ("order_list", (), "get"),
        ("order_create", (), "get"),
        ("order_edit", (w["order"].pk,), "get"),
        ("order_delete", (w["order"].pk,), "post"),
    ]


def hit(client, name, args, method):
    return getattr(client, method)(url(name, *args))


def test_anonymous_is_sent_to_login_on_every_view(client, world):
    for name, args, method in routes(world):
        response = hit(client, name, args, method)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/accounts/login/"), name


@pytest.mark.parametrize("role", [Role.WORKER, Role.FINANCE, Role.COMMITTEE])
def test_roles_outside_training_delivery_get_403_on_every_view(client, world, role):
    client.force_login(user_with_role(role))
    for name, args, method in routes(world):
        assert hit(client, name, args, method).status_code == 403, name


CLASS_SCOPED = {
    "class_detail",
    "class_edit",
    "class_file",
    "class_roster_upload",
    "class_submit",
    "class_close",
    "class_attendance",
    "class_attendance_upload",
    "class_attendance_template",
    "class_results",
    "referral_create",
    "referral_outcome",
    "order_edit",
    "order_delete",
}


def test_staff_of_another_institution_get_404_on_the_class_its_roster_and_attendance(client, world):
    client.force_login(staff_of(OTHER))
    for name, args, method in routes(world):
        if name in CLASS_SCOPED:
            assert hit(client, name, args, method).status_code == 404, name
    # Their lists do not show the class either.
    assert world["class"].code not in client.get(url("class_list")).content.decode()
    assert "许继集团" not in client.get(url("order_list")).content.decode()


def test_own_institution_staff_reach_their_pages(client, world):
    client.force_login(world["staff"])
    c = world["class"].pk
    for name, args in [
        ("class_list", ()),
        ("class_create", ()),
        ("class_detail", (c,)),
        ("class_file", (c, "approval-form")),
        ("class_attendance", (c,)),
        ("class_attendance_template", (c,)),
        ("class_results", (c,)),
        ("referral_outcome", (world["referral"].pk,)),
        ("order_list", ()),
        ("order_create", ()),
        ("order_edit", (world["order"].pk,)),
    ]:
        assert client.get(url(name, *args)).status_code == 200, name
    # Approving is never theirs (the role), whatever the class.
    assert client.post(url("class_approve", c)).status_code == 403
    assert client.get(url("class_queue")).status_code == 403
    assert client.get(url("inspection_list")).status_code == 403


def test_clerk_sees_and_decides_only_own_department_classes(client, plan, frozen):
    staff = staff_of()
    rsj_class = make_class(plan, staff)
    nyj_class = make_class(plan, staff, category=category(plan, 8))
    for c in (rsj_class, nyj_class):
        enroll(c, 1)
        svc.class_submit(training_class=c, actor=staff)
    client.force_login(rsj_clerk())
    assert client.get(url("class_detail", rsj_class.pk)).status_code == 200
    assert client.get(url("class_detail", nyj_class.pk)).status_code == 404
    assert client.post(url("class_approve", nyj_class.pk)).status_code == 404
    assert client.post(url("class_refuse", nyj_class.pk), {"reason": "x"}).status_code == 404
    queue = client.get(url("class_queue")).content.decode()
    assert rsj_class.code in queue
    assert nyj_class.code not in queue
    listing = client.get(url("class_list")).content.decode()
    assert rsj_class.code in listing
    assert nyj_class.code not in listing
    assert client.post(url("class_approve", rsj_class.pk)).status_code == 302
    rsj_class.refresh_from_db()
    nyj_class.refresh_from_db()
    assert (rsj_class.status, nyj_class.status) == ("approved", "submitted")


def test_reviewer_approves_any_department_class(client, plan):
    staff = staff_of()
    training_class = make_class(plan, staff, category=category(plan, 8))
    enroll(training_class, 1)
    svc.class_submit(training_class=training_class, actor=staff)
    client.force_login(user_with_role(Role.REVIEWER))
    assert training_class.code in client.get(url("class_queue")).content.decode()
    assert client.post(url("class_approve", training_class.pk)).status_code == 302
    training_class.refresh_from_db()
    assert training_class.status == "approved"


def test_reviewer_of_the_class_institution_gets_403_and_no_queue_entry(client, plan):
    staff = staff_of()
    training_class = make_class(plan, staff)
    enroll(training_class, 1)
    svc.class_submit(training_class=training_class, actor=staff)
    client.force_login(user_with_role(Role.REVIEWER, institution=staff.institution))
    assert training_class.code not in client.get(url("class_queue")).content.decode()
    assert client.post(url("class_approve", training_class.pk)).status_code == 403
    training_class.refresh_from_db()
    assert training_class.status == "submitted"


def test_auditor_reads_everything_and_changes_nothing(client, world):
    client.force_login(user_with_role(Role.AUDITOR))
    c = world["class"].pk
    for name, args in [
        ("class_list", ()),
        ("class_detail", (c,)),
        ("class_file", (c, "approval-form")),
        ("inspection_list", ()),
        ("order_list", ()),
    ]:
        assert client.get(url(name, *args)).status_code == 200, name
    for name, args in [
        ("class_submit", (c,)),
        ("class_approve", (c,)),
        ("class_refuse", (c,)),
        ("class_close", (c,)),
        ("class_attendance_upload", (c,)),
        ("inspection_assign", (world["inspection"].pk,)),
        ("order_delete", (world["order"].pk,)),
    ]:
        assert client.post(url(name, *args)).status_code == 403, name
    assert client.get(url("class_create")).status_code == 403
    assert client.get(url("order_create")).status_code == 403


def test_only_the_assigned_inspector_records_a_check(client, world):
    inspection = world["inspection"]
    client.force_login(department_user(Role.CLERK, "nyj"))
    assert client.get(url("inspection_record", inspection.pk)).status_code == 404
    client.force_login(world["office"])
    assert client.get(url("inspection_record", inspection.pk)).status_code == 403
    client.force_login(world["inspector"])
    assert client.get(url("inspection_record", inspection.pk)).status_code == 200
    # The class is visible to the inspector though not of their department's categories.
    assert client.get(url("class_detail", world["class"].pk)).status_code == 200


def test_inspection_assign_is_the_office_s(client, world):
    inspection = world["class"].inspections.exclude(pk=world["inspection"].pk).first()
    reviewer = user_with_role(Role.REVIEWER)
    client.force_login(reviewer)
    assert (
        client.post(url("inspection_assign", inspection.pk), {"inspector": reviewer.pk}).status_code
        == 403
    )
    client.force_login(world["office"])
    insider = user_with_role(Role.CLERK, institution=world["staff"].institution)
    response = client.post(
        url("inspection_assign", inspection.pk), {"inspector": insider.pk}, follow=True
    )
    # Not offered as a candidate (the form refuses the choice).
    assert "请选择检查人" in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.inspector is None


def test_inspector_sees_students_present_rule(client, world, frozen):
    inspection = world["inspection"]
    client.force_login(world["inspector"])
    response = client.post(
        url("inspection_record", inspection.pk),
        {
            "teaching_progress": "第5课次",
            "content": "电工",
            "teacher_present": "no",
            "students_present": "3",
            "findings": "教师未到",
            "verdict": "issues",
        },
    )
    assert response.status_code == 400
    assert "实到人数不能超过花名册人数（2人）" in response.content.decode()
    assert not Inspection.objects.filter(done_at__isnull=False).exists()


# --------------------------------------------------------------------------------------------
# Query counts
# --------------------------------------------------------------------------------------------


def _classes(plan, staff, n):
    for _ in range(n):
        make_class(plan, staff, files=False)


@pytest.mark.parametrize("count", [5, 50])
def test_class_list_queries_do_not_grow_with_classes(
    client, plan, django_assert_max_num_queries, count
):
    staff = staff_of()
    _classes(plan, staff, count)
    for user in (staff, rsj_clerk(), user_with_role(Role.AUDITOR)):
        client.force_login(user)
        with django_assert_max_num_queries(8):
            response = client.get(url("class_list"))
        assert response.status_code == 200


@pytest.mark.parametrize("count", [10, 100])
def test_class_detail_queries_do_not_grow_with_enrollments(
    client, plan, frozen, django_assert_max_num_queries, count
):
    staff = staff_of()
    training_class = approved_class(plan, staff, trainees=count, capacity=100)
    frozen.move_to(at(2014, 3, 15, 9), tick=False)
    ids = list(training_class.enrollments.values_list("pk", flat=True))
    for session in (1, 2, 3):
        svc.attendance_record_session(
            training_class=training_class, session_number=session, present=ids[::2], actor=staff
        )
    assert AttendanceRecord.objects.count() == 3 * count
    office = department_user(Role.OFFICE, "office")
    for user in (staff, office, rsj_clerk()):
        client.force_login(user)
        with django_assert_max_num_queries(11):
            response = client.get(url("class_detail", training_class.pk))
        assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_queue_inspection_and_order_lists_do_not_grow(
    client, plan, django_assert_max_num_queries, count
):
    staff = staff_of()
    for _ in range(count):
        training_class = make_class(plan, staff)
        enroll(training_class, 1)
        svc.class_submit(training_class=training_class, actor=staff)
    for n in range(count):
        CooperationOrder.objects.create(
            campaign=plan,
            enterprise=f"企业{n}",
            institution=staff.institution,
            kind="order",
            occupation=occupation(),
            year=2014,
            yearly_target=100,
        )
    clerk = rsj_clerk()
    for training_class in TrainingClass.objects.all()[: count // 3 + 1]:
        svc.class_approve(training_class=training_class, actor=clerk)
    client.force_login(clerk)
    with django_assert_max_num_queries(8):
        assert client.get(url("class_queue")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(url("order_list")).status_code == 200
    client.force_login(department_user(Role.OFFICE, "office"))
    with django_assert_max_num_queries(8):
        assert client.get(url("inspection_list")).status_code == 200
