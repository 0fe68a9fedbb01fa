"""The home-page panel registry: a panel shows only to its roles, hides when its selector says so,
and renders its own template with its own context."""

import pytest
from django.urls import reverse

from core.roles import Role
from core.tests.factories import user_with_role
from dashboard import panels

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setattr(panels, "_PANELS", {})
    calls = []

    def context(*, user, campaign):
        calls.append(user.username)
        return None if user.username == "hidden" else {"figure": 4242}

    panels.register_panel(
        "test",
        title="测试面板",
        template="dashboard/_audit_list_hint.html",
        roles={Role.OFFICE},
        context=context,
    )
    return calls


def test_panel_shows_to_its_roles_only(plan, roles, registered):
    office = user_with_role(Role.OFFICE)
    finance = user_with_role(Role.FINANCE)
    assert [p["code"] for p in panels.panels_for_user(user=office, campaign=plan)] == ["test"]
    assert panels.panels_for_user(user=finance, campaign=plan) == []
    assert registered == [office.username]  # the selector is not even asked for other roles


def test_panel_hidden_when_selector_returns_none(plan, roles, registered):
    office = user_with_role(Role.OFFICE, username="hidden")
    assert panels.panels_for_user(user=office, campaign=plan) == []


def test_home_renders_registered_panel(client, plan, roles, registered, settings, tmp_path):
    template_dir = tmp_path / "dashboard"
    template_dir.mkdir()
    (template_dir / "_audit_list_hint.html").write_text("<b id='fig'>{{ panel.figure }}</b>")
    # A new TEMPLATES setting (not a mutation of the old one) resets the template engines.
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    client.force_login(user_with_role(Role.OFFICE))
    html = client.get(reverse("dashboard:home")).content.decode()
    assert html.count('id="panel-test"') == 1
    assert html.count("<b id='fig'>4242</b>") == 1
    title = html[html.index("<title>") : html.index("</title>")]
    assert "4242" not in title


def test_clerk_home_renders_each_panel_once(client, plan, roles, registered, settings, tmp_path):
    """The clerk's home has blocks of its own; a panel belongs after them, once."""
    from core.models import Department

    template_dir = tmp_path / "dashboard"
    template_dir.mkdir()
    (template_dir / "_audit_list_hint.html").write_text("<b id='fig'>{{ panel.figure }}</b>")
    # A new TEMPLATES setting (not a mutation of the old one) resets the template engines.
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    panels.register_panel(
        "test",
        title="测试面板",
        template="dashboard/_audit_list_hint.html",
        roles={Role.CLERK},
        context=lambda **_: {"figure": 4242},
    )
    clerk = user_with_role(Role.CLERK, department=Department.objects.get(code="rsj"))
    client.force_login(clerk)
    html = client.get(reverse("dashboard:home")).content.decode()
    assert html.count("<b id='fig'>4242</b>") == 1
