"""Pilot and "双一" pages through the test client: the permission matrix of every view, forms that
re-render with 400, the happy paths, and bounded query counts on the lists. 15 June 2014."""

import pytest
from django.test import Client
from django.urls import reverse

from appraisal.models import Certificate, DualOneException, Level, PilotEnterprise
from appraisal.services import pilots as svc
from appraisal.tests.test_pilots_support import (
    PDF,
    D,
    at,
    county,
    ensure_level_rules,
    enterprise_institution,
    id_number,
    make_certificate,
    make_pilot,
    make_worker,
    occupation,
    office,
    pdf,
    reviewer,
    staff_of,
)
from core.roles import Role
from core.tests.factories import user_with_role
from training.tests.factories import clerk_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def level_rules(db):
    ensure_level_rules()


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 6, 15, 10), tick=False)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(plan):
    institution = enterprise_institution()
    staff = staff_of(institution)
    pilot = make_pilot(institution=institution, occupations=[occupation("ZY017")], ready_on=None)
    for item in ("plan", "committee", "method", "quality"):
        svc.checklist_item_submit(
            pilot=pilot, item=item, document=pdf(), effective_on=D(2014, 1, 10), actor=staff
        )
    worker = make_worker("王师傅", number=id_number(11))
    exception = svc.exception_request(
        pilot=pilot,
        data=svc.ExceptionInput(
            worker=worker,
            occupation=occupation("ZY017"),
            level=Level.TECHNICIAN,
            kind=DualOneException.Kind.SKIP_LEVEL,
            front_line_post="装配一线",
            performance="省技术能手",
            justification="业绩突出",
        ),
        actor=staff,
    )
    return {
        "pilot": pilot,
        "exception": exception,
        "worker": worker,
        "people": {
            "office": office(),
            "auditor": user_with_role(Role.AUDITOR),
            "reviewer": reviewer(),
            "staff": staff,
            "other_staff": staff_of(enterprise_institution()),
            "clerk": clerk_of("rsj"),
            "worker": user_with_role(Role.WORKER),
        },
    }


def client_for(world, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(world["people"][who])
    return client


READ = {
    "anonymous": 302,
    "office": 200,
    "auditor": 200,
    "reviewer": 200,
    "staff": 200,
    "other_staff": 200,
    "clerk": 403,
    "worker": 403,
}
READ_ONE = {**READ, "other_staff": 404}
REVIEWER_ONLY = dict.fromkeys(READ, 403) | {"anonymous": 302, "reviewer": 200}
ACT = {**REVIEWER_ONLY, "reviewer": 403, "office": 200, "staff": 200, "other_staff": 404}


def checklist_post():
    return {"plan-effective_on": "2014-01-10", "plan-document": pdf()}


# (url name, args, method, POST data factory, statuses by role). For POSTs the role that
# succeeds comes last in the dict, so earlier refusals see the untouched state.
CASES = [
    ("pilot_list", lambda w: [], "get", None, READ),
    ("exception_list", lambda w: [], "get", None, READ),
    ("pilot_detail", lambda w: [w["pilot"].pk], "get", None, READ_ONE),
    ("exception_detail", lambda w: [w["exception"].pk], "get", None, READ_ONE),
    (
        "checklist_item_file",
        lambda w: [w["pilot"].pk, "plan"],
        "get",
        None,
        READ_ONE,
    ),
    ("pilot_create", lambda w: [], "get", None, REVIEWER_ONLY),
    ("pilot_update", lambda w: [w["pilot"].pk], "get", None, REVIEWER_ONLY),
    ("evaluation_record", lambda w: [w["pilot"].pk], "get", None, ACT),
    ("exception_request", lambda w: [w["pilot"].pk], "get", None, ACT),
    (
        "checklist_item_submit",
        lambda w: [w["pilot"].pk, "plan"],
        "post",
        checklist_post,
        {**ACT, "office": 302, "staff": 302},
    ),
    (
        "exception_decide",
        lambda w: [w["exception"].pk],
        "post",
        lambda: {"decision": "approve", "reason": "同意"},
        {**REVIEWER_ONLY, "other_staff": 403, "reviewer": 302},
    ),
]


@pytest.mark.parametrize(
    ("name", "args", "method", "payload", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_permission_matrix(world, name, args, method, payload, expected):
    url = reverse(f"appraisal:{name}", args=args(world))
    seen = {}
    for who in expected:
        client = client_for(world, who)
        response = client.get(url) if method == "get" else client.post(url, payload())
        seen[who] = response.status_code
        if who == "anonymous":
            assert response["Location"].startswith(reverse("login"))
    assert seen == expected


def test_pilot_create_page_designates_a_pilot(world):
    client = client_for(world, "reviewer")
    response = client.post(
        reverse("appraisal:pilot_create"),
        {
            "name": "平煤神马许昌分公司",
            "county": county("xiangcheng").pk,
            "size_class": PilotEnterprise.SizeClass.LARGE_STATE,
            "designated_on": "2014-03-01",
            "occupations": [occupation("ZY011").pk],
        },
    )
    pilot = PilotEnterprise.objects.get(name="平煤神马许昌分公司")
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:pilot_detail", args=[pilot.pk])


def test_pilot_create_with_bad_input_re_renders_with_400(world):
    response = client_for(world, "reviewer").post(
        reverse("appraisal:pilot_create"),
        {
            "name": world["pilot"].name,
            "county": county().pk,
            "size_class": "sme",
            "designated_on": "2014-03-01",
            "occupations": [occupation("ZY011").pk],
        },
    )
    assert response.status_code == 400
    assert "已有同名的试点企业" in response.text


def test_bad_checklist_file_re_renders_the_pilot_with_400(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(world, "staff").post(
        reverse("appraisal:checklist_item_submit", args=[world["pilot"].pk, "method"]),
        {
            "method-effective_on": "2014-01-10",
            "method-document": SimpleUploadedFile("x.exe", b"MZ"),
        },
    )
    assert response.status_code == 400
    assert "只接受以下格式" in response.text


def test_checklist_file_downloads_the_document(world):
    response = client_for(world, "auditor").get(
        reverse("appraisal:checklist_item_file", args=[world["pilot"].pk, "plan"])
    )
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]


def evaluation_post(worker_number: str, name: str, **overrides) -> dict:
    values = {
        "id_number": worker_number,
        "worker_name": name,
        "occupation": occupation("ZY017").pk,
        "level": "2",
        "years_in_trade": "6",
        "result": "passed",
        "evaluated_on": "2014-06-01",
    }
    values.update(overrides)
    return values


def test_evaluation_page_records_a_pass_and_shows_the_certificate(world):
    number = id_number(21)
    worker = make_worker("赵师傅", number=number)
    make_certificate(worker, occupation("ZY017"), Level.SENIOR)
    client = client_for(world, "staff")
    response = client.post(
        reverse("appraisal:evaluation_record", args=[world["pilot"].pk]),
        evaluation_post(number, "赵师傅"),
        follow=True,
    )
    certificate = Certificate.objects.get(worker=worker, level=2)
    assert response.status_code == 200
    assert certificate.number in response.text


def test_evaluation_for_an_unknown_worker_is_a_400(world):
    response = client_for(world, "staff").post(
        reverse("appraisal:evaluation_record", args=[world["pilot"].pk]),
        evaluation_post(id_number(22), "无此人"),
    )
    assert response.status_code == 400
    assert "请先到报名点登记" in response.text


def test_evaluation_refused_by_the_level_rule_is_a_400_with_the_reason(world):
    number = id_number(23)
    make_worker("钱师傅", number=number)
    response = client_for(world, "office").post(
        reverse("appraisal:evaluation_record", args=[world["pilot"].pk]),
        evaluation_post(number, "钱师傅"),
    )
    assert response.status_code == 400
    assert "高级工证书" in response.text


def test_exception_request_page_creates_a_pending_request(world):
    number = id_number(24)
    make_worker("孙师傅", number=number)
    response = client_for(world, "staff").post(
        reverse("appraisal:exception_request", args=[world["pilot"].pk]),
        {
            "id_number": number,
            "worker_name": "孙师傅",
            "occupation": occupation("ZY017").pk,
            "level": "2",
            "kind": "out_of_turn",
            "front_line_post": "一线",
            "performance": "一流",
            "justification": "理由",
        },
    )
    created = DualOneException.objects.get(worker__name="孙师傅")
    assert response.status_code == 302
    assert response["Location"] == reverse("appraisal:exception_detail", args=[created.pk])


def test_refusal_without_reason_is_a_400(world):
    response = client_for(world, "reviewer").post(
        reverse("appraisal:exception_decide", args=[world["exception"].pk]),
        {"decision": "refuse", "reason": ""},
    )
    assert response.status_code == 400
    world["exception"].refresh_from_db()
    assert world["exception"].status == DualOneException.Status.PENDING


def test_requester_with_reviewer_role_sees_no_decision_form_and_is_refused(world):
    from django.contrib.auth.models import Group

    staff = world["people"]["staff"]
    staff.groups.add(Group.objects.get_or_create(name=Role.REVIEWER.value)[0])
    client = client_for(world, "staff")
    url = reverse("appraisal:exception_detail", args=[world["exception"].pk])
    page = client.get(url)
    assert 'id="decision-form"' not in page.text
    assert 'id="own-request-note"' in page.text
    response = client.post(
        reverse("appraisal:exception_decide", args=[world["exception"].pk]),
        {"decision": "approve"},
    )
    assert response.status_code == 403


def test_decided_request_cannot_be_decided_again(world):
    client = client_for(world, "reviewer")
    url = reverse("appraisal:exception_decide", args=[world["exception"].pk])
    assert client.post(url, {"decision": "approve"}).status_code == 302
    again = client.post(url, {"decision": "refuse", "reason": "x"})
    # The form is gone once decided: the post is refused with the rule's message.
    assert again.status_code == 400


# ---- bounded queries -----------------------------------------------------------------------


def _more_pilots(count: int) -> None:
    for _ in range(count):
        pilot = make_pilot(occupations=[occupation("ZY017")])
        svc.exception_request(
            pilot=pilot,
            data=svc.ExceptionInput(
                worker=make_worker(),
                occupation=occupation("ZY017"),
                level=Level.SENIOR,
                kind=DualOneException.Kind.OUT_OF_TURN,
                front_line_post="一线",
                performance="一流",
                justification="理由",
            ),
            actor=office(),
        )


@pytest.mark.parametrize("name", ["pilot_list", "exception_list"])
def test_lists_cost_the_same_queries_for_more_rows(world, name, django_assert_max_num_queries):
    client = client_for(world, "reviewer")
    url = reverse(f"appraisal:{name}")
    client.get(url)  # warm the session and the user's groups
    with django_assert_max_num_queries(8) as small:
        assert client.get(url).status_code == 200
    _more_pilots(12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


def _evaluate(pilot, staff, count: int) -> None:
    for _ in range(count):
        worker = make_worker()
        make_certificate(worker, occupation("ZY017"), Level.SENIOR)
        svc.evaluation_record(
            pilot=pilot,
            data=svc.EvaluationInput(
                worker=worker,
                occupation=occupation("ZY017"),
                level=2,
                result="passed",
                evaluated_on=D(2014, 6, 1),
                years_in_trade=5,
            ),
            actor=staff,
        )


def test_pilot_detail_queries_do_not_grow_with_evaluations(world, django_assert_max_num_queries):
    client = client_for(world, "reviewer")
    url = reverse("appraisal:pilot_detail", args=[world["pilot"].pk])
    _evaluate(world["pilot"], world["people"]["staff"], 1)
    client.get(url)
    with django_assert_max_num_queries(16) as small:
        client.get(url)
    _evaluate(world["pilot"], world["people"]["staff"], 8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert "XC2014Q" in client.get(url).text
