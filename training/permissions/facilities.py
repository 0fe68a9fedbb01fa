"""Who may do what with the "1688" programme. Predicates only, no queries.

Office and auditor read every facility; a clerk of a target's lead department (市人社局 in the
2013 plan) reads and keeps that target's facilities. Changes: the office or that clerk."""

from core.models import User
from core.permissions import is_city_wide_reader, is_office
from core.roles import Role


def is_target_clerk(user: User, target) -> bool:
    return (
        user.is_authenticated
        and user.has_role(Role.CLERK)
        and user.department_id is not None
        and user.department_id == target.department_id
    )


def can_view_facilities(user: User) -> bool:
    """The list page (its rows are scoped by the selector)."""
    return is_city_wide_reader(user) or (
        user.is_authenticated and user.has_role(Role.CLERK) and user.department_id is not None
    )


def can_view_facility(user: User, target) -> bool:
    return is_city_wide_reader(user) or is_target_clerk(user, target)


def can_manage_facility(user: User, target) -> bool:
    return is_office(user) or is_target_clerk(user, target)
