"""Who may open and change monthly returns through the pages.

The world (frozen at 2 June 2014, 10:00 Asia/Shanghai): every responsible unit has a submitted
March 2014 return (now locked: correctable), an accepted April return and a May draft; 人社局 has
a pending correction on April. A refused request must leave every row exactly as it was.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent, Department
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import (
    FIGURE_FIELDS,
    CorrectionRequest,
    MonthlyReturn,
    ReturnLine,
    ReturnUnlock,
    TrainingCategory,
)
from training.services import returns as svc
from training.tests.factories import clerk_of, lines_for

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MARCH, APRIL, MAY = (datetime.date(2014, m, 1) for m in (3, 4, 5))
CODES = ("gxj", "rsj", "jyj", "mzj", "nyj", "zgh", "tsw", "flh", "clh")


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The factories set a password per user; the production hasher costs ~0.5 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _submit(plan, clerk, month):
    ret = svc.return_save(
        campaign=plan,
        department=clerk.department,
        month=month,
        lines=lines_for(plan, clerk.department.code, trained=10, passed=5),
        version=0,
        actor=clerk,
    )
    return svc.return_submit(monthly_return=ret, version=ret.version, actor=clerk)


@pytest.fixture
def world(plan, time_machine):
    office = user_with_role(Role.OFFICE, department=Department.objects.get(code="office"))
    clerks = {code: clerk_of(code) for code in CODES}
    time_machine.move_to(at(2014, 4, 2, 10), tick=False)
    for clerk in clerks.values():
        _submit(plan, clerk, MARCH)
    time_machine.move_to(at(2014, 5, 2, 10), tick=False)
    for clerk in clerks.values():
        svc.return_accept(monthly_return=_submit(plan, clerk, APRIL), actor=office)
    time_machine.move_to(at(2014, 6, 2, 10), tick=False)
    for code, clerk in clerks.items():
        svc.return_save(
            campaign=plan,
            department=clerk.department,
            month=MAY,
            lines=lines_for(plan, code, trained=3),
            version=0,
            actor=clerk,
        )
    april_rsj = MonthlyReturn.objects.get(department__code="rsj", month=APRIL)
    category = TrainingCategory.objects.filter(department__code="rsj").first()
    correction = svc.correction_request(
        monthly_return=april_rsj,
        proposed={category.pk: {"trained": 11}},
        reason="漏报一个班",
        actor=clerks["rsj"],
    )
    return {"office": office, "clerks": clerks, "correction": correction}


def snapshot():
    """Every row the return pages could change, with the values that matter."""
    return (
        list(MonthlyReturn.objects.order_by("pk").values_list("pk", "version", "status")),
        list(ReturnLine.objects.order_by("pk").values_list("pk", *FIGURE_FIELDS, "note")),
        list(CorrectionRequest.objects.order_by("pk").values_list("pk", "status")),
        ReturnUnlock.objects.count(),
        AuditEvent.objects.count(),
    )


def grid_post(code, month, *, version, action="save", trained=99):
    data = {"version": str(version), "action": action}
    for category in TrainingCategory.objects.filter(department__code=code):
        for name in FIGURE_FIELDS:
            data[f"c{category.number}_{name}"] = str(trained if name == "trained" else 0)
        data[f"c{category.number}_note"] = "越权修改"
    return data


def url(name, code, month):
    return reverse(f"training:{name}", args=[code, month])


def _other(code):
    return CODES[(CODES.index(code) + 1) % len(CODES)]


# ------------------------------------------------------------------------------
# Nine clerks × another department's returns
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_clerk_cannot_read_or_change_another_departments_return(client, world, code):
    other = _other(code)
    may = MonthlyReturn.objects.get(department__code=other, month=MAY)
    client.force_login(world["clerks"][code])
    before = snapshot()

    for month in (MARCH, APRIL, MAY):
        assert client.get(url("return_detail", other, month)).status_code == 404
        assert client.get(url("return_download", other, month)).status_code in {403, 404}
    save = client.post(url("return_save", other, MAY), grid_post(other, MAY, version=may.version))
    assert save.status_code == 404
    submit_via_save = client.post(
        url("return_save", other, MAY), grid_post(other, MAY, version=may.version, action="submit")
    )
    assert submit_via_save.status_code == 404
    submit = client.post(url("return_submit", other, MAY), {"version": may.version})
    assert submit.status_code == 404
    upload = client.post(
        url("return_upload", other, MAY),
        {"file": SimpleUploadedFile("月报.xlsx", b"PK\x03\x04 not really"), "version": may.version},
    )
    assert upload.status_code in {403, 404}
    assert client.get(url("correction_create", other, APRIL)).status_code == 404
    correction = grid_post(other, APRIL, version=0)
    correction["reason"] = "越权更正"
    assert client.post(url("correction_create", other, APRIL), correction).status_code == 404

    assert snapshot() == before


@pytest.mark.parametrize("code", CODES)
def test_same_requests_on_own_department_do_succeed(client, world, code):
    """The counterpart of the test above: the refusals come from the department, not the form."""
    may = MonthlyReturn.objects.get(department__code=code, month=MAY)
    client.force_login(world["clerks"][code])
    assert client.get(url("return_detail", code, MAY)).status_code == 200
    response = client.post(url("return_save", code, MAY), grid_post(code, MAY, version=may.version))
    assert response.status_code == 302
    may.refresh_from_db()
    assert may.version == 2
    assert set(may.lines.values_list("trained", flat=True)) == {99}


@pytest.mark.parametrize("code", CODES)
def test_clerk_cannot_review_unlock_or_decide_even_for_own_department(client, world, code):
    client.force_login(world["clerks"][code])
    before = snapshot()
    responses = [
        client.post(url("return_accept", code, MARCH)),
        client.post(url("return_send_back", code, MARCH), {"reason": "自己退回"}),
        client.post(
            url("return_unlock", code, MARCH),
            {"reason": "自己解锁", "expires_at": "2014-06-20T12:00"},
        ),
        client.post(
            reverse("training:correction_decide", args=[world["correction"].pk]),
            {"action": "approve"},
        ),
    ]
    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert client.get(reverse("training:return_matrix")).status_code == 403
    assert client.get(url("return_audit", code, MAY)).status_code == 403
    assert snapshot() == before


def test_clerk_sees_only_own_departments_corrections(client, world):
    client.force_login(world["clerks"]["gxj"])
    response = client.get(reverse("training:correction_list"))
    assert response.status_code == 200
    assert "漏报一个班" not in response.content.decode()
    client.force_login(world["clerks"]["rsj"])
    assert "漏报一个班" in client.get(reverse("training:correction_list")).content.decode()


# ------------------------------------------------------------------------------
# Anonymous, other roles
# ------------------------------------------------------------------------------

ALL_PAGES = [
    ("return_current", False),
    ("return_history", False),
    ("return_matrix", False),
    ("correction_list", False),
    ("return_detail", True),
    ("return_save", True),
    ("return_submit", True),
    ("return_accept", True),
    ("return_send_back", True),
    ("return_unlock", True),
    ("correction_create", True),
    ("return_audit", True),
]


@pytest.mark.parametrize(("name", "per_return"), ALL_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_login(client, plan, name, per_return, method):
    path = url(name, "rsj", MAY) if per_return else reverse(f"training:{name}")
    before = snapshot()
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert snapshot() == before


def test_anonymous_decide_is_sent_to_login(client, world):
    response = client.post(
        reverse("training:correction_decide", args=[world["correction"].pk]), {"action": "approve"}
    )
    assert response.status_code == 302
    assert CorrectionRequest.objects.get().status == "pending"


@pytest.mark.parametrize(
    "role", [Role.WORKER, Role.INSTITUTION, Role.REVIEWER, Role.FINANCE, Role.COMMITTEE]
)
def test_other_roles_cannot_open_return_pages(client, world, role):
    client.force_login(user_with_role(role))
    for path in (
        url("return_detail", "rsj", MAY),
        reverse("training:return_matrix"),
        reverse("training:return_current"),
        reverse("training:correction_list"),
    ):
        assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", [Role.OFFICE, Role.AUDITOR])
def test_office_and_auditor_cannot_use_the_clerks_own_pages(client, world, role):
    client.force_login(user_with_role(role))
    assert client.get(reverse("training:return_current")).status_code == 403
    assert client.get(reverse("training:return_history")).status_code == 403


# ------------------------------------------------------------------------------
# Office and auditor read everything; the auditor writes nothing
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICE, Role.AUDITOR])
def test_office_and_auditor_read_every_departments_return(client, world, role):
    client.force_login(user_with_role(role))
    for code in CODES:
        for month in (MARCH, APRIL, MAY):
            assert client.get(url("return_detail", code, month)).status_code == 200
        assert client.get(url("return_audit", code, MAY)).status_code == 200
    matrix = client.get(reverse("training:return_matrix"))
    assert matrix.status_code == 200
    body = matrix.content.decode()
    for code in CODES:
        assert url("return_detail", code, MAY) in body
    corrections = client.get(reverse("training:correction_list"))
    assert "漏报一个班" in corrections.content.decode()


def test_readers_never_get_input_cells(client, world):
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(url("return_detail", "rsj", MAY)).content.decode()
    assert 'name="c2_trained"' not in body
    assert "保存草稿" not in body
    assert "审核通过</button>" not in body


def test_auditor_posts_are_refused_and_change_nothing(client, world):
    client.force_login(user_with_role(Role.AUDITOR))
    may = MonthlyReturn.objects.get(department__code="rsj", month=MAY)
    before = snapshot()
    responses = [
        client.post(url("return_save", "rsj", MAY), grid_post("rsj", MAY, version=may.version)),
        client.post(
            url("return_save", "rsj", MAY),
            grid_post("rsj", MAY, version=may.version, action="submit"),
        ),
        client.post(url("return_submit", "rsj", MAY), {"version": may.version}),
        client.post(url("return_accept", "rsj", MARCH)),
        client.post(url("return_send_back", "rsj", MARCH), {"reason": "审计退回"}),
        client.post(
            url("return_unlock", "rsj", MARCH),
            {"reason": "审计解锁", "expires_at": "2014-06-20T12:00"},
        ),
        client.post(
            reverse("training:correction_decide", args=[world["correction"].pk]),
            {"action": "approve"},
        ),
        client.post(
            reverse("training:correction_decide", args=[world["correction"].pk]),
            {"action": "refuse", "reason": "审计不批"},
        ),
    ]
    assert [r.status_code for r in responses] == [403] * len(responses)
    assert snapshot() == before


def test_office_cannot_type_a_departments_figures(client, world):
    client.force_login(world["office"])
    may = MonthlyReturn.objects.get(department__code="rsj", month=MAY)
    before = snapshot()
    response = client.post(
        url("return_save", "rsj", MAY), grid_post("rsj", MAY, version=may.version)
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_review_views_refuse_get(client, world):
    client.force_login(world["office"])
    before = snapshot()
    assert client.get(url("return_accept", "rsj", MARCH)).status_code == 405
    assert client.get(url("return_send_back", "rsj", MARCH)).status_code == 405
    assert client.get(url("return_unlock", "rsj", MARCH)).status_code == 405
    assert snapshot() == before


def test_unknown_department_or_month_outside_the_campaign_is_404(client, world):
    client.force_login(world["office"])
    assert client.get(url("return_detail", "nosuch", MAY)).status_code == 404
    assert client.get(url("return_detail", "rsj", datetime.date(2015, 1, 1))).status_code == 404


def test_maker_never_checks_own_correction(client, world):
    """A person holding both roles asks for a correction and cannot approve it (403)."""
    both = user_with_role(Role.CLERK, department=Department.objects.get(code="gxj"))
    both.groups.add(user_with_role(Role.OFFICE).groups.get())
    both.__dict__.pop("role_names", None)
    client.force_login(both)
    category = TrainingCategory.objects.get(department__code="gxj")
    data = grid_post("gxj", APRIL, version=0, trained=12)
    data["c1_passed"] = "5"
    data["reason"] = "自己申请"
    response = client.post(url("correction_create", "gxj", APRIL), data)
    assert response.status_code == 302
    correction = CorrectionRequest.objects.get(monthly_return__department__code="gxj")
    assert correction.proposed == {str(category.pk): {"trained": 12}}
    before = snapshot()
    decide = client.post(
        reverse("training:correction_decide", args=[correction.pk]), {"action": "approve"}
    )
    assert decide.status_code == 403
    assert snapshot() == before
