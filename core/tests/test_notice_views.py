"""Public notice pages: anonymous list/detail/objection, the office's objection queue."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from core import notices
from core.models import Objection, PublicNotice
from core.notices import NoticeItemInput, notice_publish, objection_lodge
from core.roles import Role
from core.tests.factories import DepartmentFactory, user_with_role

pytestmark = pytest.mark.django_db

KIND = "test.viewnotice"
MONDAY = datetime.date(2014, 6, 2)


@pytest.fixture
def kind():
    closed = []
    notices.register_notice_kind(
        KIND,
        on_close=lambda n, c, w, _actor: closed.append((n.pk, len(c), len(w))),
        label="测试公示",
    )
    yield closed
    notices._KINDS.pop(KIND, None)


@pytest.fixture
def day(monkeypatch):
    state = {"day": MONDAY}
    monkeypatch.setattr(notices.clock, "today", lambda: state["day"])
    return state


@pytest.fixture
def notice(kind, day):
    reviewer = user_with_role(Role.REVIEWER)
    return notice_publish(
        kind=KIND,
        title="2014年第1批培训补贴公示",
        items=[
            NoticeItemInput(
                obj=DepartmentFactory(),
                display_name="张*国",
                id_masked="4110**********123X",
                description="焊工 四级 培训补贴",
                amount=Decimal("800.00"),
            )
        ],
        working_days=5,
        actor=reviewer,
        starts_on=MONDAY,
    )


def test_public_list_and_detail_need_no_login(client, notice):
    response = client.get(reverse("core:notice_list"))
    assert response.status_code == 200
    assert "2014年第1批培训补贴公示" in response.content.decode()
    response = client.get(reverse("core:notice_detail", args=[notice.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "张*国" in body
    assert "4110**********123X" in body
    assert 'id="objection-form"' in body


def test_public_list_query_count_is_constant(client, notice, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        client.get(reverse("core:notice_list"))


def test_anonymous_objection_is_recorded(client, notice):
    item = notice.items.get()
    response = client.post(
        reverse("core:notice_detail", args=[notice.pk]),
        {"item": item.pk, "objector_name": "李四", "objector_phone": "", "content": "未参加培训"},
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.item == item
    assert objection.ip_address == "127.0.0.1"


def test_invalid_objection_rerenders_with_400(client, notice):
    response = client.post(
        reverse("core:notice_detail", args=[notice.pk]),
        {"objector_name": "", "objector_phone": "123", "content": ""},
    )
    assert response.status_code == 400
    assert "手机号码应为以1开头的11位数字" in response.content.decode()
    assert not Objection.objects.exists()


def test_objection_after_the_period_refused_with_400(client, notice, day):
    day["day"] = notice.ends_on + datetime.timedelta(days=1)
    response = client.post(
        reverse("core:notice_detail", args=[notice.pk]),
        {"objector_name": "李四", "content": "有问题"},
    )
    assert response.status_code == 400
    assert "公示期已结束，不再受理异议。" in response.content.decode()
    assert not Objection.objects.exists()


def test_public_pages_do_not_show_objector_details(client, notice):
    objection_lodge(
        notice=notice, objector_name="王秘密", objector_phone="13900000000", content="x"
    )
    body = client.get(reverse("core:notice_detail", args=[notice.pk])).content.decode()
    assert "王秘密" not in body
    assert "13900000000" not in body


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        (Role.WORKER, 403),
        (Role.FINANCE, 403),
        (Role.INSTITUTION, 403),
        (Role.OFFICE, 200),
        (Role.REVIEWER, 200),
        (Role.AUDITOR, 200),
    ],
)
def test_objection_queue_permission_matrix(client, notice, role, expected):
    objection_lodge(notice=notice, objector_name="王五", content="x")
    if role is not None:
        client.force_login(user_with_role(role))
    response = client.get(reverse("core:objection_list"))
    assert response.status_code == expected
    if expected == 200:
        assert "王五" in response.content.decode()
        # Only the office gets the resolve form.
        assert ("提交核查结论" in response.content.decode()) == (role == Role.OFFICE)


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR, Role.FINANCE])
def test_only_office_may_resolve(client, notice, role):
    objection = objection_lodge(notice=notice, objector_name="王五", content="x")
    client.force_login(user_with_role(role))
    response = client.post(
        reverse("core:objection_resolve", args=[objection.pk]),
        {f"o{objection.pk}-upheld": "0", f"o{objection.pk}-resolution": "查无此事"},
    )
    assert response.status_code == 403
    assert Objection.objects.get().status == Objection.Status.OPEN


def test_office_resolves_and_blank_resolution_is_400(client, notice):
    objection = objection_lodge(notice=notice, objector_name="王五", content="x")
    client.force_login(user_with_role(Role.OFFICE))
    url = reverse("core:objection_resolve", args=[objection.pk])
    prefix = f"o{objection.pk}"
    response = client.post(url, {f"{prefix}-upheld": "0", f"{prefix}-resolution": ""})
    assert response.status_code == 400
    response = client.post(url, {f"{prefix}-upheld": "1", f"{prefix}-resolution": "属实"})
    assert response.status_code == 400
    assert "须指明" in response.content.decode()
    response = client.post(url, {f"{prefix}-upheld": "0", f"{prefix}-resolution": "查无此事"})
    assert response.status_code == 302
    assert Objection.objects.get().status == Objection.Status.DISMISSED


def test_close_button_closes_after_the_period(client, notice, day, kind):
    client.force_login(user_with_role(Role.REVIEWER))
    url = reverse("core:notice_close", args=[notice.pk])
    client.post(url)
    assert PublicNotice.objects.get().status == PublicNotice.Status.OPEN
    day["day"] = notice.ends_on + datetime.timedelta(days=1)
    assert client.post(url).status_code == 302
    assert PublicNotice.objects.get().status == PublicNotice.Status.CLOSED
    assert kind == [(notice.pk, 1, 0)]


@pytest.mark.parametrize(
    ("role", "expected"), [(None, 302), (Role.WORKER, 403), (Role.FINANCE, 403)]
)
def test_close_refused_to_others(client, notice, day, role, expected):
    day["day"] = notice.ends_on + datetime.timedelta(days=1)
    if role is not None:
        client.force_login(user_with_role(role))
    assert client.post(reverse("core:notice_close", args=[notice.pk])).status_code == expected
    assert PublicNotice.objects.get().status == PublicNotice.Status.OPEN


def test_objection_queue_query_count_does_not_grow(client, notice, django_assert_max_num_queries):
    office = user_with_role(Role.OFFICE)
    client.force_login(office)
    objection_lodge(notice=notice, objector_name="甲", content="x")
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("core:objection_list"))
    for n in range(5):
        objection_lodge(notice=notice, item=notice.items.get(), objector_name=f"乙{n}", content="y")
    with django_assert_max_num_queries(len(small.captured_queries) + 2):
        client.get(reverse("core:objection_list"))
