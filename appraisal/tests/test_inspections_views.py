"""Employment-access inspection pages: permission matrix, the record and follow-up forms (400 on
bad input), overdue shown from the clock, filters, bounded queries. 15 June 2014."""

import pytest
from django.test import Client
from django.urls import reverse

from appraisal.models import EmploymentInspection
from appraisal.services import inspections as svc
from appraisal.tests.test_pilots_support import (
    D,
    at,
    county,
    enterprise_institution,
    office,
    staff_of,
)
from appraisal.tests.test_pilots_support import reviewer as make_reviewer
from core.roles import Role
from core.tests.factories import user_with_role
from training.tests.factories import clerk_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 6, 15, 10), tick=False)
    return time_machine


def record(actor, **overrides) -> EmploymentInspection:
    values = {
        "employer": "许昌某汽修厂",
        "county": county(),
        "inspected_on": D(2014, 6, 1),
        "posts_checked": "汽车维修工",
        "workers_checked": 8,
        "uncertified_found": 2,
        "violations": "2名维修工无证上岗",
        "deadline": D(2014, 6, 30),
    }
    values.update(overrides)
    return svc.inspection_record(data=svc.InspectionInput(**values), actor=actor)


@pytest.fixture
def world(plan):
    people = {
        "office": office(),
        "auditor": user_with_role(Role.AUDITOR),
        "reviewer": make_reviewer(),
        "clerk": clerk_of("rsj"),
        "staff": staff_of(enterprise_institution()),
        "worker": user_with_role(Role.WORKER),
        "finance": user_with_role(Role.FINANCE),
    }
    return {"people": people, "inspection": record(people["reviewer"])}


def client_for(world, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(world["people"][who])
    return client


ROLES = ("anonymous", "clerk", "staff", "worker", "finance", "auditor", "office", "reviewer")
READ = dict.fromkeys(ROLES, 403) | {
    "anonymous": 302,
    "auditor": 200,
    "office": 200,
    "reviewer": 200,
}
WRITE_GET = READ | {"auditor": 403}
FOLLOW_UP = WRITE_GET | {"office": 302, "reviewer": 400}  # the second follow-up finds it closed

CASES = [
    ("employment_inspection_list", False, "get", None, READ),
    ("employment_inspection_detail", True, "get", None, READ),
    ("employment_inspection_create", False, "get", None, WRITE_GET),
    (
        "employment_inspection_follow_up",
        True,
        "post",
        {"followed_up_on": "2014-06-15", "rectified": "1", "note": "已取证"},
        FOLLOW_UP,
    ),
]


@pytest.mark.parametrize(("name", "with_pk", "method", "data", "expected"), CASES)
def test_permission_matrix(world, name, with_pk, method, data, expected):
    args = [world["inspection"].pk] if with_pk else []
    url = reverse(f"appraisal:{name}", args=args)
    seen = {}
    for who in expected:
        client = client_for(world, who)
        response = client.get(url) if method == "get" else client.post(url, data)
        seen[who] = response.status_code
    assert seen == expected


def test_record_page_creates_an_inspection(world):
    response = client_for(world, "office").post(
        reverse("appraisal:employment_inspection_create"),
        {
            "employer": "禹州某钧瓷厂",
            "county": county("yuzhou").pk,
            "inspected_on": "2014-06-12",
            "posts_checked": "钧瓷制作工",
            "workers_checked": "15",
            "uncertified_found": "0",
            "violations": "",
            "deadline": "",
        },
    )
    created = EmploymentInspection.objects.get(employer="禹州某钧瓷厂")
    assert response.status_code == 302
    assert created.status == EmploymentInspection.Status.COMPLIANT


def test_record_page_with_a_violation_but_no_deadline_is_a_400(world):
    response = client_for(world, "reviewer").post(
        reverse("appraisal:employment_inspection_create"),
        {
            "employer": "禹州某钧瓷厂",
            "county": county("yuzhou").pk,
            "inspected_on": "2014-06-12",
            "posts_checked": "钧瓷制作工",
            "workers_checked": "15",
            "uncertified_found": "3",
            "violations": "3人无证",
        },
    )
    assert response.status_code == 400
    assert "请规定限期培训取证日期" in response.text
    assert not EmploymentInspection.objects.filter(employer="禹州某钧瓷厂").exists()


def test_follow_up_with_a_date_before_the_inspection_is_a_400(world):
    response = client_for(world, "reviewer").post(
        reverse("appraisal:employment_inspection_follow_up", args=[world["inspection"].pk]),
        {"followed_up_on": "2014-05-31", "rectified": "0", "note": "x"},
    )
    assert response.status_code == 400
    assert "复查日期不能早于检查日期" in response.text


def test_detail_shows_overdue_after_the_deadline(world, frozen):
    client = client_for(world, "auditor")
    url = reverse("appraisal:employment_inspection_detail", args=[world["inspection"].pk])
    assert "限期整改中" in client.get(url).text
    frozen.move_to(at(2014, 7, 1, 9), tick=False)
    client = client_for(world, "auditor")  # a fresh session: the old one may have expired
    page = client.get(url).text
    assert "逾期未整改" in page
    # Readers see no follow-up form.
    assert 'id="follow-up-form"' not in page


def test_list_filters_by_state(world, frozen):
    record(world["people"]["reviewer"], employer="长葛某不锈钢厂", deadline=D(2014, 6, 10))
    client = client_for(world, "office")
    url = reverse("appraisal:employment_inspection_list")
    page = client.get(url, {"state": "overdue"}).text
    assert "长葛某不锈钢厂" in page
    assert "许昌某汽修厂" not in page


def test_list_queries_do_not_grow(world, django_assert_max_num_queries):
    client = client_for(world, "office")
    url = reverse("appraisal:employment_inspection_list")
    client.get(url)
    with django_assert_max_num_queries(10) as small:
        client.get(url)
    for index in range(20):
        record(world["people"]["reviewer"], employer=f"企业{index}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert "企业19" in client.get(url).text
