"""CSRF on every state change: every URL pattern, found at run time, is sent a POST without a token
by a signed-in user (a superuser, so no role check can answer first) and must be refused by the
CSRF check. Routes added by any app are swept without editing this file."""

import logging
import re
import uuid

import pytest
from django.http import HttpResponse, HttpResponseForbidden
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path
from django.urls.resolvers import RegexPattern, RoutePattern
from django.views.decorators.csrf import csrf_exempt

from core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MARKER = "X-Test-CSRF-Rejected"

# Views allowed to skip CSRF: none. A route added here needs a reason in SECURITY.md.
CSRF_EXEMPT_ALLOWED: set[str] = set()

SAMPLES = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": str(uuid.UUID(int=1)),
}


def csrf_failure_marker(request, reason=""):
    response = HttpResponseForbidden("csrf")
    response[MARKER] = reason or "1"
    return response


def _sample_for_group(group_regex: str) -> str:
    for candidate in ("1", "x", "core", "2014-06", "2014", "06", "a1", str(uuid.UUID(int=1))):
        if re.fullmatch(group_regex, candidate):
            return candidate
    raise AssertionError(f"no sample value for {group_regex!r}")


def _regex_to_path(regex: str) -> str:
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")

    def group(match):
        inner = match.group(2)
        return _sample_for_group(inner)

    regex = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", group, regex)
    return regex.replace("\\", "")


def _route_to_path(route: str, converters: dict) -> str:
    def replace(match):
        name = match.group(2)
        converter = converters.get(name)
        kind = match.group(1) or "str"
        if converter is not None and kind not in SAMPLES:
            return _sample_for_group(converter.regex)
        return SAMPLES.get(kind, "x")

    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)


def _piece(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return _route_to_path(str(pattern._route), pattern.converters)
    if isinstance(pattern, RegexPattern):
        return _regex_to_path(pattern._regex)
    raise AssertionError(f"unknown pattern type {type(pattern)}")


def iter_routes(resolver=None, prefix=""):
    """(url, name, callback) for every concrete URL pattern of the project."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        path = prefix + _piece(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from iter_routes(entry, path)
        elif isinstance(entry, URLPattern):
            yield "/" + path, entry.name or "", entry.callback


def sweep(client, urlconf=None) -> tuple[int, int, list[str], list[str]]:
    """POST/PUT/PATCH/DELETE without a token to every route; returns (routes, requests,
    requests not refused by the CSRF check, csrf_exempt views)."""
    checked, routes, unexpected, exempt = 0, 0, [], []
    for url, name, callback in iter_routes(get_resolver(urlconf)):
        routes += 1
        if getattr(callback, "csrf_exempt", False) and name not in CSRF_EXEMPT_ALLOWED:
            exempt.append(f"{url} ({name})")
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url, data={"status": "approved"})
            checked += 1
            reason = response.get(MARKER, "")
            if response.status_code != 403 or "missing" not in reason:
                unexpected.append(
                    f"{method.upper()} {url} ({name}) -> {response.status_code} {reason}"
                )
    return routes, checked, unexpected, exempt


@pytest.fixture
def sweeper(settings, caplog):
    settings.CSRF_FAILURE_VIEW = "core.tests.test_csrf_sweep.csrf_failure_marker"
    settings.SECURE_SSL_REDIRECT = False
    caplog.set_level(logging.ERROR, logger="django.security.csrf")
    superuser = UserFactory(username="csrf-sweeper", is_superuser=True, is_staff=True)
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(superuser)
    # A valid CSRF cookie is present, as in a real browser: only the token is missing.
    client.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    return client


def test_every_route_refuses_a_post_without_a_csrf_token(sweeper):
    routes, checked, unexpected, exempt = sweep(sweeper)
    print(  # noqa: T201 - the figure (pytest -s)
        f"\nCSRF sweep: {routes} routes x 4 unsafe methods = {checked} requests without a token;"
        f" {checked - len(unexpected)} refused by the CSRF check, {len(unexpected)} not"
    )
    assert routes > 50
    assert exempt == [], f"csrf_exempt views: {exempt}"
    assert unexpected == [], "\n".join(unexpected[:50])


def changing_view(request):
    return HttpResponse("changed")


urlpatterns = [
    path("guarded/", changing_view, name="guarded"),
    path("leaky/", csrf_exempt(changing_view), name="leaky"),
]


def test_the_sweep_catches_a_csrf_exempt_route(sweeper, settings):
    """Removing the protection from one route makes the sweep fail (this module is its urlconf)."""
    settings.ROOT_URLCONF = __name__
    routes, checked, unexpected, exempt = sweep(sweeper, urlconf=__name__)
    assert routes == 2
    assert checked == 8
    assert exempt == ["/leaky/ (leaky)"]
    assert len(unexpected) == 4
    assert all("/leaky/" in line and "-> 200" in line for line in unexpected)


def test_the_sweep_reaches_the_views_with_a_token():
    """The sample URLs resolve (so the sweep above is not refused by a 404 before the CSRF check
    could run): every generated path resolves to the pattern it came from."""
    from django.urls import resolve

    mismatched = []
    for url, _name, callback in iter_routes():
        try:
            match = resolve(url)
        except Exception as exc:
            mismatched.append(f"{url}: {exc}")
            continue
        if match.func is not callback and getattr(match.func, "__wrapped__", None) is not callback:
            mismatched.append(f"{url}: resolves to {match.view_name}")
    # Different patterns may share a sample path (e.g. "x" for two str routes); that is fine as
    # long as a CSRF-protected view answers. Only unresolvable samples are errors.
    unresolved = [m for m in mismatched if "resolves to" not in m]
    assert unresolved == []
