from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import auth as core_auth
from core import reveal as core_reveal
from core.decorators import public, role_required
from core.errors import RuleViolation
from core.forms import LoginForm, RevealForm, TotpCodeForm, UnlockForm
from core.middleware import request_address
from core.models import LoginThrottle
from core.roles import Role


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_status() -> str:
    if not settings.CELERY_BROKER_URL:
        return "eager"
    from xuchang_skills.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        return "down"


@public
@never_cache
@require_GET
def healthz(request):
    """Liveness for the load balancer: 503 when the database is down (nothing works without it);
    a broker outage is reported but still 200, because requests are served and work is kept."""
    database = _database_ok()
    broker = _broker_status()
    status = 200 if database else 503
    return JsonResponse(
        {
            "status": "ok" if database else "down",
            "database": "ok" if database else "down",
            "broker": broker,
        },
        status=status,
    )


# ------------------------------------------------------------------------------
# Login and logout
# ------------------------------------------------------------------------------
class LoginView(auth_views.LoginView):
    """Django's login (it rotates the session key) behind the throttle in core.auth. A refused
    attempt answers 200 with one message whether or not the name exists; a locked name or address
    answers 429 with the lock message (names that are not accounts lock the same way)."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    dispatch.is_public = True  # as_view() copies this onto the view function

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(form, "lock", None) is not None:
            response.status_code = 429
        return response

    def form_valid(self, form):
        user = form.get_user()
        if core_auth.totp_required(user):
            # Password right; the session is not signed in until the code is right too.
            self.request.session[core_auth.SESSION_PENDING_USER] = user.pk
            self.request.session[core_auth.SESSION_PENDING_BACKEND] = user.backend
            self.request.session[core_auth.SESSION_PENDING_AT] = int(timezone.now().timestamp())
            self.request.session["_xc_2fa_next"] = self.get_success_url()
            return redirect("login_verify")
        response = super().form_valid(form)
        core_auth.login_audit(user=user)
        return response


def _pending_user(request):
    session = request.session
    pk = session.get(core_auth.SESSION_PENDING_USER)
    started = session.get(core_auth.SESSION_PENDING_AT)
    if pk is None or started is None:
        return None
    if int(timezone.now().timestamp()) - int(started) >= settings.TOTP_PENDING_SECONDS:
        return None
    return get_user_model().objects.filter(pk=pk, is_active=True).first()


def _clear_pending(request):
    for key in (
        core_auth.SESSION_PENDING_USER,
        core_auth.SESSION_PENDING_BACKEND,
        core_auth.SESSION_PENDING_AT,
        "_xc_2fa_next",
    ):
        request.session.pop(key, None)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request):
    """The second step of a login with an authenticator: a 6-digit code. Wrong codes count as
    failed logins for the name (and lock it like wrong passwords); a used code is refused."""
    user = _pending_user(request)
    if user is None:
        _clear_pending(request)
        messages.info(request, "请重新输入用户名和密码。")
        return redirect("login")
    form = TotpCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        ip = request_address(request)
        lock = core_auth.login_lock_for(user.get_username(), ip)
        if lock is not None:
            _clear_pending(request)
            form = TotpCodeForm()
            form.add_error(None, lock.message)
            return render(request, "registration/login_verify.html", {"form": form}, status=429)
        if form.is_valid() and core_auth.totp_check(
            user=user, code=form.cleaned_data["code"], ip=ip
        ):
            next_url = request.session.get("_xc_2fa_next") or settings.LOGIN_REDIRECT_URL
            backend = request.session.get(core_auth.SESSION_PENDING_BACKEND)
            _clear_pending(request)
            auth_login(request, user, backend=backend)  # rotates the session key
            core_auth.login_audit(user=user)
            return redirect(next_url)
        if form.is_valid():
            form.add_error("code", "动态验证码不正确或已使用，请输入手机上当前显示的 6 位数字。")
        status = 400
    return render(request, "registration/login_verify.html", {"form": form}, status=status)


@never_cache
@role_required(Role.OFFICE, Role.FINANCE)
@require_http_methods(["GET", "POST"])
def totp_enrol(request):
    """Turn on the authenticator for one's own account: a secret shown as text and as an
    otpauth:// address, confirmed with a first code."""
    from core import crypto

    device = core_auth.totp_enrol_start(user=request.user)
    if device.confirmed_at is not None:
        return render(request, "registration/totp_enrol.html", {"device": device})
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid() and core_auth.totp_enrol_confirm(
            user=request.user, code=form.cleaned_data["code"]
        ):
            messages.success(request, "动态口令已启用：以后登录时需在密码之后输入 6 位动态验证码。")
            return redirect("totp_enrol")
        if form.is_valid():
            form.add_error("code", "验证码不正确，请核对手机时间后输入当前显示的 6 位数字。")
    # The secret stays the same while unconfirmed (the device row keeps it).
    device.refresh_from_db()
    secret = crypto.decrypt(device.secret_encrypted)
    context = {
        "device": device,
        "form": form,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "uri": core_auth.totp_uri(secret, request.user.get_username()),
    }
    status = 400 if request.method == "POST" else 200
    response = render(request, "registration/totp_enrol.html", context, status=status)
    response["Cache-Control"] = "no-store, private"
    return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's); ends the session and writes one audit row."""

    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    dispatch.is_public = True

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            core_auth.logout_audit(user=request.user)
        return super().post(request, *args, **kwargs)


# ------------------------------------------------------------------------------
# Reveal of a full ID or account number
# ------------------------------------------------------------------------------
@never_cache
@role_required(*Role)
@require_http_methods(["GET", "POST"])
def reveal(request, token: str):
    """Ask why, then show one full number once; every reveal is audited (core.reveal)."""
    entry, obj = core_reveal.reveal_target(token, request.user)
    context = {
        "entry": entry,
        "obj": obj,
        "masked": core_reveal.masked_value(entry, obj),
    }
    if request.method == "POST":
        form = RevealForm(request.POST)
        if form.is_valid():
            try:
                entry, obj, value = core_reveal.pii_reveal(
                    token=token, reason=form.cleaned_data["reason"], actor=request.user
                )
            except RuleViolation as exc:
                form.add_error(None, exc.message)
                return render(
                    request, "core/reveal_form.html", {**context, "form": form}, status=429
                )
            response = render(
                request,
                "core/reveal_done.html",
                {**context, "value": value, "reason": form.cleaned_data["reason"]},
            )
            response["Cache-Control"] = "no-store, private"
            return response
        return render(request, "core/reveal_form.html", {**context, "form": form}, status=400)
    return render(request, "core/reveal_form.html", {**context, "form": RevealForm()})


# ------------------------------------------------------------------------------
# Login locks (the office lifts one early)
# ------------------------------------------------------------------------------
@role_required(Role.OFFICE)
@require_GET
def lockout_list(request):
    locks = list(core_auth.active_locks())
    return render(request, "core/lockout_list.html", {"locks": locks, "form": UnlockForm()})


@role_required(Role.OFFICE)
@require_POST
def lockout_unlock(request, pk: int):
    throttle = get_object_or_404(LoginThrottle, pk=pk)
    form = UnlockForm(request.POST)
    if not form.is_valid():
        locks = list(core_auth.active_locks())
        return render(request, "core/lockout_list.html", {"locks": locks, "form": form}, status=400)
    core_auth.login_unlock(
        throttle=throttle, reason=form.cleaned_data["reason"], actor=request.user
    )
    messages.success(request, f"已解除“{throttle}”的登录锁定。")
    return redirect("core:lockout_list")
