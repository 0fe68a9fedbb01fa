"""Who may do what with subsidy standards, windows, entrustments and claims.

Predicates only (no queries beyond the user's cached roles); the selectors scope lists and the
services call these before writing."""

from core.models import User
from core.roles import Role


def can_manage_standards(user: User) -> bool:
    """The office (领导小组办公室) sets subsidy standards and claim windows."""
    return user.is_authenticated and user.has_role(Role.OFFICE)


def can_view_standards(user: User) -> bool:
    return user.is_authenticated and user.has_role(
        Role.OFFICE, Role.REVIEWER, Role.FINANCE, Role.AUDITOR
    )


def is_worker(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.WORKER)


def worker_of(user: User):
    """The worker record behind a worker login, or None."""
    if not is_worker(user):
        return None
    return getattr(user, "worker", None)


def is_institution_staff(user: User, institution_id: int | None = None) -> bool:
    if not (user.is_authenticated and user.has_role(Role.INSTITUTION) and user.institution_id):
        return False
    return institution_id is None or user.institution_id == institution_id


def can_act_for_worker(user: User, worker) -> bool:
    """The worker themself (their own login)."""
    return is_worker(user) and worker.user_id is not None and worker.user_id == user.pk


def can_act_on_claim(user: User, claim) -> bool:
    """The claim's worker, or staff of the institution that submitted it on the worker's behalf."""
    if can_act_for_worker(user, claim.worker):
        return True
    return (
        claim.channel == "institution"
        and claim.institution_id is not None
        and is_institution_staff(user, claim.institution_id)
    )
