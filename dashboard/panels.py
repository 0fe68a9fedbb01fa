"""Panels other apps add to the home page (subsidy money, award cycles, the ledger, …).

An app registers a panel from its ``AppConfig.ready``::

    register_panel(
        "subsidies", title="补贴资金", template="subsidies/_home_panel.html",
        roles={Role.OFFICE, Role.AUDITOR}, context=selectors.home_panel, order=30,
    )

``context(user=..., campaign=...)`` is a selector that returns the template's context (a dict) or
``None`` to hide the panel for this user. It must run a constant number of queries: the office's
home page has a bounded query count. The dashboard never imports the app's views or forms.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from core.models import User
from core.roles import Role


@dataclass(frozen=True)
class Panel:
    code: str
    title: str
    template: str
    roles: frozenset[Role]
    context: Callable[..., dict[str, Any] | None]
    order: int


_PANELS: dict[str, Panel] = {}


def register_panel(
    code: str,
    *,
    title: str,
    template: str,
    roles: Iterable[Role],
    context: Callable[..., dict[str, Any] | None],
    order: int = 100,
) -> None:
    """Add (or replace) the home-page panel ``code``, shown to users holding any of ``roles``."""
    _PANELS[code] = Panel(code, title, template, frozenset(roles), context, order)


def panels_for_user(*, user: User, campaign) -> list[dict[str, Any]]:
    """The registered panels this user may see, each with its rendered context, in order."""
    shown = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.code)):
        if not any(user.has_role(role) for role in panel.roles):
            continue
        data = panel.context(user=user, campaign=campaign)
        if data is not None:
            shown.append(
                {"code": panel.code, "title": panel.title, "template": panel.template, "data": data}
            )
    return shown
