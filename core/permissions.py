"""Who may do what, for things the core app owns. Predicates only: no queries beyond the user's
own groups, no side effects."""

from core.models import Department, User
from core.roles import CITY_WIDE_READERS, Role


def is_city_wide_reader(user: User) -> bool:
    """Office and auditor read campaign-wide figures; everyone else reads only their own."""
    return user.is_authenticated and (user.is_superuser or user.has_role(*CITY_WIDE_READERS))


def is_office(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.OFFICE))


def can_view_audit_trail(user: User) -> bool:
    return is_city_wide_reader(user)


def can_view_department(user: User, department: Department) -> bool:
    if is_city_wide_reader(user):
        return True
    return (
        user.is_authenticated
        and user.has_role(Role.CLERK)
        and user.department_id is not None
        and user.department_id == department.pk
    )
