"""Sitting pages: a body's staff see and run only their own body's sittings (others' are 404);
the office and the auditor read; scheduling, results by hand and by upload through the pages."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from appraisal.models import Certificate, Registration, Sitting
from appraisal.tests.appraisal_builders import (  # noqa: F401  (fixtures)
    EXAM_DAY,
    auditor,
    body_with_staff,
    clerk,
    frozen,
    institution_staff,
    make_sitting,
    make_worker,
    occupation,
    office,
    register_online,
    result_row,
    results_file,
    reviewer,
    scheduled,
    trained_worker,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(plan):
    body, staff = body_with_staff()
    other_body, other_staff = body_with_staff("长葛市职业技能鉴定站")
    sitting = make_sitting(body, staff)
    return {
        "body": body,
        "staff": staff,
        "other_staff": other_staff,
        "sitting": sitting,
        "other_sitting": make_sitting(other_body, other_staff),
    }


@pytest.fixture
def exam_day(time_machine):
    time_machine.move_to(datetime.datetime.combine(EXAM_DAY, datetime.time(15)), tick=False)


def _matrix(client, world, method, url):
    users = {
        "anonymous": None,
        "worker": make_worker(with_login=True).user,
        "clerk": clerk(),
        "institution": institution_staff(),
        "reviewer_not_staff": reviewer(),
        "other_body_staff": world["other_staff"],
        "office": office(),
        "auditor": auditor(),
        "body_staff": world["staff"],
    }
    got = {}
    for role, user in users.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        got[role] = getattr(client, method)(url).status_code
    return got


def test_sitting_detail_matrix(client, world):
    url = reverse("appraisal:sitting_detail", args=[world["sitting"].pk])
    assert _matrix(client, world, "get", url) == {
        "anonymous": 302,
        "worker": 403,
        "clerk": 403,
        "institution": 403,
        "reviewer_not_staff": 404,
        "other_body_staff": 404,
        "office": 200,
        "auditor": 200,
        "body_staff": 200,
    }


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("sitting_results", "get"),
        ("results_template", "get"),
        ("sitting_schedule", "post"),
        ("results_upload", "post"),
    ],
)
def test_sitting_actions_matrix(client, world, name, method):
    url = reverse(f"appraisal:{name}", args=[world["sitting"].pk])
    got = _matrix(client, world, method, url)
    assert got["anonymous"] == 302
    for role in ("worker", "clerk", "institution", "office", "auditor"):
        assert got[role] == 403, role
    assert got["reviewer_not_staff"] == 404
    assert got["other_body_staff"] == 404
    assert got["body_staff"] in (200, 400)  # 400: an empty POST


def test_sitting_list_shows_only_own_body_s_sittings(client, world):
    client.force_login(world["staff"])
    page = client.get(reverse("appraisal:sitting_list")).content.decode()
    assert reverse("appraisal:sitting_detail", args=[world["sitting"].pk]) in page
    assert reverse("appraisal:sitting_detail", args=[world["other_sitting"].pk]) not in page
    client.force_login(office())
    page = client.get(reverse("appraisal:sitting_list")).content.decode()
    assert reverse("appraisal:sitting_detail", args=[world["other_sitting"].pk]) in page
    client.force_login(reviewer())  # not on any body's staff
    assert client.get(reverse("appraisal:sitting_list")).status_code == 403


def test_sitting_create_page(client, world):
    client.force_login(world["staff"])
    url = reverse("appraisal:sitting_create")
    assert client.get(url).status_code == 200
    data = {
        "body": world["body"].pk,
        "occupation": occupation().pk,
        "level": 5,
        "exam_date": "2014-04-01",
        "place": "考场A",
        "capacity": 20,
        "pass_mark": "60",
        "certificate_kind": "special",
    }
    response = client.post(url, data)
    sitting = Sitting.objects.latest("pk")
    assert response["Location"] == reverse("appraisal:sitting_detail", args=[sitting.pk])
    assert sitting.certificate_kind == "special"
    response = client.post(url, {**data, "level": 1})
    assert response.status_code == 400
    assert "未获" in response.content.decode()
    # Another body's id is not a choice for this staff member.
    other = world["other_sitting"].body
    assert client.post(url, {**data, "body": other.pk}).status_code == 400
    client.force_login(reviewer())
    assert client.get(url).status_code == 403


def test_schedule_through_the_page(client, world, plan):
    sitting = world["sitting"]
    regs = [register_online(trained_worker(plan)) for _ in range(2)]
    client.force_login(world["staff"])
    page = client.get(reverse("appraisal:sitting_detail", args=[sitting.pk])).content.decode()
    assert regs[0].code in page
    response = client.post(
        reverse("appraisal:sitting_schedule", args=[sitting.pk]),
        {"registration": [r.pk for r in regs]},
    )
    assert response.status_code == 302
    assert Registration.objects.filter(sitting=sitting, status="scheduled").count() == 2
    response = client.post(
        reverse("appraisal:sitting_unschedule", args=[sitting.pk, regs[0].pk]),
    )
    assert response.status_code == 302
    regs[0].refresh_from_db()
    assert regs[0].status == "registered"


def test_schedule_over_capacity_rerenders_with_400(client, world, plan):
    body, staff = world["body"], world["staff"]
    sitting = make_sitting(body, staff, capacity=1)
    regs = [register_online(trained_worker(plan)) for _ in range(2)]
    client.force_login(staff)
    response = client.post(
        reverse("appraisal:sitting_schedule", args=[sitting.pk]),
        {"registration": [r.pk for r in regs]},
    )
    assert response.status_code == 400
    assert "考位不足" in response.content.decode()


def test_other_body_staff_cannot_unschedule(client, world, plan):
    (registration,) = scheduled(plan, world["sitting"], world["staff"])
    client.force_login(world["other_staff"])
    url = reverse("appraisal:sitting_unschedule", args=[world["sitting"].pk, registration.pk])
    assert client.post(url).status_code == 404
    registration.refresh_from_db()
    assert registration.status == "scheduled"


def test_record_results_by_hand_issues_certificates(client, world, plan, exam_day):
    sitting = world["sitting"]
    passed, failed, absent = scheduled(plan, sitting, world["staff"], count=3)
    client.force_login(world["staff"])
    url = reverse("appraisal:sitting_results", args=[sitting.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            f"theory_{passed.pk}": "88",
            f"practical_{passed.pk}": "61",
            f"theory_{failed.pk}": "40",
            f"practical_{failed.pk}": "61",
            f"absent_{absent.pk}": "on",
        },
    )
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.registration == passed
    page = client.get(reverse("appraisal:sitting_detail", args=[sitting.pk])).content.decode()
    assert certificate.number in page


def test_bad_scores_on_the_page_are_400_and_nothing_is_written(client, world, plan, exam_day):
    sitting = world["sitting"]
    good, bad = scheduled(plan, sitting, world["staff"], count=2)
    client.force_login(world["staff"])
    response = client.post(
        reverse("appraisal:sitting_results", args=[sitting.pk]),
        {
            f"theory_{good.pk}": "88",
            f"practical_{good.pk}": "88",
            f"theory_{bad.pk}": "abc",
            f"practical_{bad.pk}": "88",
        },
    )
    assert response.status_code == 400
    assert not Certificate.objects.exists()
    response = client.post(
        reverse("appraisal:sitting_results", args=[sitting.pk]),
        {f"theory_{good.pk}": "88", f"practical_{good.pk}": "188"},
    )
    assert response.status_code == 400
    assert "0到100" in response.content.decode()


def test_results_before_the_exam_day_are_refused_on_the_page(client, world, plan):
    sitting = world["sitting"]
    (registration,) = scheduled(plan, sitting, world["staff"])
    client.force_login(world["staff"])
    response = client.post(
        reverse("appraisal:sitting_results", args=[sitting.pk]),
        {f"theory_{registration.pk}": "88", f"practical_{registration.pk}": "88"},
    )
    assert response.status_code == 400
    assert "起才能录入成绩" in response.content.decode()


def test_upload_through_the_page(client, world, plan, exam_day):
    sitting = world["sitting"]
    (registration,) = scheduled(plan, sitting, world["staff"])
    client.force_login(world["staff"])
    template = client.get(reverse("appraisal:results_template", args=[sitting.pk]))
    assert template.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(template.streaming_content)))
    assert workbook["成绩"].cell(2, 1).value == registration.code
    upload = SimpleUploadedFile(
        "成绩.xlsx", results_file([result_row(registration, "99", "98")]).getvalue()
    )
    response = client.post(reverse("appraisal:results_upload", args=[sitting.pk]), {"file": upload})
    assert response.status_code == 302
    assert Certificate.objects.filter(registration=registration).exists()


def test_upload_errors_page_lists_rows_and_writes_nothing(client, world, plan, exam_day):
    sitting = world["sitting"]
    (registration,) = scheduled(plan, sitting, world["staff"])
    client.force_login(world["staff"])
    upload = SimpleUploadedFile(
        "成绩.xlsx", results_file([result_row(registration, "99", "abc")]).getvalue()
    )
    response = client.post(reverse("appraisal:results_upload", args=[sitting.pk]), {"file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert "没有任何成绩被录入" in page
    assert "第2行第E列（实操成绩）" in page
    assert not Certificate.objects.exists()
    response = client.post(reverse("appraisal:results_upload", args=[sitting.pk]), {})
    assert response.status_code == 400


def test_sitting_list_query_count_does_not_grow(client, world, plan, django_assert_max_num_queries):
    client.force_login(world["staff"])
    with django_assert_max_num_queries(8):
        assert client.get(reverse("appraisal:sitting_list")).status_code == 200
    for _ in range(6):
        sitting = make_sitting(world["body"], world["staff"])
        scheduled(plan, sitting, world["staff"], count=2)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("appraisal:sitting_list")).content.decode()
    assert page.count("2/30") == 6


def test_sitting_detail_query_count_does_not_grow(
    client, world, plan, django_assert_max_num_queries
):
    sitting = world["sitting"]
    client.force_login(world["staff"])
    scheduled(plan, sitting, world["staff"], count=1)
    register_online(trained_worker(plan))
    with django_assert_max_num_queries(12):
        client.get(reverse("appraisal:sitting_detail", args=[sitting.pk]))
    scheduled(plan, sitting, world["staff"], count=6)
    for _ in range(5):
        register_online(trained_worker(plan))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("appraisal:sitting_detail", args=[sitting.pk]))
    assert page.content.decode().count('name="registration"') == 6
