"""Who may do what with training classes, inspections, attendance, results, referrals and
"三定" orders. Predicates only: they read the user's own groups and the object's own fields, never
run a query of their own (scoping lists to what a user may see is the selectors' job)."""

from core.models import User
from core.permissions import is_city_wide_reader, is_office
from core.roles import Role

# Who the office may send to spot-check a class.
INSPECTOR_ROLES = (Role.OFFICE, Role.REVIEWER, Role.CLERK)


def is_staff_of_institution(user: User, institution_id: int | None) -> bool:
    return (
        user.is_authenticated
        and user.has_role(Role.INSTITUTION)
        and user.institution_id is not None
        and user.institution_id == institution_id
    )


def belongs_to_institution(user: User, institution_id: int | None) -> bool:
    """Whatever the role: a person of the class's institution never checks its own class."""
    return user.institution_id is not None and user.institution_id == institution_id


def is_reviewer(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.REVIEWER))


def is_clerk_of_category(user: User, category) -> bool:
    return (
        user.is_authenticated
        and user.has_role(Role.CLERK)
        and user.department_id is not None
        and user.department_id == category.department_id
    )


def reads_all_classes(user: User) -> bool:
    """Office, auditor and 人社 reviewers see every class of the campaign."""
    return is_city_wide_reader(user) or is_reviewer(user)


def can_view_class(user: User, training_class, *, is_inspector: bool = False) -> bool:
    """``is_inspector``: the caller found the user assigned to one of the class's inspections."""
    if not user.is_authenticated:
        return False
    return (
        reads_all_classes(user)
        or is_staff_of_institution(user, training_class.institution_id)
        or is_clerk_of_category(user, training_class.category)
        or is_inspector
    )


def can_edit_class(user: User, training_class) -> bool:
    """The institution's own staff, while the class is a draft or was refused."""
    return is_staff_of_institution(user, training_class.institution_id) and (
        training_class.status in (training_class.Status.DRAFT, training_class.Status.REFUSED)
    )


def can_run_class(user: User, training_class) -> bool:
    """Submit, roster, attendance, results, referrals, close: the institution's own staff."""
    return is_staff_of_institution(user, training_class.institution_id)


def can_decide_class(user: User, training_class) -> bool:
    """Opening approval: a clerk of the department owning the class's category, or a 人社
    reviewer, never anyone of the class's own institution (maker-checker)."""
    if not user.is_authenticated or belongs_to_institution(user, training_class.institution_id):
        return False
    return is_reviewer(user) or is_clerk_of_category(user, training_class.category)


def can_assign_inspectors(user: User) -> bool:
    return is_office(user)


def may_inspect(user: User, training_class) -> bool:
    """Whether the office may send ``user`` to check ``training_class``."""
    return (
        user.is_active
        and user.has_role(*INSPECTOR_ROLES)
        and not belongs_to_institution(user, training_class.institution_id)
    )


def can_record_inspection(user: User, inspection) -> bool:
    return (
        user.is_authenticated
        and inspection.inspector_id == user.pk
        and may_inspect(user, inspection.training_class)
    )


def can_view_orders(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser
        or user.has_role(Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.CLERK, Role.INSTITUTION)
    )


def can_manage_order(user: User, institution_id: int | None) -> bool:
    """The office for any institution; institution staff for their own."""
    return is_office(user) or is_staff_of_institution(user, institution_id)
