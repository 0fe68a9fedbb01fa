"""Login throttling attacked: guessing one password, spraying many names, probing which names exist.

Figures come from settings (LOGIN_FAILURE_LIMIT=5, LOGIN_LOCKOUT_SECONDS=1800,
LOGIN_IP_FAILURE_LIMIT=20, LOGIN_IP_WINDOW_SECONDS=900); the tests read them, so they prove the
configured figure, whatever it is.
"""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from core.auth import login_unlock
from core.models import AuditEvent, LoginThrottle
from core.roles import Role
from core.tests.factories import PASSWORD, UserFactory, user_with_role

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


WRONG = "wrong-password-1"


def attempt(client, username, password=WRONG, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail(client, username, times, ip="10.0.0.1"):
    for _ in range(times):
        attempt(client, username, ip=ip)


@pytest.fixture
def alice(db):
    user = UserFactory(username="alice")
    user.save()  # the factory sets the password without saving it
    return user


def test_the_figures_are_the_plan_of_the_issue():
    assert settings.LOGIN_FAILURE_LIMIT == 5
    assert settings.LOGIN_LOCKOUT_SECONDS == 30 * 60
    assert settings.LOGIN_IP_FAILURE_LIMIT == 20
    assert settings.LOGIN_IP_WINDOW_SECONDS == 15 * 60


def test_the_right_password_still_works_after_limit_minus_one_failures(client, alice):
    fail(client, "alice", settings.LOGIN_FAILURE_LIMIT - 1)
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_limit_failures_lock_the_name_and_the_right_password_is_refused(client, alice):
    fail(client, "alice", settings.LOGIN_FAILURE_LIMIT)
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 429
    body = response.content.decode()
    assert "暂时锁定" in body
    assert "30 分钟" in body
    assert "_auth_user_id" not in client.session
    print(f"\nlocked after {settings.LOGIN_FAILURE_LIMIT} failures")  # noqa: T201 - the figure (pytest -s)


def test_the_admin_signs_in_through_the_site_login(client, alice):
    """The admin's own login page would skip the second factor and the audit: it redirects."""
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/admin/"
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_lock_is_enforced_in_the_backend_for_any_caller(alice):
    """Any authenticate() call obeys the lock, not only the login page."""
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.9")
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert authenticate(request, username="alice", password=WRONG) is None
    assert authenticate(request, username="alice", password=PASSWORD) is None


def test_the_lock_expires_by_itself_never_permanent(client, alice, time_machine):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    fail(client, "alice", settings.LOGIN_FAILURE_LIMIT)
    row = LoginThrottle.objects.get(scope="user", key="alice")
    assert row.locked_until == start + datetime.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)

    # One second before the end: still locked. At the end: open again.
    time_machine.move_to(row.locked_until - datetime.timedelta(seconds=1), tick=False)
    assert attempt(client, "alice", PASSWORD).status_code == 429
    time_machine.move_to(row.locked_until, tick=False)
    assert attempt(client, "alice", PASSWORD).status_code == 302


def test_success_resets_the_run_of_failures(client, alice):
    fail(client, "alice", settings.LOGIN_FAILURE_LIMIT - 1)
    assert attempt(client, "alice", PASSWORD).status_code == 302
    client.logout()
    fail(client, "alice", settings.LOGIN_FAILURE_LIMIT - 1)
    assert attempt(client, "alice", PASSWORD).status_code == 302


def test_a_lock_writes_one_audit_row_with_the_address(client, alice):
    fail(client, "alice", settings.LOGIN_FAILURE_LIMIT + 2, ip="10.9.8.7")
    locks = AuditEvent.objects.filter(action="auth.lock")
    assert locks.count() == 1
    event = locks.get()
    assert event.changes["key"] == "alice"
    assert event.ip_address == "10.9.8.7"
    # Every refused attempt that reached the password check is in the trail too.
    failed = AuditEvent.objects.filter(action="auth.login_failed").count()
    assert failed == settings.LOGIN_FAILURE_LIMIT


def test_no_user_enumeration_unknown_names_lock_exactly_like_real_ones(client, alice):
    real, unknown = [], []
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 1):
        real.append(attempt(client, "alice", ip="10.0.0.2"))
        unknown.append(attempt(client, "nobody-here", ip="10.0.0.3"))
    assert [r.status_code for r in real] == [r.status_code for r in unknown]
    assert real[-1].status_code == 429
    assert real[0].context["form"].errors == unknown[0].context["form"].errors
    assert real[-1].context["form"].errors == unknown[-1].context["form"].errors


def test_unknown_name_costs_one_password_hash_like_a_known_one(client, alice, monkeypatch):
    """Timing: Django's backend hashes the password for an unknown name too; count the hashes."""
    from django.contrib.auth.hashers import MD5PasswordHasher

    calls = []
    original = MD5PasswordHasher.encode

    def counting(self, password, salt):
        calls.append(password)
        return original(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)
    attempt(client, "alice", "wrong-1")
    known = len(calls)
    calls.clear()
    attempt(client, "nobody", "wrong-1")
    unknown = len(calls)
    calls.clear()
    UserFactory(username="gone", is_active=False).save()
    calls.clear()
    attempt(client, "gone", PASSWORD)
    inactive = len(calls)
    assert known == unknown == inactive == 1


def test_spraying_from_one_address_locks_the_address_across_names(client, alice):
    limit = settings.LOGIN_IP_FAILURE_LIMIT
    # Each name gets fewer failures than the name limit: only the address limit can stop this.
    per_name = settings.LOGIN_FAILURE_LIMIT - 1
    names = [f"spray{n}" for n in range(-(-limit // per_name))]
    sent = 0
    for name in names:
        for _ in range(per_name):
            if sent < limit:
                attempt(client, name, ip="203.0.113.5")
                sent += 1
    assert sent == limit
    # The next attempt from that address is refused even with alice's right password ...
    assert attempt(client, "alice", PASSWORD, ip="203.0.113.5").status_code == 429
    # ... while alice from another address still gets in.
    assert attempt(Client(), "alice", PASSWORD, ip="198.51.100.7").status_code == 302
    print(f"\naddress locked after {limit} failures across {len(names)} names")  # noqa: T201 - the figure (pytest -s)


def test_limit_minus_one_failures_from_an_address_do_not_lock_it(client, alice):
    limit = settings.LOGIN_IP_FAILURE_LIMIT
    for n in range(limit - 1):
        attempt(client, f"name{n}", ip="203.0.113.6")
    assert attempt(client, "alice", PASSWORD, ip="203.0.113.6").status_code == 302


def test_address_failures_older_than_the_window_are_forgotten(client, alice, time_machine):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT - 1):
        attempt(client, f"name{n}", ip="203.0.113.8")
    time_machine.move_to(
        start + datetime.timedelta(seconds=settings.LOGIN_IP_WINDOW_SECONDS), tick=False
    )
    attempt(client, "another", ip="203.0.113.8")
    assert attempt(client, "alice", PASSWORD, ip="203.0.113.8").status_code == 302


def test_the_office_unlocks_early_and_it_is_audited(client, alice, roles):
    fail(client, "alice", settings.LOGIN_FAILURE_LIMIT)
    office = user_with_role(Role.OFFICE)
    office_client = Client()
    office_client.force_login(office)
    page = office_client.get(reverse("core:lockout_list"))
    assert page.status_code == 200
    assert "alice" in page.content.decode()
    row = LoginThrottle.objects.get(scope="user", key="alice")

    empty = office_client.post(reverse("core:lockout_unlock", args=[row.pk]), {"reason": ""})
    assert empty.status_code == 400
    assert "请填写解除锁定的理由" in empty.content.decode()

    done = office_client.post(
        reverse("core:lockout_unlock", args=[row.pk]), {"reason": "本人电话确认"}
    )
    assert done.status_code == 302
    event = AuditEvent.objects.get(action="auth.unlock")
    assert event.actor == office
    assert event.reason == "本人电话确认"
    assert event.from_state == "locked"
    assert attempt(client, "alice", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 302),
        (Role.CLERK, 403),
        (Role.WORKER, 403),
        (Role.FINANCE, 403),
        (Role.AUDITOR, 403),
        (Role.OFFICE, 200),
    ],
)
def test_lock_page_permission_matrix(client, role, status):
    if role is not None:
        client.force_login(user_with_role(role))
    assert client.get(reverse("core:lockout_list")).status_code == status


def test_only_the_office_may_unlock(alice):
    row = LoginThrottle.objects.create(scope="user", key="alice", failures=5)
    with pytest.raises(PermissionDenied):
        login_unlock(throttle=row, reason="x", actor=user_with_role(Role.CLERK))


def test_unlock_view_refuses_a_clerk(client, alice):
    row = LoginThrottle.objects.create(scope="user", key="alice", failures=5)
    client.force_login(user_with_role(Role.CLERK))
    response = client.post(reverse("core:lockout_unlock", args=[row.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="auth.unlock").exists()


def test_session_key_is_rotated_at_login(client, alice):
    client.get(reverse("login"))
    client.session.save()  # an anonymous session exists before login (fixation attempt)
    before = client.session.session_key
    assert before
    assert attempt(client, "alice", PASSWORD).status_code == 302
    assert client.session.session_key != before


def test_a_real_login_and_logout_are_audited_once_each(client, alice):
    attempt(client, "alice", PASSWORD, ip="10.1.1.1")
    client.post(reverse("logout"))
    login = AuditEvent.objects.get(action="auth.login")
    logout = AuditEvent.objects.get(action="auth.logout")
    assert login.actor == alice == logout.actor
    assert login.ip_address == "10.1.1.1"


def test_password_validators_are_on():
    from django.contrib.auth.password_validation import get_default_password_validators
    from django.core.exceptions import ValidationError

    names = {type(v).__name__ for v in get_default_password_validators()}
    assert {
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
        "UserAttributeSimilarityValidator",
    } <= names
    from django.contrib.auth.password_validation import validate_password

    for weak in ("12345678", "password", "abc"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Xuchang-skills-2013!")


def test_a_name_that_is_no_account_never_reaches_the_audit_trail(client, alice):
    """People type their password into the name field; the append-only trail must not keep it."""
    typed = "MySecret-Passw0rd"
    fail(client, typed, settings.LOGIN_FAILURE_LIMIT)
    events = AuditEvent.objects.filter(action__in=["auth.login_failed", "auth.lock"])
    assert events.count() == settings.LOGIN_FAILURE_LIMIT + 1
    for event in events:
        stored = f"{event.changes} {event.object_repr} {event.reason}".casefold()
        assert typed.casefold() not in stored
    # A real account's failures do name it, for the office.
    attempt(client, "alice")
    assert AuditEvent.objects.filter(action="auth.login_failed").first().changes == {
        "username": "alice"
    }


@pytest.mark.parametrize(
    ("forwarded", "remote", "expected"),
    [
        ("203.0.113.50", "172.18.0.5", "203.0.113.50"),  # nginx appended the client
        ("6.6.6.6, 203.0.113.50", "172.18.0.5", "203.0.113.50"),  # spoofed entry on the left
        ("", "172.18.0.5", "172.18.0.5"),
        ("not-an-address", "172.18.0.5", None),
    ],
)
def test_the_client_address_is_the_one_our_proxy_added(settings, forwarded, remote, expected):
    from django.test import RequestFactory

    from core.middleware import request_address

    settings.USE_X_FORWARDED_FOR = True
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    if not forwarded:
        del request.META["HTTP_X_FORWARDED_FOR"]
    assert request_address(request) == expected


def test_a_spoofed_forwarded_for_cannot_dodge_the_address_limit(client, alice, settings):
    settings.USE_X_FORWARDED_FOR = True
    for n in range(settings.LOGIN_IP_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": f"spray{n // 4}", "password": WRONG},
            HTTP_X_FORWARDED_FOR=f"198.18.0.{n}, 203.0.113.77",
        )
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.18.1.1, 203.0.113.77",
    )
    assert response.status_code == 429


def test_stale_counters_are_purged_and_locks_in_force_and_recent_ones_kept(
    client, alice, time_machine
):
    """The daily job deletes counters with no lock in force and no failure within the retention;
    a lock in force and a recent failure survive it; the stale count no longer adds up."""
    from core.tasks import purge_login_throttles

    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    fail(client, "alice", settings.LOGIN_FAILURE_LIMIT - 1, ip="10.0.0.1")  # stale by tomorrow
    retention = datetime.timedelta(seconds=settings.LOGIN_THROTTLE_RETENTION_SECONDS)
    time_machine.move_to(start + retention, tick=False)
    fail(client, "mallory", settings.LOGIN_FAILURE_LIMIT, ip="10.0.0.2")  # locked now
    time_machine.move_to(start + retention + datetime.timedelta(seconds=1), tick=False)

    assert purge_login_throttles.delay().get() == 2  # alice's name and 10.0.0.1
    left = set(LoginThrottle.objects.values_list("scope", "key"))
    assert left == {("user", "mallory"), ("ip", "10.0.0.2")}
    row = AuditEvent.objects.get(action="auth.throttle_purge")
    assert row.changes["deleted"] == 2
    # Alice's four old failures are gone: one more does not lock her.
    fail(client, "alice", 1, ip="10.0.0.3")
    assert attempt(client, "alice", PASSWORD, ip="10.0.0.3").status_code == 302
    assert purge_login_throttles.delay().get() == 0
    assert AuditEvent.objects.filter(action="auth.throttle_purge").count() == 1
