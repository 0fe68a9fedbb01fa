import pytest
from django.db import connection
from django.urls import reverse

from core.roles import Role
from core.tests.factories import PASSWORD, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_wrong_password_and_unknown_user_get_the_same_answer(client):
    UserFactory(username="known")
    wrong = client.post(reverse("login"), {"username": "known", "password": "nope-nope"})
    unknown = client.post(reverse("login"), {"username": "nobody", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert "用户名或密码不正确" in wrong.content.decode()
    assert wrong.context["form"].errors == unknown.context["form"].errors


def test_inactive_user_gets_the_same_answer_as_a_wrong_password(client):
    UserFactory(username="gone", is_active=False)
    response = client.post(reverse("login"), {"username": "gone", "password": PASSWORD})
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_then_logout(client, plan):
    user_with_role(Role.CLERK, username="c1")
    response = client.post(reverse("login"), {"username": "c1", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_clerk_home_shows_own_department_categories_only(client, plan):
    from core.models import Department

    rsj = Department.objects.get(code="rsj")
    client.force_login(user_with_role(Role.CLERK, department=rsj))
    body = client.get("/").content.decode()
    assert "下岗失业人员培训" in body
    assert "企业职工在岗和转岗技能培训" not in body  # 工信局's category


def test_office_home_shows_all_targets_and_the_total(client, plan):
    client.force_login(user_with_role(Role.OFFICE))
    body = client.get("/").content.decode()
    assert "400000" in body
    assert "45000" in body
    assert "企业职工在岗和转岗技能培训" in body


@pytest.mark.parametrize(
    ("role", "sees_audit"),
    [(Role.OFFICE, True), (Role.AUDITOR, True), (Role.CLERK, False), (Role.WORKER, False)],
)
def test_navigation_shows_each_role_only_what_it_may_use(client, plan, role, sees_audit):
    client.force_login(user_with_role(role))
    body = client.get("/").content.decode()
    assert (reverse("dashboard:audit_list") in body) is sees_audit


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 302),
        (Role.CLERK, 403),
        (Role.WORKER, 403),
        (Role.INSTITUTION, 403),
        (Role.REVIEWER, 403),
        (Role.FINANCE, 403),
        (Role.COMMITTEE, 403),
        (Role.OFFICE, 200),
        (Role.AUDITOR, 200),
    ],
)
def test_audit_trail_permission_matrix(client, role, status):
    if role is not None:
        client.force_login(user_with_role(role))
    assert client.get(reverse("dashboard:audit_list")).status_code == status


def test_audit_list_query_count_is_bounded(client, plan, django_assert_max_num_queries):
    from core.services import audit_record

    for n in range(60):
        audit_record(actor=None, action="test.event", reason=str(n))
    client.force_login(user_with_role(Role.OFFICE))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("dashboard:audit_list"))
    assert response.status_code == 200


def test_403_and_404_pages_are_chinese(client):
    client.force_login(user_with_role(Role.WORKER))
    assert "无权访问" in client.get(reverse("dashboard:audit_list")).content.decode()
    assert "页面不存在" in client.get("/no-such-page/").content.decode()


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["database"] == "ok"
    assert data["broker"] in {"ok", "eager"}


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    from django.db import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_admin_lists_reference_data_for_office(client, plan):
    from core.services import roles_sync, user_create

    roles_sync()
    office = user_create(
        username="o", password=PASSWORD, full_name="办公室", roles=[Role.OFFICE], actor=None
    )
    client.force_login(office)
    assert client.get("/admin/training/trainingcategory/").status_code == 200
    assert client.get("/admin/core/auditevent/").status_code == 200


def test_worker_home_shows_their_own_certificates_only(client, plan):
    import datetime

    from appraisal.models import Certificate
    from core import crypto
    from core.validators import make_resident_id, mask_resident_id
    from training.models import Occupation, Worker

    def worker_for(user, prefix):
        number = make_resident_id(prefix)
        return Worker.objects.create(
            id_number_hash=crypto.keyed_hash(number),
            id_number_encrypted=crypto.encrypt(number),
            id_number_masked=mask_resident_id(number),
            name=user.full_name,
            sex="M",
            birth_date=datetime.date(1990, 3, 7),
            household="rural",
            education="senior",
            user=user,
        )

    mine = worker_for(user_with_role(Role.WORKER, full_name="甲"), "41100219900307123")
    other = worker_for(user_with_role(Role.WORKER, full_name="乙"), "41100219900307124")
    welder = Occupation.objects.get(name="焊工")
    for worker, number in ((mine, "XC-MINE-1"), (other, "XC-OTHER-1")):
        Certificate.objects.create(
            number=number,
            kind="qualification",
            worker=worker,
            occupation=welder,
            level=3,
            issued_on=datetime.date(2014, 5, 6),
            issuer_name="许昌市职业技能鉴定中心",
        )
    client.force_login(mine.user)
    body = client.get("/").content.decode()
    assert "XC-MINE-1" in body
    assert "XC-OTHER-1" not in body
