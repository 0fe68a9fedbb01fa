"""Who may do what with job fairs, skill demand and the supply–demand reports. Predicates only.

- Job fairs and the demand collected at them: the office records any; a department clerk records
  and reads only the fairs their own department organised; the auditor reads all.
- Demand from surveys (用工调查): the office.
- Reports: the office computes, recomputes drafts and publishes; a published report is read by
  every campaign role that plans training (office, auditor, clerks, reviewers, institutions).
"""

from core.models import User
from core.permissions import is_city_wide_reader, is_office
from core.roles import Role
from training.permissions import is_clerk_of

REPORT_READERS = frozenset({Role.OFFICE, Role.AUDITOR, Role.CLERK, Role.REVIEWER, Role.INSTITUTION})


def is_department_clerk(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.CLERK) and user.department_id is not None


def can_read_all_fairs(user: User) -> bool:
    return is_city_wide_reader(user)


def can_view_fair(user: User, fair) -> bool:
    return is_city_wide_reader(user) or is_clerk_of(user, fair.organiser)


def can_record_fair(user: User, organiser) -> bool:
    return is_office(user) or is_clerk_of(user, organiser)


def can_record_survey(user: User) -> bool:
    return is_office(user)


def can_compute_report(user: User) -> bool:
    return is_office(user)


def can_view_report(user: User, report) -> bool:
    if is_office(user):
        return True
    if report.status != report.Status.PUBLISHED:
        return False
    return user.is_authenticated and user.has_role(*REPORT_READERS)
