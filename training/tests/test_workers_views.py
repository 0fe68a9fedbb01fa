"""Worker pages through the test client: the permission matrix of every view, the worker's own
pages, staff registration, the list with its search and a query count that does not grow."""

import io
import re

import openpyxl
import pytest
from django.urls import reverse

from core.models import AuditEvent, County, Department
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import Enrollment, JobReferral, RegistrationPoint, TrainingClass, Worker
from training.services.workers import ROSTER_HEADERS, ROSTER_SHEET, worker_register
from training.tests import workers_samples as samples
from training.tests.factories import clerk_of

pytestmark = pytest.mark.django_db

PASSWORD = "Xuchang-skills-2013"
MINE, THEIRS = "甲培训学校", "乙培训学校"


@pytest.fixture
def office(plan):
    return user_with_role(Role.OFFICE, department=Department.objects.get(code="office"))


@pytest.fixture
def inst(plan):
    return samples.institution(MINE)


@pytest.fixture
def other_inst(plan):
    return samples.institution(THEIRS)


def make_worker(actor, serial, name=None, point=None, **extra):
    worker, _ = worker_register(
        id_number=samples.make_id(serial),
        name=name or f"劳动者{serial}",
        phone="13800000000",
        county=None,
        household="rural",
        education="junior",
        group_codes=["rural_migrant"],
        point=point,
        actor=actor,
        **extra,
    )
    return worker


def enrol(worker, training_class):
    return Enrollment.objects.create(
        campaign=training_class.campaign,
        training_class=training_class,
        worker=worker,
        subsidised=training_class.subsidised,
    )


def signup_data(**overrides):
    data = {
        "id_number": samples.make_id(301),
        "name": "赵六",
        "phone": "13700000001",
        "county": str(County.objects.get(name="长葛市").pk),
        "household": "rural",
        "education": "junior",
        "groups": ["rural_migrant"],
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    data.update(overrides)
    return data


def login_as(client, user):
    client.force_login(user)
    return client


# ------------------------------------------------------------------------------
# Self-registration and the worker's own pages
# ------------------------------------------------------------------------------


def test_signup_page_is_public(client, plan):
    response = client.get(reverse("training:worker_signup"))
    assert response.status_code == 200
    assert "劳动者网上注册" in response.content.decode()


def test_signup_logs_the_worker_in_and_shows_their_record(client, roles, plan):
    response = client.post(reverse("training:worker_signup"), signup_data())
    assert response.status_code == 302
    assert response.url == reverse("training:worker_me")
    page = client.get(response.url)
    body = page.content.decode()
    assert page.status_code == 200
    number = samples.make_id(301)
    assert f"{number[:4]}**********{number[-4:]}" in body
    assert number not in body
    assert "赵六" in body
    assert "长葛市" in body
    assert "农村转移就业劳动者" in body
    assert "1990年1月1日" in body


def test_signup_with_bad_input_rerenders_with_field_errors(client, roles, plan):
    bad = samples.make_id(301)[:17] + ("0" if samples.make_id(301)[17] != "0" else "1")
    response = client.post(
        reverse("training:worker_signup"),
        signup_data(id_number=bad, phone="123", password="12345678", password_confirm="12345678"),
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "校验位错误" in body
    assert "手机号码应为以1开头的11位数字" in body
    assert "密码只包含数字" in body
    assert Worker.objects.count() == 0


def test_signup_with_mismatched_password_confirmation_is_400(client, roles, plan):
    response = client.post(
        reverse("training:worker_signup"), signup_data(password_confirm="Another-pass-2013")
    )
    assert response.status_code == 400
    assert "两次输入的密码不一致" in response.content.decode()
    assert Worker.objects.count() == 0


def test_signup_twice_for_the_same_number_is_refused(client, roles, plan):
    client.post(reverse("training:worker_signup"), signup_data())
    client.logout()
    response = client.post(reverse("training:worker_signup"), signup_data(phone="13700000002"))
    assert response.status_code == 400
    assert "该身份证号码已注册账号，请直接登录" in response.content.decode()


def test_worker_sees_own_history_with_attendance_warning_and_referral(client, roles, plan, inst):
    client.post(reverse("training:worker_signup"), signup_data())
    worker = Worker.objects.get()
    tc = samples.training_class(
        plan, inst, status=TrainingClass.Status.APPROVED, planned_sessions=10, sessions_held=6
    )
    enrollment = enrol(worker, tc)
    # 1 of 6 attended, 4 left: at best 5/10 = 50% < 60%.
    Enrollment.objects.filter(pk=enrollment.pk).update(sessions_attended=1)
    passed_class = samples.training_class(plan, inst, subsidised=False, planned_sessions=10)
    passed = enrol(worker, passed_class)
    Enrollment.objects.filter(pk=passed.pk).update(sessions_attended=10, result="passed")
    JobReferral.objects.create(
        enrollment=passed, employer="许继集团", post="装配工", referred_on="2014-04-01"
    )
    body = client.get(reverse("training:worker_me")).content.decode()
    assert tc.code in body
    assert passed_class.code in body
    assert "10.0%" in body
    assert "100.0%" in body
    assert body.count("attendance-warning") == 1
    assert "许继集团" in body
    assert "装配工" in body


def test_worker_at_the_boundary_gets_no_attendance_warning(client, roles, plan, inst):
    client.post(reverse("training:worker_signup"), signup_data())
    worker = Worker.objects.get()
    tc = samples.training_class(
        plan, inst, status=TrainingClass.Status.APPROVED, planned_sessions=10, sessions_held=6
    )
    enrollment = enrol(worker, tc)
    # 2 of 6 attended, 4 left: at best 6/10 = 60%, which is enough.
    Enrollment.objects.filter(pk=enrollment.pk).update(sessions_attended=2)
    assert "attendance-warning" not in client.get(reverse("training:worker_me")).content.decode()


def test_worker_me_shows_only_their_own_record(client, roles, plan, office):
    someone = make_worker(office, 302, name="钱七")
    client.post(reverse("training:worker_signup"), signup_data())
    body = client.get(reverse("training:worker_me")).content.decode()
    assert "赵六" in body
    assert "钱七" not in body
    assert someone.id_number_masked not in body


def test_worker_cannot_open_staff_pages(client, roles, plan, office):
    someone = make_worker(office, 302)
    client.post(reverse("training:worker_signup"), signup_data())
    for url in (
        reverse("training:worker_list"),
        reverse("training:worker_detail", args=[someone.pk]),
        reverse("training:worker_detail", args=[Worker.objects.get(name="赵六").pk]),
        reverse("training:worker_create"),
    ):
        assert client.get(url).status_code == 403, url


def test_worker_updates_own_contact(client, roles, plan):
    client.post(reverse("training:worker_signup"), signup_data())
    response = client.post(
        reverse("training:worker_update_contact"),
        {"phone": "13500000000", "county": str(County.objects.get(name="禹州市").pk)},
    )
    assert response.status_code == 302
    worker = Worker.objects.get()
    assert worker.phone == "13500000000"
    assert worker.user.username == "13500000000"


def test_worker_contact_update_with_bad_phone_is_400(client, roles, plan):
    client.post(reverse("training:worker_signup"), signup_data())
    response = client.post(reverse("training:worker_update_contact"), {"phone": "99", "county": ""})
    assert response.status_code == 400
    assert "手机号码应为以1开头的11位数字" in response.content.decode()


# ------------------------------------------------------------------------------
# Permission matrix
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["worker_list", "worker_create", "worker_me", "worker_update_contact", "roster_template"],
)
def test_anonymous_is_sent_to_login(client, plan, name):
    response = client.get(reverse(f"training:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_anonymous_detail_is_sent_to_login(client, office):
    worker = make_worker(office, 310)
    response = client.get(reverse("training:worker_detail", args=[worker.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.OFFICE, 200),
        (Role.AUDITOR, 200),
        (Role.REVIEWER, 200),
        (Role.INSTITUTION, 200),
        (Role.CLERK, 403),
        (Role.FINANCE, 403),
        (Role.WORKER, 403),
        (Role.COMMITTEE, 403),
    ],
)
def test_list_and_detail_by_role(client, office, inst, role, expected):
    worker = make_worker(office, 311)
    extra = {"institution": inst} if role == Role.INSTITUTION else {}
    if role == Role.CLERK:
        extra = {"department": Department.objects.get(code="rsj")}
    user = user_with_role(role, **extra)
    if role == Role.INSTITUTION:
        enrol(worker, samples.training_class(office_campaign(), inst))
    login_as(client, user)
    assert client.get(reverse("training:worker_list")).status_code == expected
    assert client.get(reverse("training:worker_detail", args=[worker.pk])).status_code == expected


def office_campaign():
    from training.models import Campaign

    return Campaign.objects.current()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.OFFICE, 200),
        (Role.REVIEWER, 200),
        (Role.CLERK, 200),
        (Role.INSTITUTION, 200),
        (Role.AUDITOR, 403),
        (Role.FINANCE, 403),
        (Role.WORKER, 403),
    ],
)
def test_create_page_by_role(client, plan, inst, role, expected):
    extra = {"institution": inst} if role == Role.INSTITUTION else {}
    if role == Role.CLERK:
        extra = {"department": Department.objects.get(code="rsj")}
    login_as(client, user_with_role(role, **extra))
    assert client.get(reverse("training:worker_create")).status_code == expected


@pytest.mark.parametrize(("role", "expected"), [(Role.WORKER, 200), (Role.OFFICE, 403)])
def test_worker_pages_by_role(client, roles, plan, role, expected):
    if role == Role.WORKER:
        client.post(reverse("training:worker_signup"), signup_data())
    else:
        login_as(client, user_with_role(role))
    assert client.get(reverse("training:worker_me")).status_code == expected
    assert client.get(reverse("training:worker_update_contact")).status_code == expected


def test_worker_role_without_a_record_gets_404(client, plan):
    login_as(client, user_with_role(Role.WORKER))
    assert client.get(reverse("training:worker_me")).status_code == 404


def test_institution_staff_see_only_their_own_workers(client, office, inst, other_inst):
    campaign = office_campaign()
    own_point = RegistrationPoint.objects.create(
        name="甲报名点", level="institution", institution=inst, address="甲路"
    )
    enrolled_here = make_worker(office, 320, name="本机构学员")
    enrol(enrolled_here, samples.training_class(campaign, inst))
    registered_here = make_worker(office, 321, name="本机构登记", point=own_point)
    elsewhere = make_worker(office, 322, name="外机构学员")
    enrol(elsewhere, samples.training_class(campaign, other_inst))
    nowhere = make_worker(office, 323, name="未入班")

    login_as(client, samples.staff_of(inst))
    body = client.get(reverse("training:worker_list")).content.decode()
    assert "本机构学员" in body
    assert "本机构登记" in body
    assert "外机构学员" not in body
    assert "未入班" not in body
    for visible in (enrolled_here, registered_here):
        assert client.get(reverse("training:worker_detail", args=[visible.pk])).status_code == 200
    for hidden in (elsewhere, nowhere):
        assert client.get(reverse("training:worker_detail", args=[hidden.pk])).status_code == 404
    assert client.get(reverse("training:worker_detail", args=[999999])).status_code == 404


def test_institution_staff_see_only_their_classes_in_a_workers_history(
    client, office, inst, other_inst
):
    campaign = office_campaign()
    worker = make_worker(office, 324)
    mine = samples.training_class(campaign, inst)
    theirs = samples.training_class(campaign, other_inst, subsidised=False)
    enrol(worker, mine)
    enrol(worker, theirs)
    login_as(client, samples.staff_of(inst))
    body = client.get(reverse("training:worker_detail", args=[worker.pk])).content.decode()
    assert mine.code in body
    assert theirs.code not in body
    login_as(client, office)
    body = client.get(reverse("training:worker_detail", args=[worker.pk])).content.decode()
    assert mine.code in body
    assert theirs.code in body


def test_institution_role_without_institution_is_refused(client, plan):
    login_as(client, user_with_role(Role.INSTITUTION))
    assert client.get(reverse("training:worker_list")).status_code == 403
    assert client.get(reverse("training:worker_create")).status_code == 403


def test_detail_shows_the_id_masked_only(client, office):
    worker = make_worker(office, 330)
    login_as(client, office)
    body = client.get(reverse("training:worker_detail", args=[worker.pk])).content.decode()
    number = samples.make_id(330)
    assert worker.id_number_masked in body
    assert number not in body


# ------------------------------------------------------------------------------
# List: search and query count
# ------------------------------------------------------------------------------


def test_search_by_name_uses_get(client, office):
    make_worker(office, 340, name="孙悟空")
    make_worker(office, 341, name="猪八戒")
    login_as(client, office)
    response = client.post(reverse("training:worker_list"), {"q": "悟空"})
    assert response.status_code == 302
    body = client.get(response.url).content.decode()
    assert "孙悟空" in body
    assert "猪八戒" not in body


def test_search_by_full_id_is_posted_and_not_echoed(client, office):
    make_worker(office, 342, name="沙和尚")
    make_worker(office, 343, name="唐三藏")
    number = samples.make_id(342)
    login_as(client, office)
    response = client.post(reverse("training:worker_list"), {"q": number})
    body = response.content.decode()
    assert response.status_code == 200
    assert "沙和尚" in body
    assert "唐三藏" not in body
    assert number not in body


def test_search_by_invalid_id_says_why(client, office):
    login_as(client, office)
    response = client.post(reverse("training:worker_list"), {"q": "41100219900101"})
    assert response.status_code == 400
    assert "身份证号码应为18位（当前14位）" in response.content.decode()


def test_institution_search_by_id_does_not_find_other_institutions_workers(client, office, inst):
    make_worker(office, 344, name="外人")
    login_as(client, samples.staff_of(inst))
    body = client.post(reverse("training:worker_list"), {"q": samples.make_id(344)}).content
    assert "外人" not in body.decode()
    assert "没有找到劳动者" in body.decode()


@pytest.mark.parametrize("count", [10, 200])
def test_list_query_count_does_not_grow(client, office, inst, django_assert_max_num_queries, count):
    campaign = office_campaign()
    tc = samples.training_class(campaign, inst, capacity=count)
    for number in samples.many_ids(count):
        worker = Worker.objects.create(
            id_number_hash=number,
            id_number_encrypted="x",
            id_number_masked=number[:4] + "*" * 14,
            name=f"学员{number[-5:]}",
            sex="M",
            birth_date="1990-01-01",
            household="rural",
            education="junior",
        )
        enrol(worker, tc)
    for user in (office, samples.staff_of(inst)):
        login_as(client, user)
        with django_assert_max_num_queries(9):
            response = client.get(reverse("training:worker_list"))
        assert response.status_code == 200
        rows = re.findall(r"<tr>\s*<td><a href=", response.content.decode())
        assert len(rows) == min(count, 50)


# ------------------------------------------------------------------------------
# Staff registration page and roster template
# ------------------------------------------------------------------------------


def registration_data(**overrides):
    data = {
        "id_number": samples.make_id(350),
        "name": "周八",
        "phone": "13600000001",
        "county": "",
        "household": "urban",
        "education": "bachelor",
        "groups": ["urban_unemployed"],
        "point": "",
    }
    data.update(overrides)
    return data


def test_staff_registration_redirects_to_the_record(client, office):
    login_as(client, office)
    response = client.post(reverse("training:worker_create"), registration_data())
    worker = Worker.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("training:worker_detail", args=[worker.pk])
    assert AuditEvent.objects.filter(action="worker.register", actor=office).exists()


def test_clerk_registration_returns_to_the_form(client, plan):
    login_as(client, clerk_of("rsj"))
    response = client.post(reverse("training:worker_create"), registration_data())
    assert response.status_code == 302
    assert response.url == reverse("training:worker_create")
    assert Worker.objects.count() == 1


def test_registration_with_another_name_is_400(client, office):
    login_as(client, office)
    client.post(reverse("training:worker_create"), registration_data())
    response = client.post(reverse("training:worker_create"), registration_data(name="周九"))
    assert response.status_code == 400
    assert "身份证号码与已登记的姓名不一致" in response.content.decode()
    assert list(Worker.objects.values_list("name", flat=True)) == ["周八"]


def test_institution_staff_are_offered_only_their_points(client, inst, other_inst):
    RegistrationPoint.objects.create(
        name="甲报名点", level="institution", institution=inst, address="甲"
    )
    theirs = RegistrationPoint.objects.create(
        name="乙报名点", level="institution", institution=other_inst, address="乙"
    )
    login_as(client, samples.staff_of(inst))
    body = client.get(reverse("training:worker_create")).content.decode()
    assert "甲报名点" in body
    assert "乙报名点" not in body
    response = client.post(reverse("training:worker_create"), registration_data(point=theirs.pk))
    assert response.status_code == 400
    assert Worker.objects.count() == 0


def test_roster_template_download(client, inst):
    login_as(client, samples.staff_of(inst))
    response = client.get(reverse("training:roster_template"))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in workbook[ROSTER_SHEET][1]] == list(ROSTER_HEADERS)


def test_roster_template_refused_to_workers(client, plan):
    login_as(client, user_with_role(Role.WORKER))
    assert client.get(reverse("training:roster_template")).status_code == 403


def test_signed_in_staff_are_not_offered_signup(client, office):
    login_as(client, office)
    response = client.get(reverse("training:worker_signup"))
    assert response.status_code == 302
    assert response.url == reverse("dashboard:home")


def test_signed_in_worker_goes_to_their_record_from_signup(client, roles, plan):
    client.post(reverse("training:worker_signup"), signup_data())
    response = client.get(reverse("training:worker_signup"))
    assert response.status_code == 302
    assert response.url == reverse("training:worker_me")
