"""Signing in and staying signed in: login throttling, session timeouts, ending sessions.

Figures come from settings (``LOGIN_*`` and ``SESSION_*_TIMEOUT_SECONDS``), never from here.

Throttling
    * per typed user name: ``LOGIN_FAILURE_LIMIT`` consecutive failures lock that name for
      ``LOGIN_LOCKOUT_SECONDS``; a successful login resets the count. Names that are not accounts
      are counted and locked the same way, so a lock tells nothing about whether a name exists.
    * per client address (password spraying): ``LOGIN_IP_FAILURE_LIMIT`` failures across any
      names within ``LOGIN_IP_WINDOW_SECONDS`` lock the address for ``LOGIN_IP_LOCKOUT_SECONDS``.
    * every lock has an end time and expires by itself; the office may lift one early
      (:func:`login_unlock`, audited).
    The check runs in the authentication backend, so the site's login page and the admin's both
    obey it.

Sessions
    At login the session is stamped with the login time and whether the idle limit applies (staff:
    every role except a worker-only account). :class:`core.middleware.SessionTimeoutMiddleware`
    ends a session idle for ``SESSION_IDLE_TIMEOUT_SECONDS`` (staff) or older than
    ``SESSION_ABSOLUTE_TIMEOUT_SECONDS`` (everyone).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import LoginThrottle
from core.roles import Role

# Session keys (prefixed so they never collide with an app's own keys).
SESSION_LOGIN_AT = "_xc_login_at"
SESSION_SEEN_AT = "_xc_seen_at"
SESSION_IDLE_LIMITED = "_xc_idle_limited"


def _setting(name: str) -> int:
    return int(getattr(settings, name))


def _now() -> datetime.datetime:
    # Wall-clock time, not core.clock: the demo clock must not stretch or shorten a lock.
    return timezone.now()


def normalize_username(username: str) -> str:
    return (username or "").strip().casefold()[:150]


UNKNOWN_NAME = "（非系统账号）"


def _is_account(name: str) -> bool:
    return get_user_model().objects.filter(username__iexact=name).exists()


# ------------------------------------------------------------------------------
# Throttling
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lock:
    scope: str
    until: datetime.datetime

    @property
    def minutes_left(self) -> int:
        seconds = (self.until - _now()).total_seconds()
        return max(1, int(-(-seconds // 60)))

    @property
    def message(self) -> str:
        return _(
            "登录失败次数过多，该账号或来源地址已被暂时锁定，请在 %(minutes)d 分钟后再试；"
            "如需提前解除，请联系领导小组办公室。"
        ) % {"minutes": self.minutes_left}


def login_lock_for(username: str, ip: str | None) -> Lock | None:
    """The lock that currently refuses this name or address, if any (the later-ending one)."""
    now = _now()
    query = Q(scope=LoginThrottle.Scope.USER, key=normalize_username(username))
    if ip:
        query |= Q(scope=LoginThrottle.Scope.IP, key=ip)
    row = (
        LoginThrottle.objects.filter(query, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("scope", "locked_until")
        .first()
    )
    return Lock(scope=row[0], until=row[1]) if row else None


def _locked_row(scope: str, key: str) -> LoginThrottle:
    row, _created = LoginThrottle.objects.get_or_create(scope=scope, key=key)
    return LoginThrottle.objects.select_for_update().get(pk=row.pk)


@transaction.atomic
def login_failure_record(*, username: str, ip: str | None) -> Lock | None:
    """Count one failed login for the name and the address; start a lock when a limit is
    reached (audited). Rows are locked, so parallel attempts cannot lose a count."""
    from core.services import audit_record

    now = _now()
    started: Lock | None = None
    name = normalize_username(username)
    # What the audit trail may keep of the typed name: a real account's name, never a name that
    # is no account (people type their password into the name field; the trail is for ever).
    shown = name if _is_account(name) else UNKNOWN_NAME

    row = _locked_row(LoginThrottle.Scope.USER, name)
    if row.locked_until is not None and row.locked_until <= now:
        row.failures = 0  # an expired lock starts a fresh count
        row.locked_until = None
    if row.failures == 0:
        row.window_started_at = now
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= _setting("LOGIN_FAILURE_LIMIT") and row.locked_until is None:
        row.locked_until = now + datetime.timedelta(seconds=_setting("LOGIN_LOCKOUT_SECONDS"))
        started = Lock(scope=row.scope, until=row.locked_until)
    row.save()
    if started is not None:
        audit_record(
            actor=None,
            action="auth.lock",
            obj=row if shown != UNKNOWN_NAME else None,
            to_state="locked",
            changes={
                "scope": row.scope,
                "key": shown,
                "throttle_id": row.pk,
                "until": row.locked_until.isoformat(),
            },
            reason=_("连续 %(n)d 次登录失败") % {"n": row.failures},
        )

    if ip:
        row = _locked_row(LoginThrottle.Scope.IP, ip)
        window = datetime.timedelta(seconds=_setting("LOGIN_IP_WINDOW_SECONDS"))
        expired_lock = row.locked_until is not None and row.locked_until <= now
        if expired_lock or row.window_started_at is None or row.window_started_at + window <= now:
            row.failures = 0
            row.window_started_at = now
            row.locked_until = None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= _setting("LOGIN_IP_FAILURE_LIMIT") and row.locked_until is None:
            row.locked_until = now + datetime.timedelta(
                seconds=_setting("LOGIN_IP_LOCKOUT_SECONDS")
            )
            started = started or Lock(scope=row.scope, until=row.locked_until)
            row.save()
            audit_record(
                actor=None,
                action="auth.lock",
                obj=row,
                to_state="locked",
                changes={"scope": row.scope, "key": ip, "until": row.locked_until.isoformat()},
                reason=_("%(minutes)d 分钟内 %(n)d 次登录失败")
                % {"minutes": _setting("LOGIN_IP_WINDOW_SECONDS") // 60, "n": row.failures},
            )
        else:
            row.save()

    audit_record(
        actor=None,
        action="auth.login_failed",
        changes={"username": shown},
        to_state="failed",
    )
    return started


def login_success_record(*, username: str) -> None:
    """A successful login ends the name's run of failures (the address count keeps its window:
    one good password must not reset a spraying budget)."""
    LoginThrottle.objects.filter(
        scope=LoginThrottle.Scope.USER, key=normalize_username(username)
    ).update(failures=0, locked_until=None, window_started_at=None)


@transaction.atomic
def login_unlock(*, throttle: LoginThrottle, reason: str, actor) -> LoginThrottle:
    """The office lifts a lock before it expires. Audited; refuses anyone but the office."""
    from core.services import audit_record

    if not (actor.is_superuser or actor.has_role(Role.OFFICE)):
        raise PermissionDenied
    row = LoginThrottle.objects.select_for_update().get(pk=throttle.pk)
    was_locked = row.locked_until is not None and row.locked_until > _now()
    row.failures = 0
    row.locked_until = None
    row.window_started_at = None
    row.save()
    shown = row.key
    if row.scope == LoginThrottle.Scope.USER and not _is_account(row.key):
        shown = UNKNOWN_NAME
    audit_record(
        actor=actor,
        action="auth.unlock",
        obj=row if shown != UNKNOWN_NAME else None,
        from_state="locked" if was_locked else "open",
        to_state="open",
        changes={"scope": row.scope, "key": shown, "throttle_id": row.pk},
        reason=reason,
    )
    return row


@transaction.atomic
def login_throttles_purge() -> int:
    """Delete the failure counters nobody needs any more (beat: daily): rows with no lock in
    force whose last failure is older than ``LOGIN_THROTTLE_RETENTION_SECONDS``. Without it the
    table keeps one row per name ever mistyped and per address ever seen, and a name's count of
    failures, which only a success resets, would add up over months into a lock. One audit row
    with the count when anything was deleted."""
    from core.services import audit_record

    now = _now()
    cutoff = now - datetime.timedelta(seconds=_setting("LOGIN_THROTTLE_RETENTION_SECONDS"))
    stale = LoginThrottle.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        Q(last_failure_at__isnull=True) | Q(last_failure_at__lt=cutoff),
    )
    deleted, _by_model = stale.delete()
    if deleted:
        audit_record(
            actor=None,
            action="auth.throttle_purge",
            changes={"deleted": deleted, "before": cutoff.isoformat()},
            to_state="purged",
        )
    return deleted


def active_locks():
    """Locks in force now, for the office's page."""
    return LoginThrottle.objects.filter(locked_until__gt=_now()).order_by("locked_until")


class ThrottledModelBackend(ModelBackend):
    """Django's model backend behind the throttle. A refused attempt never reaches the password
    check; an unknown name still costs one password hash (ModelBackend does that), so timing does
    not tell known names from unknown ones."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        from core.middleware import request_address

        ip = request_address(request) if request is not None else None
        if login_lock_for(username, ip) is not None:
            # Django's authenticate() turns this into "no user" and stops trying other backends.
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(username=username, ip=ip)
        elif not totp_required(user):
            # With a second factor the run of failures ends only when the code is right too, or
            # re-entering a known password would reset the count before every guessed code.
            login_success_record(username=username)
        return user


# ------------------------------------------------------------------------------
# Sessions
# ------------------------------------------------------------------------------
def idle_limit_applies(user) -> bool:
    """Staff sessions end after idling; a worker-only account (a resident on a phone) does not."""
    return frozenset(user.role_names) != frozenset({Role.WORKER.value})


@receiver(user_logged_in, dispatch_uid="core.auth.stamp_session")
def stamp_session(sender, request, user, **kwargs):
    """Stamp the login time on the fresh session (login() has already rotated its key)."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(_now().timestamp())
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN_AT] = now
    request.session[SESSION_IDLE_LIMITED] = idle_limit_applies(user)


def session_expired(session, *, now: int) -> str | None:
    """Why this session must end now ("absolute" or "idle"), or None. A clock that went back
    (never in production, only in tests that travel in time) counts as no time passed."""
    login_at = session.get(SESSION_LOGIN_AT)
    if login_at is None:
        return None
    if now - int(login_at) >= _setting("SESSION_ABSOLUTE_TIMEOUT_SECONDS"):
        return "absolute"
    seen_at = int(session.get(SESSION_SEEN_AT, login_at))
    if session.get(SESSION_IDLE_LIMITED, True) and now - seen_at >= _setting(
        "SESSION_IDLE_TIMEOUT_SECONDS"
    ):
        return "idle"
    return None


def sessions_end_for(user) -> int:
    """Delete every stored session of ``user`` (database session backend). Returns how many."""
    user_id = str(user.pk)
    doomed = []
    for session in Session.objects.filter(expire_date__gt=_now()).iterator(chunk_size=500):
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) == user_id:
            doomed.append(session.session_key)
    if doomed:
        Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


@transaction.atomic
def user_deactivate(*, user, reason: str, actor):
    """Switch an account off and end all its sessions at once. Office only; audited."""
    from core.services import audit_record

    if actor is not None and not (actor.is_superuser or actor.has_role(Role.OFFICE)):
        raise PermissionDenied
    User = get_user_model()
    locked = User.objects.select_for_update().get(pk=user.pk)
    was_active = locked.is_active
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    ended = sessions_end_for(locked)
    audit_record(
        actor=actor,
        action="user.deactivate",
        obj=locked,
        from_state="active" if was_active else "inactive",
        to_state="inactive",
        changes={"sessions_ended": ended},
        reason=reason,
    )
    return locked


def login_audit(*, user) -> None:
    """One audit row per interactive login (the login page, not test helpers)."""
    from core.services import audit_record

    audit_record(actor=user, action="auth.login", obj=user, to_state="signed_in")


def logout_audit(*, user) -> None:
    from core.services import audit_record

    audit_record(actor=user, action="auth.logout", obj=user, to_state="signed_out")


# ------------------------------------------------------------------------------
# Second factor: time-based one-time codes (RFC 6238), optional for office and finance
# ------------------------------------------------------------------------------
TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
SESSION_PENDING_USER = "_xc_2fa_user"
SESSION_PENDING_BACKEND = "_xc_2fa_backend"
SESSION_PENDING_AT = "_xc_2fa_at"


def totp_new_secret() -> str:
    import base64
    import secrets

    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _secret_bytes(secret_b32: str) -> bytes:
    import base64

    padded = secret_b32.upper() + "=" * (-len(secret_b32) % 8)
    return base64.b32decode(padded)


def hotp(secret_b32: str, counter: int, digits: int = TOTP_DIGITS) -> str:
    """RFC 4226: HMAC-SHA1 of the counter, dynamically truncated to ``digits`` decimal digits."""
    import hashlib
    import hmac
    import struct

    digest = hmac.new(_secret_bytes(secret_b32), struct.pack(">Q", counter), hashlib.sha1)
    mac = digest.digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def totp_counter(at: datetime.datetime) -> int:
    return int(at.timestamp()) // TOTP_STEP_SECONDS


def totp_match(secret_b32: str, code: str, *, at: datetime.datetime, after: int = 0) -> int | None:
    """The time step whose code is ``code`` (now, one step before or after, for clock drift),
    provided it is later than ``after`` (a used step is never accepted again); else None."""
    import hmac

    code = (code or "").strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    now = totp_counter(at)
    for counter in (now - 1, now, now + 1):
        if counter > after and hmac.compare_digest(hotp(secret_b32, counter), code):
            return counter
    return None


def totp_uri(secret_b32: str, username: str) -> str:
    from urllib.parse import quote

    issuer = "许昌技能振兴"
    label = quote(f"{issuer}:{username}")
    return (
        f"otpauth://totp/{label}?secret={secret_b32}&issuer={quote(issuer)}"
        f"&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECONDS}"
    )


def totp_allowed(user) -> bool:
    roles = {Role(code) for code in getattr(settings, "TOTP_ROLES", ())}
    return bool(user.is_authenticated and (user.is_superuser or user.has_role(*roles)))


def totp_required(user) -> bool:
    """Whether this account must give a code after its password (a confirmed device)."""
    from core.models import TotpDevice

    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


@transaction.atomic
def totp_enrol_start(*, user):
    """The user's device, created unconfirmed with a fresh secret on first call. The same
    secret is shown until confirmed; a confirmed device is kept as it is (turning it off is the
    office's :func:`totp_reset`)."""
    from core import crypto
    from core.models import TotpDevice

    if not totp_allowed(user):
        raise PermissionDenied
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None:
        device = TotpDevice.objects.create(
            user=user, secret_encrypted=crypto.encrypt(totp_new_secret())
        )
    return device


@transaction.atomic
def totp_enrol_confirm(*, user, code: str) -> bool:
    """Confirm the pending device with a first code; audited. False when the code is wrong."""
    from core import crypto
    from core.models import TotpDevice
    from core.services import audit_record

    if not totp_allowed(user):
        raise PermissionDenied
    device = TotpDevice.objects.select_for_update().get(user=user)
    if device.confirmed_at is not None:
        return True
    counter = totp_match(crypto.decrypt(device.secret_encrypted), code, at=_now())
    if counter is None:
        return False
    device.confirmed_at = _now()
    device.last_counter = counter
    device.save()
    audit_record(actor=user, action="auth.totp_enable", obj=user, to_state="totp_on")
    return True


def totp_check(*, user, code: str, ip: str | None) -> bool:
    """Check a sign-in code (no replay); a wrong one counts as a failed login for the name."""
    from core import crypto
    from core.models import TotpDevice

    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().get(user=user, confirmed_at__isnull=False)
        counter = totp_match(
            crypto.decrypt(device.secret_encrypted), code, at=_now(), after=device.last_counter
        )
        if counter is not None:
            device.last_counter = counter
            device.save(update_fields=["last_counter", "updated_at"])
    if counter is None:
        login_failure_record(username=user.get_username(), ip=ip)
        return False
    login_success_record(username=user.get_username())
    return True


@transaction.atomic
def totp_reset(*, user, reason: str, actor) -> None:
    """The office removes a lost authenticator; the person enrols again. Audited."""
    from core.models import TotpDevice
    from core.services import audit_record

    if not (actor.is_superuser or actor.has_role(Role.OFFICE)):
        raise PermissionDenied
    deleted, _rows = TotpDevice.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action="auth.totp_reset",
        obj=user,
        from_state="totp_on" if deleted else "totp_off",
        to_state="totp_off",
        reason=reason,
    )
