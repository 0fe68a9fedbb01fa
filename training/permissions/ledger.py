"""Who may do what with the work ledger (工作台帐) and the joint meetings (联席会议).

Predicates only: they read the user's own groups and the task's own fields. The assisting units
are passed in by the caller (a set of department ids, loaded once by the selector), so no
predicate runs a query."""

from collections.abc import Collection

from core.models import User
from core.permissions import is_city_wide_reader, is_office
from core.roles import Role

# Who acts for a unit in the ledger: its clerks, and — for the tasks the plan gives the leading
# group's office itself (5.3 每月检查通报, 5.4 舆论宣传) — the office's own staff.
UNIT_ROLES = (Role.CLERK, Role.OFFICE)


def _clerk_department_id(user: User) -> int | None:
    if user.is_authenticated and user.has_role(Role.CLERK) and user.department_id is not None:
        return user.department_id
    return None


def _unit_department_id(user: User) -> int | None:
    if user.is_authenticated and user.has_role(*UNIT_ROLES) and user.department_id is not None:
        return user.department_id
    return None


def is_lead_clerk(user: User, task) -> bool:
    """A member (clerk, or office staff for the office's own tasks) of the task's lead unit."""
    department_id = _unit_department_id(user)
    return department_id is not None and department_id == task.lead_unit_id


def is_unit_clerk(user: User, task, assisting_ids: Collection[int]) -> bool:
    """A member of the task's lead unit or of one of its assisting units."""
    department_id = _unit_department_id(user)
    return department_id is not None and (
        department_id == task.lead_unit_id or department_id in assisting_ids
    )


def can_view_ledger(user: User) -> bool:
    """The list page: office and auditor see every task, a clerk their department's."""
    return is_city_wide_reader(user) or _clerk_department_id(user) is not None


def can_view_task(user: User, task, assisting_ids: Collection[int]) -> bool:
    return is_city_wide_reader(user) or is_unit_clerk(user, task, assisting_ids)


def can_manage_ledger(user: User) -> bool:
    """Create and change tasks, hold meetings, reopen a task: the leading group's office."""
    return is_office(user)


def can_report_progress(user: User, task, assisting_ids: Collection[int]) -> bool:
    """Progress notes: a clerk of the lead or an assisting unit, while the task is open."""
    return task.status == task.Status.OPEN and is_unit_clerk(user, task, assisting_ids)


def can_complete_task(user: User, task) -> bool:
    """Only the lead unit declares its task done (the office may reopen it, with a reason)."""
    return task.status == task.Status.OPEN and is_lead_clerk(user, task)


def can_reopen_task(user: User, task) -> bool:
    return task.status == task.Status.DONE and is_office(user)


def can_view_meetings(user: User) -> bool:
    return is_city_wide_reader(user)
