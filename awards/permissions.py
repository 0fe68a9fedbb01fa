"""Who may do what in the awards. Predicates only: no queries beyond the user's own groups and
the object's own fields (cycle membership is one query, used by views and services alike)."""

from __future__ import annotations

from core.models import User
from core.permissions import is_city_wide_reader, is_office
from core.roles import Role

__all__ = [
    "can_enter_bank_account",
    "can_nominate_for_unit",
    "can_prepare_prizes",
    "can_view_cycle",
    "is_city_wide_reader",
    "is_cycle_member",
    "is_office",
]


def can_nominate_for_unit(user: User, unit) -> bool:
    """A department's clerk nominates for that department (enterprises nominate through their
    department); the office enters the counties' nominations, which come on paper."""
    if not user.is_authenticated:
        return False
    if unit.kind == "county":
        return is_office(user)
    if is_office(user):
        return True
    return (
        user.has_role(Role.CLERK)
        and user.department_id is not None
        and user.department_id == unit.department_id
    )


def is_cycle_member(user: User, cycle) -> bool:
    """A committee member assigned to ``cycle`` (the role alone is not enough)."""
    return (
        user.is_authenticated
        and user.has_role(Role.COMMITTEE)
        and cycle.members.filter(pk=user.pk).exists()
    )


def can_view_cycle(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser
        or user.has_role(Role.OFFICE, Role.AUDITOR, Role.CLERK, Role.COMMITTEE, Role.FINANCE)
    )


def can_enter_bank_account(user: User, winner) -> bool:
    """The office, or the clerk of the department that nominated the winner."""
    return can_nominate_for_unit(user, winner.nomination.unit) or is_office(user)


def can_prepare_prizes(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.FINANCE))
