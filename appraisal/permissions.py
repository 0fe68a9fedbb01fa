"""Who may do what in skill appraisal. Predicates only.

Roles as the issue sets them:
* 人社 reviewers (Role.REVIEWER) manage appraisal bodies, their authorisations and staff; the
  level rules are kept by reviewers and the office.
* Body staff are reviewers listed in ``AppraisalBody.staff``; they see and run only their own
  body's sittings. Which bodies a user staffs is read once per request (``staff_body_ids``) and
  cached on the user object; every other predicate reads only the user's groups and the object.
* Registration-point staff: institution staff for their institution's points and classes;
  reviewers and department clerks for the city, county, township and village points.
* Workers act only for themselves.
"""

from core.models import User
from core.permissions import is_city_wide_reader, is_office
from core.roles import Role

_BODY_IDS_CACHE = "_appraisal_body_ids"


def is_reviewer(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(Role.REVIEWER))


def is_worker(user: User) -> bool:
    return user.is_authenticated and user.has_role(Role.WORKER)


def is_institution_staff(user: User) -> bool:
    return (
        user.is_authenticated
        and user.has_role(Role.INSTITUTION)
        and user.institution_id is not None
    )


def is_desk_staff(user: User) -> bool:
    """Staff of the city/county/township/village points: reviewers and department clerks."""
    return user.is_authenticated and (
        user.is_superuser or user.has_role(Role.REVIEWER) or _is_clerk(user)
    )


def _is_clerk(user: User) -> bool:
    return user.has_role(Role.CLERK) and user.department_id is not None


def staff_body_ids(user: User) -> frozenset[int]:
    """The bodies whose staff list holds ``user`` and who holds the reviewer role (one query,
    then cached on the user object for the request)."""
    if not user.is_authenticated or not user.has_role(Role.REVIEWER):
        return frozenset()
    cached = user.__dict__.get(_BODY_IDS_CACHE)
    if cached is None:
        cached = frozenset(user.appraisal_bodies.values_list("pk", flat=True))
        user.__dict__[_BODY_IDS_CACHE] = cached
    return cached


def forget_body_ids(user: User) -> None:
    """Drop the cached staff list (after the staff of a body changed)."""
    user.__dict__.pop(_BODY_IDS_CACHE, None)


# --------------------------------------------------------------------------------------------
# Bodies and rules
# --------------------------------------------------------------------------------------------


def can_manage_bodies(user: User) -> bool:
    return is_reviewer(user)


def can_view_bodies(user: User) -> bool:
    return is_reviewer(user) or is_city_wide_reader(user)


def can_manage_level_rules(user: User) -> bool:
    return is_reviewer(user) or is_office(user)


# --------------------------------------------------------------------------------------------
# Sittings and results
# --------------------------------------------------------------------------------------------


def is_body_staff(user: User, body_id: int | None) -> bool:
    return body_id is not None and body_id in staff_body_ids(user)


def can_view_sitting(user: User, sitting) -> bool:
    return is_body_staff(user, sitting.body_id) or is_city_wide_reader(user)


def can_run_sitting(user: User, sitting) -> bool:
    """Create, schedule, record results: the body's own staff only."""
    return is_body_staff(user, sitting.body_id)


def can_create_sitting(user: User, body) -> bool:
    return is_body_staff(user, body.pk)


# --------------------------------------------------------------------------------------------
# Registrations
# --------------------------------------------------------------------------------------------


def is_the_worker(user: User, worker) -> bool:
    return user.is_authenticated and worker.user_id is not None and worker.user_id == user.pk


def can_register_self(user: User, worker) -> bool:
    return is_worker(user) and is_the_worker(user, worker)


def can_register_at_point(user: User, point) -> bool:
    """Institution staff at their institution's points; reviewers and clerks at the others."""
    if point is None or not point.is_active:
        return False
    if point.institution_id is not None:
        return is_institution_staff(user) and user.institution_id == point.institution_id
    return is_desk_staff(user)


def can_register_from_class(user: User, training_class) -> bool:
    """Straight after a class: the class's own institution."""
    return is_institution_staff(user) and user.institution_id == training_class.institution_id


def can_take_registrations(user: User) -> bool:
    """Whether the user staffs any kind of registration point at all."""
    return is_institution_staff(user) or is_desk_staff(user)


def reads_all_registrations(user: User) -> bool:
    return is_city_wide_reader(user) or is_reviewer(user)


def can_withdraw_registration(user: User, registration) -> bool:
    """The worker themself, or whoever may see the registration as its point's staff."""
    return is_the_worker(user, registration.worker) or took_registration(user, registration)


def took_registration(user: User, registration) -> bool:
    """Whether ``user`` is staff of the point (or institution) that took ``registration``."""
    if not user.is_authenticated:
        return False
    point = registration.point
    if (
        registration.training_class_id is not None
        and is_institution_staff(user)
        and registration.training_class.institution_id == user.institution_id
    ):
        return True
    if point is None:
        return False
    if point.institution_id is not None:
        return is_institution_staff(user) and user.institution_id == point.institution_id
    if user.is_superuser or user.has_role(Role.REVIEWER):
        return True
    return _is_clerk(user) and registration.registered_by.department_id == user.department_id
