"""Who may do what with workers (劳动者) and class rosters. Predicates only: no queries beyond the
user's own groups; which workers an institution may see is a query, so it lives in
``training.selectors.workers``."""

from core.models import User
from core.roles import Role

# People who register workers at a desk: the office, 人社 reviewers, department clerks (who
# staff the city/county/township points) and institution staff.
REGISTRAR_ROLES = (Role.OFFICE, Role.REVIEWER, Role.CLERK, Role.INSTITUTION)
# People who read the worker base; a department clerk registers but does not browse it.
READER_ROLES = (Role.OFFICE, Role.AUDITOR, Role.REVIEWER, Role.INSTITUTION)
# People who read every worker, not only their institution's.
CITY_READER_ROLES = (Role.OFFICE, Role.AUDITOR, Role.REVIEWER)


def is_institution_staff(user: User) -> bool:
    return (
        user.is_authenticated
        and user.has_role(Role.INSTITUTION)
        and user.institution_id is not None
    )


def can_register_worker(user: User, point=None) -> bool:
    """Staff registration; institution staff only at a point of their own institution (or at
    no point, i.e. at their own desk)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.has_role(Role.OFFICE, Role.REVIEWER, Role.CLERK):
        return True
    if is_institution_staff(user):
        return point is None or point.institution_id == user.institution_id
    return False


def can_read_all_workers(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*CITY_READER_ROLES))


def can_list_workers(user: User) -> bool:
    return can_read_all_workers(user) or is_institution_staff(user)


def can_update_registered_worker(user: User, *, in_scope: bool) -> bool:
    """Whether a staff registration of an already registered person may change their contact
    details. ``in_scope`` says whether the worker is one the user's institution may see."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.has_role(Role.OFFICE, Role.REVIEWER, Role.CLERK):
        return True
    return is_institution_staff(user) and in_scope


def is_the_worker(user: User, worker) -> bool:
    return user.is_authenticated and worker.user_id is not None and worker.user_id == user.pk


def can_manage_roster(user: User, training_class) -> bool:
    """Only the class's own institution uploads its roster (学员花名册)."""
    return is_institution_staff(user) and user.institution_id == training_class.institution_id
