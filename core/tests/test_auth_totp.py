"""The optional second factor (RFC 6238) for office and finance: the algorithm against the RFC's
own test vectors, enrolment, the two-step login, replay, guessing and the office's reset."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core import auth, crypto
from core.models import AuditEvent, LoginThrottle, TotpDevice
from core.roles import Role
from core.tests.factories import PASSWORD, user_with_role

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
# RFC 6238 appendix B: the SHA-1 seed is the ASCII "12345678901234567890".
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(
    ("unix", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_rfc_6238_test_vectors(unix, code):
    assert auth.hotp(RFC_SECRET, unix // 30, digits=8) == code


def test_a_code_is_accepted_one_step_either_side_and_not_two():
    at = datetime.datetime.fromtimestamp(1111111111, tz=datetime.UTC)
    now = auth.totp_counter(at)
    for step, accepted in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
        code = auth.hotp(RFC_SECRET, now + step)
        assert (auth.totp_match(RFC_SECRET, code, at=at) is not None) is accepted, step
    assert auth.totp_match(RFC_SECRET, auth.hotp(RFC_SECRET, now), at=at, after=now) is None


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def finance(db):
    return user_with_role(Role.FINANCE, username="cz")


def secret_of(user):
    return crypto.decrypt(TotpDevice.objects.get(user=user).secret_encrypted)


def code_at(secret, moment, step=0):
    return auth.hotp(secret, auth.totp_counter(moment) + step)


def enrol(client, user, moment):
    client.force_login(user)
    page = client.get(reverse("totp_enrol"))
    assert page.status_code == 200
    secret = secret_of(user)
    assert secret[:4] in page.content.decode()
    assert "otpauth://totp/" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    done = client.post(reverse("totp_enrol"), {"code": code_at(secret, moment)})
    assert done.status_code == 302
    client.logout()
    return secret


def test_enrolment_needs_a_right_code_and_is_audited(client, finance, frozen):
    client.force_login(finance)
    client.get(reverse("totp_enrol"))
    secret = secret_of(finance)
    wrong = client.post(reverse("totp_enrol"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "验证码不正确" in wrong.content.decode()
    assert TotpDevice.objects.get(user=finance).confirmed_at is None
    assert client.post(reverse("totp_enrol"), {"code": code_at(secret, START)}).status_code == 302
    assert TotpDevice.objects.get(user=finance).confirmed_at is not None
    assert AuditEvent.objects.filter(action="auth.totp_enable", actor=finance).count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), (Role.CLERK, 403), (Role.WORKER, 403), (Role.OFFICE, 200), (Role.FINANCE, 200)],
)
def test_enrolment_page_permission_matrix(client, role, status):
    if role is not None:
        client.force_login(user_with_role(role))
    assert client.get(reverse("totp_enrol")).status_code == status


def login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_with_a_device_the_password_alone_does_not_sign_in(client, finance, frozen):
    secret = enrol(client, finance, START)
    # The enrolment code's step is used up: sign in one step later.
    moment = START + datetime.timedelta(seconds=30)
    frozen.move_to(moment, tick=False)
    response = login(client, "cz")
    assert response.status_code == 302
    assert response["Location"] == reverse("login_verify")
    assert "_auth_user_id" not in client.session
    # The pages stay shut until the code is given.
    assert client.get("/").status_code == 302

    before = client.session.session_key
    assert client.post(reverse("login_verify"), {"code": code_at(secret, START)}).status_code == 400
    done = client.post(reverse("login_verify"), {"code": code_at(secret, moment, step=1)})
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(finance.pk)
    assert client.session.session_key != before
    assert AuditEvent.objects.filter(action="auth.login", actor=finance).count() == 1


def test_a_used_code_cannot_be_replayed(client, finance, frozen):
    secret = enrol(client, finance, START)
    frozen.move_to(START + datetime.timedelta(seconds=90), tick=False)
    code = code_at(secret, START + datetime.timedelta(seconds=90))
    login(client, "cz")
    assert client.post(reverse("login_verify"), {"code": code}).status_code == 302
    client.logout()
    login(client, "cz")
    replay = client.post(reverse("login_verify"), {"code": code})
    assert replay.status_code == 400
    assert "_auth_user_id" not in client.session


def test_guessing_codes_locks_the_name_and_a_known_password_does_not_reset_the_count(
    client, finance, frozen
):
    enrol(client, finance, START)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert login(client, "cz").status_code == 302  # the attacker knows the password
        client.post(reverse("login_verify"), {"code": "123456"})
    assert LoginThrottle.objects.get(scope="user", key="cz").locked_until is not None
    assert login(client, "cz").status_code == 429


def test_the_code_step_expires(client, finance, frozen):
    secret = enrol(client, finance, START)
    login(client, "cz")
    later = START + datetime.timedelta(seconds=settings.TOTP_PENDING_SECONDS)
    frozen.move_to(later, tick=False)
    response = client.post(reverse("login_verify"), {"code": code_at(secret, later)})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_verify_without_a_password_step_goes_back_to_login(client):
    response = client.post(reverse("login_verify"), {"code": "123456"})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")


def test_without_a_device_login_is_one_step(client, finance):
    assert login(client, "cz").status_code == 302
    assert client.session["_auth_user_id"] == str(finance.pk)


def test_the_office_resets_a_lost_device_and_it_is_audited(client, finance, frozen):
    enrol(client, finance, START)
    office = user_with_role(Role.OFFICE)
    with pytest.raises(PermissionDenied):
        auth.totp_reset(user=finance, reason="x", actor=user_with_role(Role.CLERK))
    auth.totp_reset(user=finance, reason="手机丢失", actor=office)
    assert not TotpDevice.objects.filter(user=finance).exists()
    assert AuditEvent.objects.get(action="auth.totp_reset").reason == "手机丢失"
    assert login(client, "cz").status_code == 302
    assert client.session["_auth_user_id"] == str(finance.pk)


def test_the_secret_is_stored_encrypted(client, finance, frozen):
    secret = enrol(client, finance, START)
    stored = TotpDevice.objects.get(user=finance).secret_encrypted
    assert secret not in stored
