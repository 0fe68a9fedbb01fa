"""Who may read the progress dashboard and the bulletins, and who may change them. Predicates
only: no queries beyond the user's own groups, no side effects."""

from core.models import Department, User
from core.permissions import can_view_department, is_city_wide_reader, is_office
from core.roles import Role


def is_department_clerk(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.CLERK) and user.department_id is not None


def can_view_city_progress(user: User) -> bool:
    """The city-wide dashboard: the office and the auditor."""
    return is_city_wide_reader(user)


def can_view_progress(user: User) -> bool:
    """Some view of the dashboard: the city's, or a clerk's own department's."""
    return is_city_wide_reader(user) or is_department_clerk(user)


def can_view_department_progress(user: User, department: Department) -> bool:
    return can_view_department(user, department)


def can_recompute_progress(user: User) -> bool:
    return is_office(user)


def can_view_bulletin(user: User, bulletin) -> bool:
    """Published bulletins go to every unit; a draft is the office's working paper."""
    if bulletin.is_published:
        return can_view_progress(user)
    return is_office(user)


def can_draft_bulletin(user: User) -> bool:
    return is_office(user)


def can_publish_bulletin(user: User) -> bool:
    return is_office(user)
