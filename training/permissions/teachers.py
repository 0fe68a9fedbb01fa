"""Who may do what with teachers (师资), their further training and the teachers named on
classes. Predicates only: no queries beyond the user's own groups.

Institutions keep their own teachers (they know who teaches); the office, auditors and 人社
reviewers read every institution's teachers and the qualification shares; nobody else does.
"""

from core.models import User
from core.roles import Role
from training.permissions.institutions import is_staff_of

# Roles that read every institution's teachers.
TEACHER_READERS = frozenset({Role.OFFICE, Role.AUDITOR, Role.REVIEWER})


def can_read_all_teachers(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*TEACHER_READERS))


def can_view_teacher(user: User, teacher) -> bool:
    return can_read_all_teachers(user) or is_staff_of(user, teacher.institution)


def can_manage_teachers(user: User, institution) -> bool:
    """Add and edit teachers, and record their further training: the institution's own staff."""
    return is_staff_of(user, institution)


def can_assign_class_teachers(user: User, training_class) -> bool:
    """Name the teachers of a class: the staff of the institution that runs it."""
    return is_staff_of(user, training_class.institution)
