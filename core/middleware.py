"""Request context that services need but should not take as an argument (the client's address),
and the session timeouts (rules in core.auth)."""

from contextvars import ContextVar

from django.conf import settings

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def request_address(request) -> str | None:
    """The client's address. Behind nginx (``USE_X_FORWARDED_FOR``) it is the entry our proxy
    appended to X-Forwarded-For, counted from the right (``TRUSTED_PROXY_COUNT`` proxies of ours):
    the left-hand entries are whatever the client sent, and trusting them would let an attacker
    pick a fresh address for every login attempt and write any address into the audit trail."""
    if getattr(settings, "USE_X_FORWARDED_FOR", False):
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        proxies = max(1, int(getattr(settings, "TRUSTED_PROXY_COUNT", 1)))
        if len(forwarded) >= proxies:
            return _valid_ip(forwarded[-proxies])
    return _valid_ip(request.META.get("REMOTE_ADDR"))


def _valid_ip(value: str | None) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(request_address(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)


class SessionTimeoutMiddleware:
    """Ends a signed-in session that has idled too long (staff) or lived too long (everyone).

    The request then goes on as anonymous, so a protected page sends the person to the login page
    with a message, and a public page still works. The last-seen stamp is written at most once per
    ``SESSION_ACTIVITY_RESOLUTION_SECONDS``, so most requests do not rewrite the session.
    A page's own background polling (the export progress, every 2 s) sends ``BACKGROUND_HEADER``
    and does not count as activity: an unattended screen left polling still times out. (A client
    that sends the header only shortens its own session.)
    Place after AuthenticationMiddleware and MessageMiddleware.
    """

    BACKGROUND_HEADER = "X-Background-Poll"

    def __init__(self, get_response):
        from core import auth  # registers the login stamp; imported here to avoid a cycle

        self.auth = auth
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request) -> None:
        from django.contrib import messages
        from django.contrib.auth import logout
        from django.utils import timezone

        auth = self.auth
        session = request.session
        now = int(timezone.now().timestamp())
        if auth.SESSION_LOGIN_AT not in session:
            # A session from before this rule (or made without login()): start counting now.
            session[auth.SESSION_LOGIN_AT] = now
            session[auth.SESSION_SEEN_AT] = now
            session[auth.SESSION_IDLE_LIMITED] = auth.idle_limit_applies(request.user)
            return
        why = auth.session_expired(session, now=now)
        if why is not None:
            logout(request)
            messages.info(
                request,
                "您已长时间未操作，登录已超时，请重新登录。"
                if why == "idle"
                else "本次登录已超过最长时限，请重新登录。",
            )
            return
        if request.headers.get(self.BACKGROUND_HEADER) == "1":
            return
        seen_at = int(session.get(auth.SESSION_SEEN_AT, 0))
        if now - seen_at >= int(settings.SESSION_ACTIVITY_RESOLUTION_SECONDS):
            session[auth.SESSION_SEEN_AT] = now


class PrivatePagesMiddleware:
    """Pages for a signed-in person hold personal data: no shared cache or back button on a
    shared office computer should keep them (``Cache-Control: private, no-store`` unless the view
    set its own). Every response also states that the site uses no camera, microphone or
    location (Permissions-Policy)."""

    PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "private, no-store"
        response.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        return response
