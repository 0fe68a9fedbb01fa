"""The site navigation: each entry names the roles that may use it, so a role sees only what it
may open. The views enforce the same rule themselves; this only keeps the menu honest."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from core.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[Role]


ALL_ROLES = frozenset(Role)

NAVIGATION: tuple[NavItem, ...] = (
    NavItem("首页", "dashboard:home", ALL_ROLES),
    NavItem("月度报送", "training:return_current", frozenset({Role.CLERK})),
    NavItem("报送历史", "training:return_history", frozenset({Role.CLERK})),
    NavItem("报送审核", "training:return_matrix", frozenset({Role.OFFICE, Role.AUDITOR})),
    NavItem("更正申请", "training:correction_list", frozenset({Role.OFFICE, Role.AUDITOR})),
    NavItem("审计工作簿", "dashboard:export_audit", frozenset({Role.OFFICE, Role.AUDITOR})),
    NavItem("审计记录", "dashboard:audit_list", frozenset({Role.OFFICE, Role.AUDITOR})),
)


def items_for(user) -> list[dict[str, str]]:
    if not user.is_authenticated:
        return []
    items = []
    for item in NAVIGATION:
        if not (user.is_superuser or user.has_role(*item.roles)):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the page belongs to a capability not installed yet
        items.append({"label": item.label, "url": url, "url_name": item.url_name})
    return items
