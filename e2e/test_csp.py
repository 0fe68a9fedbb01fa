"""Content-Security-Policy in a real browser (issue 11, item 3): the site's own pages load with
no violation, and a script an attacker manages to plant in a page (an inline script, an inline
event handler) does not run."""

import pytest

from core.roles import Role
from core.services import user_create

PASSWORD = "E2e-pass-2013"

WATCH_VIOLATIONS = """() => {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation',
    (e) => window.__violations.push(e.violatedDirective));
}"""


def _console_csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return errors


@pytest.mark.django_db(transaction=True)
def test_the_sites_pages_load_without_a_csp_violation(page, live_server, campaign, login):
    """The office's pages (menus, htmx, the dashboard's charts) need nothing the policy forbids."""
    user_create(
        username="office_csp",
        password=PASSWORD,
        full_name="领导小组办公室",
        roles=[Role.OFFICE],
        actor=None,
    )
    errors = _console_csp_errors(page)
    login("office_csp", PASSWORD)
    for path in ("/", "/progress/", "/bulletins/", "/training/classes/", "/notices/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None
        assert "script-src" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_a_planted_inline_script_and_event_handler_do_not_run(page, live_server, campaign):
    errors = _console_csp_errors(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate(WATCH_VIOLATIONS)
    # What stored XSS would plant: an inline <script> and an element with an inline handler.
    page.evaluate(
        """() => {
          const script = document.createElement('script');
          script.textContent = 'window.__pwned = "script"';
          document.body.appendChild(script);
          const image = document.createElement('img');
          image.setAttribute('onerror', 'window.__pwned = "handler"');
          image.src = 'data:,not-an-image';
          document.body.appendChild(image);
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    violations = page.evaluate("() => window.__violations")
    assert "script-src-elem" in violations or "script-src" in violations
    assert len(violations) >= 2  # both were refused, and reported
    assert errors  # the browser says why in the console
