"""Revealing a full ID or account number: only for the roles allowed, only with a reason, one audit
row per reveal, never cached; a forged or foreign link is a 404."""

import pytest
from django.core import signing
from django.template import Context, Template
from django.test import RequestFactory

from core import crypto
from core.models import AuditEvent
from core.reveal import SALT, register_revealable, registry, reveal_token, reveal_url
from core.roles import Role
from core.tests.factories import user_with_role
from core.validators import mask_bank_account
from training.tests.test_classes_support import make_worker
from training.tests.test_institutions_support import make_institution

pytestmark = pytest.mark.django_db

ACCOUNT = "6222020200112233445"


@pytest.fixture
def worker():
    return make_worker("张三")


@pytest.fixture
def institution():
    return make_institution(
        bank_account_encrypted=crypto.encrypt(ACCOUNT),
        bank_account_masked=mask_bank_account(ACCOUNT),
    )


def full_id(worker):
    return crypto.decrypt(worker.id_number_encrypted)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 302),
        (Role.CLERK, 403),
        (Role.WORKER, 403),
        (Role.INSTITUTION, 403),
        (Role.FINANCE, 403),
        (Role.AUDITOR, 403),
        (Role.COMMITTEE, 403),
        (Role.OFFICE, 200),
        (Role.REVIEWER, 200),
    ],
)
def test_worker_id_reveal_permission_matrix(client, worker, role, status):
    kwargs = {"institution": make_institution()} if role == Role.INSTITUTION else {}
    if role is not None:
        client.force_login(user_with_role(role, **kwargs))
    url = reveal_url("training.worker.id_number", worker)
    assert client.get(url).status_code == status
    assert client.post(url, {"reason": "核对身份信息"}).status_code == status
    expected = 1 if status == 200 else 0
    assert AuditEvent.objects.filter(action="pii.reveal").count() == expected


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.FINANCE, 200), (Role.OFFICE, 200), (Role.REVIEWER, 403), (Role.CLERK, 403)],
)
def test_institution_account_reveal_permission_matrix(client, institution, role, status):
    client.force_login(user_with_role(role))
    response = client.post(
        reveal_url("training.institution.bank_account", institution), {"reason": "核对拨付账户"}
    )
    assert response.status_code == status
    assert (ACCOUNT in response.content.decode()) is (status == 200)


def test_the_form_shows_only_the_mask_and_writes_nothing(client, worker):
    client.force_login(user_with_role(Role.OFFICE))
    body = client.get(reveal_url("training.worker.id_number", worker)).content.decode()
    assert worker.id_number_masked in body
    assert full_id(worker) not in body
    assert "理由" in body
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()


@pytest.mark.parametrize("reason", ["", "   ", "看看"])
def test_a_reveal_without_a_real_reason_is_refused(client, worker, reason):
    client.force_login(user_with_role(Role.OFFICE))
    response = client.post(reveal_url("training.worker.id_number", worker), {"reason": reason})
    assert response.status_code == 400
    body = response.content.decode()
    assert full_id(worker) not in body
    assert "理由" in body
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()


def test_a_reveal_shows_the_number_once_and_is_audited_with_who_what_why_where(client, worker):
    office = user_with_role(Role.OFFICE)
    client.force_login(office)
    response = client.post(
        reveal_url("training.worker.id_number", worker),
        {"reason": "劳动者来电核对身份"},
        REMOTE_ADDR="10.20.30.40",
    )
    assert response.status_code == 200
    assert full_id(worker) in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="pii.reveal")
    assert event.actor == office
    assert event.reason == "劳动者来电核对身份"
    assert event.ip_address == "10.20.30.40"
    assert event.object_id == str(worker.pk)
    assert event.changes["field"] == "training.worker.id_number"
    # The audit row itself never holds the number.
    assert full_id(worker) not in str(event.changes) + event.reason + event.object_repr


def test_a_forged_or_tampered_token_is_a_404(client, worker):
    client.force_login(user_with_role(Role.OFFICE))
    good = reveal_token("training.worker.id_number", worker.pk)
    forged = signing.dumps({"k": "training.worker.id_number", "pk": str(worker.pk)}, salt="x")
    unknown_kind = signing.dumps({"k": "core.user.password", "pk": "1"}, salt=SALT)
    for token in (good[:-2] + "AA", forged, unknown_kind, "nonsense"):
        assert client.get(f"/reveal/{token}/").status_code == 404
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()


def test_a_record_outside_the_users_scope_is_a_404(client, worker):
    from training.models import Worker

    register_revealable(
        "test.scoped",
        label="测试",
        model="training.Worker",
        ciphertext_field="id_number_encrypted",
        roles={Role.OFFICE},
        queryset=lambda user: Worker.objects.exclude(pk=worker.pk),
    )
    try:
        client.force_login(user_with_role(Role.OFFICE))
        response = client.post(reveal_url("test.scoped", worker), {"reason": "越权尝试"})
        assert response.status_code == 404
    finally:
        from core import reveal

        reveal._REGISTRY.pop("test.scoped")


@pytest.mark.parametrize(("role", "shows"), [(Role.OFFICE, True), (Role.CLERK, False)])
def test_the_template_tag_offers_the_link_only_to_allowed_roles(worker, role, shows):
    request = RequestFactory().get("/")
    request.user = user_with_role(role)
    html = Template('{% load reveal %}{% reveal_url "training.worker.id_number" w %}').render(
        Context({"request": request, "w": worker})
    )
    assert html.startswith("/reveal/") is shows


def test_the_builtin_registrations_name_roles_that_exist():
    kinds = registry()
    assert {"training.worker.id_number", "training.institution.bank_account"} <= set(kinds)
    assert kinds["training.worker.id_number"].roles == {Role.OFFICE, Role.REVIEWER}


def test_the_worker_page_links_to_the_reveal_for_office_only(client, worker):
    from django.urls import reverse

    page = reverse("training:worker_detail", args=[worker.pk])
    client.force_login(user_with_role(Role.OFFICE))
    body = client.get(page).content.decode()
    assert 'id="reveal-id-number"' in body
    assert full_id(worker) not in body
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(page).content.decode()
    assert worker.id_number_masked in body
    assert 'id="reveal-id-number"' not in body


def test_the_institution_page_links_to_the_account_reveal_for_finance_roles(client, institution):
    from django.urls import reverse

    page = reverse("training:institution_detail", args=[institution.pk])
    client.force_login(user_with_role(Role.OFFICE))
    body = client.get(page).content.decode()
    assert 'id="reveal-bank-account"' in body
    assert ACCOUNT not in body
    client.force_login(user_with_role(Role.AUDITOR))
    assert 'id="reveal-bank-account"' not in client.get(page).content.decode()


def test_reveals_are_capped_per_person_per_day(client, worker, settings, time_machine):
    import datetime

    settings.REVEAL_DAILY_LIMIT = 3
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    office = user_with_role(Role.OFFICE)
    client.force_login(office)
    url = reveal_url("training.worker.id_number", worker)
    for _ in range(3):
        assert client.post(url, {"reason": "核对身份信息"}).status_code == 200
    refused = client.post(url, {"reason": "核对身份信息"})
    assert refused.status_code == 429
    body = refused.content.decode()
    assert "上限 3 次" in body
    assert full_id(worker) not in body
    assert AuditEvent.objects.filter(action="pii.reveal").count() == 3
    # Another person has their own allowance; 24 hours later the first has theirs back.
    other = user_with_role(Role.REVIEWER)
    client.force_login(other)
    assert client.post(url, {"reason": "审核补贴申请"}).status_code == 200
    time_machine.move_to(start + datetime.timedelta(hours=24, seconds=1), tick=False)
    client.force_login(office)
    assert client.post(url, {"reason": "核对身份信息"}).status_code == 404  # the link expired
    url = reveal_url("training.worker.id_number", worker)
    assert client.post(url, {"reason": "核对身份信息"}).status_code == 200
