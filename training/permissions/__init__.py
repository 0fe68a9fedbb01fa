"""Who may do what with training data. Predicates only."""

from core.models import Department, User
from core.permissions import is_city_wide_reader, is_office
from core.roles import Role


def is_clerk_of(user: User, department: Department) -> bool:
    return (
        user.is_authenticated
        and user.has_role(Role.CLERK)
        and user.department_id is not None
        and user.department_id == department.pk
    )


def can_view_return(user: User, department: Department) -> bool:
    return is_city_wide_reader(user) or is_clerk_of(user, department)


def can_edit_return(user: User, department: Department) -> bool:
    """Only the department's own clerks enter its figures; the office reviews, never types them."""
    return is_clerk_of(user, department)


def can_review_return(user: User) -> bool:
    return is_office(user)


def can_request_correction(user: User, department: Department) -> bool:
    return is_clerk_of(user, department)


def can_decide_correction(user: User, correction) -> bool:
    # Maker-checker: whoever asked for a change never approves it.
    return is_office(user) and correction.requested_by_id != user.pk


def can_grant_unlock(user: User) -> bool:
    return is_office(user)
