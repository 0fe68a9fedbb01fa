"""Sessions attacked: a staff terminal left open, a stolen cookie kept for days, a sacked user.

Figures from settings: SESSION_IDLE_TIMEOUT_SECONDS=1800 (staff), SESSION_ABSOLUTE_TIMEOUT_SECONDS
=43200 (everyone), SESSION_ACTIVITY_RESOLUTION_SECONDS=60.
"""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from core.auth import user_deactivate
from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
IDLE = settings.SESSION_IDLE_TIMEOUT_SECONDS
ABSOLUTE = settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS


def later(seconds):
    return START + datetime.timedelta(seconds=seconds)


def signed_in(client):
    return "_auth_user_id" in client.session


def home(client):
    # The healthz page is public and cheap: it shows whether the session survived the request.
    return client.get(reverse("core:healthz"))


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def test_the_figures():
    assert IDLE == 30 * 60
    assert ABSOLUTE == 12 * 60 * 60


def test_staff_idle_just_under_the_limit_stays_signed_in(client, frozen):
    client.force_login(user_with_role(Role.CLERK))
    frozen.move_to(later(IDLE - 1), tick=False)
    home(client)
    assert signed_in(client)


def test_staff_idle_for_the_limit_is_signed_out_with_a_message(client, frozen):
    client.force_login(user_with_role(Role.OFFICE))
    frozen.move_to(later(IDLE), tick=False)
    response = client.get("/", follow=True)
    assert not signed_in(client)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "登录已超时" in response.content.decode()


def test_activity_keeps_a_staff_session_alive(client, frozen):
    client.force_login(user_with_role(Role.REVIEWER))
    for step in range(1, 5):  # four requests, each 20 minutes apart: never idle 30 minutes
        frozen.move_to(later(step * 20 * 60), tick=False)
        home(client)
        assert signed_in(client), step


def test_background_polling_does_not_keep_an_idle_staff_session_alive(client, frozen):
    """The export page polls every 2 s; an office computer left on it still times out. The same
    requests without the header (a person clicking) would keep it alive."""
    client.force_login(user_with_role(Role.OFFICE))
    for minute in range(1, 30):
        frozen.move_to(later(minute * 60), tick=False)
        client.get(reverse("core:healthz"), headers={"X-Background-Poll": "1"})
        assert signed_in(client), minute
    frozen.move_to(later(IDLE), tick=False)
    client.get(reverse("core:healthz"), headers={"X-Background-Poll": "1"})
    assert not signed_in(client)


def test_the_export_progress_poll_sends_the_background_header(client, roles):
    from core.models import ExportJob

    office = user_with_role(Role.OFFICE)
    job = ExportJob.objects.create(kind="audit_workbook", requested_by=office)
    client.force_login(office)
    url = reverse("dashboard:export_job_detail", args=[job.pk])
    body = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert """hx-headers='{"X-Background-Poll": "1"}'""" in body


def test_a_worker_is_not_signed_out_for_idling(client, frozen):
    client.force_login(user_with_role(Role.WORKER))
    frozen.move_to(later(IDLE * 4), tick=False)
    home(client)
    assert signed_in(client)


@pytest.mark.parametrize("role", [Role.WORKER, Role.OFFICE])
def test_absolute_limit_ends_every_session_however_active(client, frozen, role):
    client.force_login(user_with_role(role))
    t = 0
    while t + 20 * 60 < ABSOLUTE:
        t += 20 * 60
        frozen.move_to(later(t), tick=False)
        home(client)
        assert signed_in(client), t
    frozen.move_to(later(ABSOLUTE), tick=False)
    response = client.get("/", follow=True)
    assert not signed_in(client)
    assert "最长时限" in response.content.decode()


def test_a_request_within_the_resolution_does_not_rewrite_the_session(client, frozen):
    client.force_login(user_with_role(Role.CLERK))
    home(client)
    frozen.move_to(later(settings.SESSION_ACTIVITY_RESOLUTION_SECONDS - 1), tick=False)
    before = Session.objects.get().session_data
    home(client)
    assert Session.objects.get().session_data == before


def test_logout_ends_the_session_on_the_server(client):
    user = user_with_role(Role.CLERK)
    client.force_login(user)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    # A copy of the old cookie is worth nothing.
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = key
    assert thief.get("/").status_code == 302


def test_logout_by_get_is_refused(client):
    client.force_login(user_with_role(Role.CLERK))
    assert client.get(reverse("logout")).status_code == 405
    assert signed_in(client)


def test_deactivation_ends_every_session_of_that_user_only(roles):
    office = user_with_role(Role.OFFICE)
    target = user_with_role(Role.CLERK)
    bystander = user_with_role(Role.CLERK)
    laptop, phone, other = Client(), Client(), Client()
    laptop.force_login(target)
    phone.force_login(target)
    other.force_login(bystander)
    assert Session.objects.count() == 3

    user_deactivate(user=target, reason="调离岗位", actor=office)

    assert Session.objects.count() == 1
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert other.get("/").status_code == 200
    event = AuditEvent.objects.get(action="user.deactivate")
    assert event.changes == {"sessions_ended": 2}
    assert event.reason == "调离岗位"
    target.refresh_from_db()
    assert not target.is_active
    # And the password no longer opens a session.
    response = Client().post(reverse("login"), {"username": target.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_only_the_office_may_deactivate():
    target = user_with_role(Role.CLERK)
    with pytest.raises(PermissionDenied):
        user_deactivate(user=target, reason="x", actor=user_with_role(Role.CLERK))
    target.refresh_from_db()
    assert target.is_active


def test_session_cookie_flags():
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_deactivation_outside_the_service_still_ends_access_at_the_next_request(client):
    """Belt and braces: an account switched off elsewhere (the admin's checkbox) is refused by the
    backend on its very next request even before its sessions are deleted."""
    user = user_with_role(Role.CLERK)
    client.force_login(user)
    assert client.get("/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/").status_code == 302
