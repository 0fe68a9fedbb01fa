"""Who may do what with training institutions, their programmes, designation and assessment, and
with registration points. Predicates only: no queries beyond the user's own groups."""

from core.models import User
from core.permissions import is_office
from core.roles import Role

# Roles that read the whole registry (every institution's page).
REGISTRY_READERS = frozenset({Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.CLERK})


def _is(user: User, *roles: Role) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*roles))


def is_staff_of(user: User, institution) -> bool:
    """Institution staff of exactly this institution."""
    return (
        user.is_authenticated
        and user.has_role(Role.INSTITUTION)
        and user.institution_id is not None
        and user.institution_id == institution.pk
    )


def can_read_whole_registry(user: User) -> bool:
    return _is(user, *REGISTRY_READERS)


def can_view_institution(user: User, institution) -> bool:
    """Office, auditor, reviewers and clerks read every institution; staff read only their own."""
    return can_read_whole_registry(user) or is_staff_of(user, institution)


def can_create_institution(user: User) -> bool:
    return is_office(user)


def can_edit_institution(user: User, institution) -> bool:
    """Contact, address, plaque and bank account: the office keeps the registry."""
    return is_office(user)


def can_view_institution_internals(user: User, institution) -> bool:
    """Violations, designation history and assessments are not public, but the institution
    itself may read its own; the masked bank account too."""
    return can_view_institution(user, institution)


def can_manage_programmes(user: User, institution) -> bool:
    """An institution describes its own programmes; the office may correct them."""
    return is_office(user) or is_staff_of(user, institution)


def can_change_designation(user: User) -> bool:
    return is_office(user)


def can_record_violation(user: User) -> bool:
    return _is(user, Role.OFFICE, Role.REVIEWER)


def can_view_assessments(user: User) -> bool:
    return _is(user, Role.OFFICE, Role.AUDITOR)


def can_run_assessment(user: User) -> bool:
    return is_office(user)


def can_decide_assessment(user: User) -> bool:
    return is_office(user)


def can_manage_registration_points(user: User) -> bool:
    return is_office(user)
