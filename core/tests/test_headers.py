"""Security headers and production configuration: CSP without inline script, framing refused,
HSTS and secure cookies in production."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core.roles import Role
from core.tests.factories import user_with_role

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]

# A <script> without src is inline code, unless it is a JSON data block (json_script).
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=[\"']application/json)[^>]*>", re.IGNORECASE
)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def _templates():
    for folder in TEMPLATE_DIRS:
        if folder.is_dir() and "node_modules" not in folder.parts:
            yield from folder.rglob("*.html")


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    checked = 0
    for path in _templates():
        checked += 1
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, JS_URL):
            for match in pattern.finditer(text):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)[:80]}")
    print(f"\n{checked} templates checked, {len(offenders)} inline scripts/handlers")  # noqa: T201 - the figure (pytest -s)
    assert checked > 50
    assert offenders == []


@pytest.mark.django_db
def test_pages_carry_csp_and_the_other_security_headers(client):
    client.force_login(user_with_role(Role.CLERK))
    for url in (reverse("login"), reverse("core:healthz"), "/"):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        directives = dict(
            [*part.strip().split(" ", 1), ""][:2] for part in csp.split(";") if part.strip()
        )
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'", "no inline or eval'd script"
        assert "unsafe-inline" not in directives["script-src"]
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_login_page_is_not_cached(client):
    response = client.get(reverse("login"))
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_production_settings_turn_on_hsts_secure_cookies_and_tls(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "y" * 20 + "production-secret-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "skills.xuchang.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "xuchang_skills.settings",
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ["
        "'SECURE_HSTS_SECONDS','SECURE_HSTS_INCLUDE_SUBDOMAINS','SESSION_COOKIE_SECURE',"
        "'CSRF_COOKIE_SECURE','SECURE_SSL_REDIRECT','SESSION_COOKIE_HTTPONLY','DEBUG',"
        "'X_FRAME_OPTIONS','CSRF_COOKIE_HTTPONLY']}))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.django_db
def test_hsts_header_is_sent_over_https_in_production_shape(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get(reverse("core:healthz"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_csp_is_installed_as_middleware():
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert "core.middleware.SessionTimeoutMiddleware" in settings.MIDDLEWARE
    order = settings.MIDDLEWARE
    assert order.index("core.middleware.SessionTimeoutMiddleware") > order.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )


def test_the_dependency_inventory_lists_every_runtime_requirement():
    """requirements-freeze.txt (pip freeze, committed per release) names each runtime package."""
    frozen = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in (ROOT / "requirements-freeze.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    required = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name = re.split(r"[<>=\[ ]", line, maxsplit=1)[0].lower().replace("_", "-")
            required.add(name)
    assert required - frozen == set()


@pytest.mark.django_db
def test_signed_in_pages_are_not_stored_and_the_permissions_policy_is_sent(client):
    anonymous = client.get(reverse("core:healthz"))
    assert "camera=()" in anonymous["Permissions-Policy"]
    client.force_login(user_with_role(Role.CLERK))
    page = client.get("/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert "private" in page["Cache-Control"]
