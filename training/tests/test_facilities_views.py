"""The "1688" pages through the test client: permission matrix, the steps with evidence,
invalid forms re-rendered with 400, query counts and the home-page panel."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.roles import Role
from core.tests.factories import user_with_role
from training.models import Facility, FacilityEvidence
from training.selectors.facilities import facility_home_panel
from training.services import facilities as services
from training.tests.test_ledger_support import (  # noqa: F401 (fixtures)
    TODAY,
    bulk_facilities,
    clerk,
    county,
    dept,
    facility,
    frozen_fixture,
    media_root,
    office_user,
    target,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen", "media_root")]

Status = Facility.Status


def url(name, *args):
    return reverse(f"training:{name}", args=args)


def pdf(name="竣工报告.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% evidence\n", content_type="application/pdf")


@pytest.fixture
def people(plan):
    return {
        "anonymous": None,
        "worker": user_with_role(Role.WORKER),
        "institution": user_with_role(Role.INSTITUTION),
        "reviewer": user_with_role(Role.REVIEWER, department=dept("rsj")),
        "office": office_user(),
        "auditor": user_with_role(Role.AUDITOR),
        "target_clerk": clerk("rsj"),
        "other_clerk": clerk("jyj"),
    }


ANON = 302
MATRIX = [
    ("facility_list", "get", "anonymous", ANON),
    ("facility_list", "get", "worker", 403),
    ("facility_list", "get", "institution", 403),
    ("facility_list", "get", "reviewer", 403),
    ("facility_list", "get", "other_clerk", 200),
    ("facility_list", "get", "target_clerk", 200),
    ("facility_list", "get", "auditor", 200),
    ("facility_list", "get", "office", 200),
    ("facility_create", "get", "anonymous", ANON),
    ("facility_create", "get", "auditor", 403),
    ("facility_create", "get", "other_clerk", 403),
    ("facility_create", "get", "worker", 403),
    ("facility_create", "get", "target_clerk", 200),
    ("facility_create", "get", "office", 200),
    ("facility_detail", "get", "anonymous", ANON),
    ("facility_detail", "get", "worker", 403),
    ("facility_detail", "get", "other_clerk", 404),
    ("facility_detail", "get", "target_clerk", 200),
    ("facility_detail", "get", "auditor", 200),
    ("facility_detail", "get", "office", 200),
    ("facility_advance", "post", "anonymous", ANON),
    ("facility_advance", "post", "auditor", 403),
    ("facility_advance", "post", "other_clerk", 404),
    ("facility_advance", "post", "target_clerk", 302),
    ("facility_advance", "post", "office", 302),
    ("facility_evidence_add", "post", "anonymous", ANON),
    ("facility_evidence_add", "post", "auditor", 403),
    ("facility_evidence_add", "post", "other_clerk", 404),
    ("facility_evidence_add", "post", "office", 302),
    ("facility_evidence_download", "get", "anonymous", ANON),
    ("facility_evidence_download", "get", "worker", 403),
    ("facility_evidence_download", "get", "other_clerk", 404),
    ("facility_evidence_download", "get", "auditor", 200),
    ("facility_evidence_download", "get", "target_clerk", 200),
]


@pytest.mark.parametrize(("view", "method", "who", "expected"), MATRIX)
def test_permission_matrix(client, plan, people, view, method, who, expected):
    f = facility(plan, people["office"])
    evidence = services.facility_evidence_add(facility=f, upload=pdf(), actor=people["office"])
    args = {
        "facility_list": (),
        "facility_create": (),
        "facility_evidence_download": (f.pk, evidence.pk),
    }.get(view, (f.pk,))
    data = {
        "facility_advance": {"to": Status.UNDER_CONSTRUCTION, "on": "2014-03-01"},
        "facility_evidence_add": {"file": pdf(), "description": "立项批复"},
    }.get(view)
    user = people[who]
    if user is not None:
        client.force_login(user)
    path = url(view, *args)
    response = client.post(path, data) if method == "post" else client.get(path)
    assert response.status_code == expected
    if who == "anonymous":
        assert "/accounts/login/" in response["Location"]


def test_clerk_of_another_department_sees_progress_but_no_facilities(client, plan, people):
    facility(plan, people["office"])
    client.force_login(people["other_clerk"])
    page = client.get(url("facility_list")).content.decode()
    assert 'id="progress-service_centre"' in page
    assert "禹州市就业培训服务中心" not in page
    assert 'id="facility-create-link"' not in page


def test_target_clerk_registers_and_walks_a_facility_to_accepted(client, plan, people):
    client.force_login(people["target_clerk"])
    response = client.post(
        url("facility_create"),
        {
            "target": target(plan, "county_school").pk,
            "name": "禹州市技工学校",
            "county": county("yuzhou").pk,
            "planned_on": "2013-09-01",
        },
    )
    f = Facility.objects.get(name="禹州市技工学校")
    assert response.status_code == 302
    client.post(url("facility_advance", f.pk), {"to": "under_construction", "on": "2013-10-01"})
    response = client.post(url("facility_advance", f.pk), {"to": "completed", "on": "2014-02-01"})
    assert response.status_code == 400
    assert "须上传证明材料" in response.content.decode()
    client.post(
        url("facility_advance", f.pk),
        {"to": "completed", "on": "2014-02-01", "evidence": pdf(), "description": "竣工报告"},
    )
    client.post(
        url("facility_advance", f.pk),
        {"to": "accepted", "on": "2014-03-03", "evidence": pdf("验收.pdf")},
    )
    f.refresh_from_db()
    assert f.status == Status.ACCEPTED
    assert f.accepted_on == TODAY
    page = client.get(url("facility_list")).content.decode()
    assert "16.7" in page  # 1 of 6 county schools


def test_stale_transition_is_refused_with_a_message(client, plan, people):
    f = facility(plan, people["office"])
    client.force_login(people["office"])
    response = client.post(url("facility_advance", f.pk), {"to": "completed", "on": "2014-03-01"})
    assert response.status_code == 302
    f.refresh_from_db()
    assert f.status == Status.PLANNED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"target": "", "name": "", "county": "", "planned_on": ""}, "这个字段是必填项"),
        ({"name": "甲", "planned_on": "2014-03-04"}, "立项日期不能晚于今天"),
    ],
)
def test_invalid_facility_form_is_400(client, plan, people, data, message):
    client.force_login(people["office"])
    full = {"target": target(plan).pk, "county": county().pk, **data}
    response = client.post(url("facility_create"), full)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Facility.objects.exists()


def test_bad_evidence_file_is_400(client, plan, people):
    f = facility(plan, people["office"])
    client.force_login(people["office"])
    bad = SimpleUploadedFile("x.exe", b"MZ")
    response = client.post(url("facility_evidence_add", f.pk), {"file": bad})
    assert response.status_code == 400
    assert "只接受以下格式" in response.content.decode()
    assert not FacilityEvidence.objects.exists()


def test_evidence_download_has_the_facility_name(client, plan, people):
    f = facility(plan, people["office"])
    item = services.facility_evidence_add(facility=f, upload=pdf(), actor=people["office"])
    client.force_login(people["auditor"])
    response = client.get(url("facility_evidence_download", f.pk, item.pk))
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]


def test_facility_list_query_count_does_not_grow(
    client, plan, people, django_assert_max_num_queries
):
    client.force_login(people["office"])
    bulk_facilities(plan, "service_centre", Status.COMPLETED, 2)
    with django_assert_max_num_queries(12) as small:
        assert client.get(url("facility_list")).status_code == 200
    bulk_facilities(plan, "service_centre", Status.ACCEPTED, 40)
    bulk_facilities(plan, "training_base", Status.PLANNED, 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url("facility_list")).status_code == 200


def test_home_panel_for_office_shows_progress_per_target(client, plan, people):
    bulk_facilities(plan, "service_centre", Status.COMPLETED, 79)
    panel = facility_home_panel(user=people["office"], campaign=plan)
    row = next(r for r in panel["rows"] if r.target.kind == "service_centre")
    assert str(row.percent) == "98.8"
    assert facility_home_panel(user=people["target_clerk"], campaign=plan) is None
    client.force_login(people["office"])
    page = client.get(reverse("dashboard:home")).content.decode()
    assert 'id="panel-facilities_1688"' in page
    assert "98.8" in page


def test_facility_dates_are_shown_on_the_detail(client, plan, people):
    f = facility(plan, people["office"])
    services.facility_start_construction(
        facility=f, on=datetime.date(2013, 10, 8), actor=people["office"]
    )
    client.force_login(people["auditor"])
    page = client.get(url("facility_detail", f.pk)).content.decode()
    assert "2013-10-08" in page
    assert 'id="advance-form"' not in page  # the auditor only reads


def test_facility_list_filters_by_kind_and_status(client, plan, people):
    bulk_facilities(plan, "service_centre", Status.COMPLETED, 2, prefix="服务中心")
    bulk_facilities(plan, "training_base", Status.PLANNED, 1, prefix="实训基地")
    client.force_login(people["office"])
    page = client.get(url("facility_list") + "?kind=training_base").content.decode()
    assert "实训基地0" in page
    assert "服务中心0" not in page
    page = client.get(url("facility_list") + "?status=completed").content.decode()
    assert "服务中心1" in page
    assert "实训基地0" not in page
    # An unknown filter value is ignored rather than an error.
    assert client.get(url("facility_list") + "?kind=castle").status_code == 200
