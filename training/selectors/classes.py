"""Reads of training classes, inspections, attendance, results, referrals and "三定" orders,
scoped to what the user may see.

Who sees which class: office, auditor and 人社 reviewers every class; a department clerk the
classes of their department's categories (and those they were sent to inspect); institution staff
their own institution's. Anything else is a 404, so a guessed id tells nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from core.exports import percent
from core.models import User
from core.roles import Role
from training.models import (
    AttendanceRecord,
    Campaign,
    CooperationOrder,
    Enrollment,
    Inspection,
    JobReferral,
    TrainingClass,
    Worker,
)
from training.permissions import classes as perms

Status = TrainingClass.Status
# Classes whose trainees count as trained: opening approved (running) or closed.
COUNTED_STATUSES = (Status.APPROVED, Status.CLOSED)


# --------------------------------------------------------------------------------------------
# Attendance arithmetic (the 60% rule and the early warning)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceStatus:
    """One trainee's attendance against the campaign's threshold (inclusive: 60% is enough)."""

    attended: int
    held: int
    planned: int
    threshold: Decimal
    final: bool = False  # the class is closed: no session is still to come

    @property
    def rate(self) -> Decimal:
        return Decimal(self.attended) / Decimal(self.planned)

    @property
    def percent(self) -> Decimal | None:
        return percent(self.attended, self.planned)

    @property
    def meets_threshold(self) -> bool:
        # Compared as attended ≥ threshold × planned: exact, no rounding of a quotient.
        return Decimal(self.attended) >= self.threshold * self.planned

    @property
    def best_possible(self) -> int:
        """Sessions attended if the trainee attends every session still to come."""
        if self.final:
            return self.attended
        return self.attended + max(self.planned - self.held, 0)

    @property
    def at_risk(self) -> bool:
        """Early warning: the threshold cannot be reached any more, even attending every
        remaining session ((attended + planned − held) / planned < threshold)."""
        return Decimal(self.best_possible) < self.threshold * self.planned


def attendance_status(enrollment: Enrollment, training_class: TrainingClass) -> AttendanceStatus:
    return AttendanceStatus(
        attended=enrollment.sessions_attended,
        held=training_class.sessions_held,
        planned=training_class.planned_sessions,
        threshold=training_class.campaign.attendance_threshold,
        final=training_class.status == Status.CLOSED,
    )


@dataclass(frozen=True)
class AttendanceWarning:
    """A trainee who can no longer reach the attendance threshold (no training subsidy)."""

    enrollment: Enrollment
    training_class: TrainingClass
    status: AttendanceStatus

    @property
    def best_possible_percent(self) -> Decimal | None:
        return percent(self.status.best_possible, self.status.planned)


def enrollment_warnings_for_worker(worker: Worker) -> list[AttendanceWarning]:
    """The worker's enrollments (approved or closed classes) that can no longer reach the
    campaign's attendance threshold, newest class first. One query; for the worker's own page
    and for staff looking at the worker."""
    enrollments = (
        Enrollment.objects.filter(worker=worker, training_class__status__in=COUNTED_STATUSES)
        .select_related("training_class__campaign", "training_class__institution")
        .order_by("-training_class__start_date", "-pk")
    )
    warnings = []
    for enrollment in enrollments:
        status = attendance_status(enrollment, enrollment.training_class)
        if status.at_risk:
            warnings.append(AttendanceWarning(enrollment, enrollment.training_class, status))
    return warnings


# --------------------------------------------------------------------------------------------
# Classes
# --------------------------------------------------------------------------------------------


def _class_queryset() -> QuerySet:
    return TrainingClass.objects.select_related(
        "campaign", "institution", "category", "category__department", "occupation"
    )


def class_scope(user: User) -> Q | None:
    """The filter of the classes ``user`` may see; None for every class."""
    if perms.reads_all_classes(user):
        return None
    scope = Q(pk__in=[])
    if user.has_role(Role.INSTITUTION) and user.institution_id is not None:
        scope |= Q(institution_id=user.institution_id)
    if user.has_role(Role.CLERK) and user.department_id is not None:
        scope |= Q(category__department_id=user.department_id)
        scope |= Q(
            pk__in=Inspection.objects.filter(inspector_id=user.pk).values("training_class_id")
        )
    return scope


def class_list_for_user(
    *,
    user: User,
    campaign: Campaign | None = None,
    status: str = "",
    search: str = "",
) -> QuerySet:
    """The classes ``user`` may see, newest first, with institution, category, department and
    occupation loaded and ``enrollment_count`` annotated (one query per page)."""
    qs = _class_queryset()
    scope = class_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if status:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__contains=search) | Q(code__contains=search))
    return qs.annotate(enrollment_count=_enrollment_count()).order_by("-start_date", "-pk")


def class_get_for_user(*, user: User, pk: int) -> TrainingClass:
    """One class ``user`` may see, or Http404."""
    qs = _class_queryset().select_related("specialty__county", "order__occupation").filter(pk=pk)
    scope = class_scope(user)
    if scope is not None:
        qs = qs.filter(scope)
    training_class = qs.first()
    if training_class is None:
        raise Http404
    return training_class


def class_queue_for_user(*, user: User) -> QuerySet:
    """Submitted classes waiting for ``user``'s decision: every one for a 人社 reviewer, those of
    the department's categories for a clerk; never one of the user's own institution."""
    qs = _class_queryset().filter(status=Status.SUBMITTED)
    if not perms.is_reviewer(user):
        if not (user.has_role(Role.CLERK) and user.department_id is not None):
            return qs.none()
        qs = qs.filter(category__department_id=user.department_id)
    if user.institution_id is not None:
        qs = qs.exclude(institution_id=user.institution_id)
    return qs.annotate(enrollment_count=_enrollment_count()).order_by("submitted_at", "pk")


def _enrollment_count() -> Coalesce:
    """The class's enrollments as a correlated subquery: PostgreSQL counts them for the page's
    rows only (after ORDER BY … LIMIT), where a JOIN + GROUP BY counted every enrollment of
    every class first (0.6 s per page at a third of city scale; benchmarks/RESULTS.md)."""
    counted = (
        Enrollment.objects.filter(training_class=OuterRef("pk"))
        .order_by()
        .values("training_class")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@dataclass
class RosterRow:
    enrollment: Enrollment
    attendance: AttendanceStatus
    # session number → present (True/False); missing when the session was not recorded.
    sessions: dict[int, bool]
    referral: JobReferral | None

    @property
    def cells(self) -> list[bool | None]:
        return [self.sessions.get(n) for n in range(1, self.attendance.planned + 1)]


@dataclass
class ClassDetail:
    training_class: TrainingClass
    roster: list[RosterRow]
    inspections: list[Inspection]
    per_session: bool  # attendance kept per session (False: summary sheet or nothing yet)
    sessions: list[int] = field(default_factory=list)

    @property
    def enrolled(self) -> int:
        return len(self.roster)

    @property
    def warnings(self) -> list[RosterRow]:
        return [row for row in self.roster if row.attendance.at_risk]

    @property
    def passed(self) -> int:
        return sum(1 for row in self.roster if row.enrollment.result == Enrollment.Result.PASSED)

    @property
    def failed(self) -> int:
        return sum(1 for row in self.roster if row.enrollment.result == Enrollment.Result.FAILED)

    @property
    def pass_rate(self) -> Decimal | None:
        """Passed among those with a result (合格率)."""
        return percent(self.passed, self.passed + self.failed)

    @property
    def inspections_done(self) -> int:
        return sum(1 for inspection in self.inspections if inspection.done_at is not None)

    @property
    def present_per_session(self) -> list[int]:
        return [sum(1 for row in self.roster if row.sessions.get(n)) for n in self.sessions]


def class_detail(*, training_class: TrainingClass) -> ClassDetail:
    """Everything the class page shows, in four queries whatever the roster's size: the
    enrollments with worker and referral, the attendance records, the inspections with their
    inspector."""
    enrollments = list(
        training_class.enrollments.select_related("worker", "referral").order_by("pk")
    )
    present: dict[int, dict[int, bool]] = {}
    for enrollment_id, session, was_present in AttendanceRecord.objects.filter(
        enrollment__training_class=training_class
    ).values_list("enrollment_id", "session_number", "present"):
        present.setdefault(enrollment_id, {})[session] = was_present
    roster = []
    for enrollment in enrollments:
        try:
            referral = enrollment.referral
        except JobReferral.DoesNotExist:
            referral = None
        roster.append(
            RosterRow(
                enrollment=enrollment,
                attendance=attendance_status(enrollment, training_class),
                sessions=present.get(enrollment.pk, {}),
                referral=referral,
            )
        )
    inspections = list(
        Inspection.objects.filter(training_class=training_class)
        .select_related("inspector")
        .order_by("planned_date")
    )
    return ClassDetail(
        training_class=training_class,
        roster=roster,
        inspections=inspections,
        per_session=bool(present),
        sessions=list(range(1, training_class.planned_sessions + 1)),
    )


def enrollment_get_for_user(*, user: User, pk: int) -> Enrollment:
    """One enrollment of a class ``user`` may see, or Http404."""
    qs = Enrollment.objects.select_related(
        "worker", "training_class__institution", "training_class__campaign"
    ).filter(pk=pk)
    scope = class_scope(user)
    if scope is not None:
        qs = qs.filter(training_class__in=TrainingClass.objects.filter(scope))
    enrollment = qs.first()
    if enrollment is None:
        raise Http404
    return enrollment


def referral_get_for_user(*, user: User, pk: int) -> JobReferral:
    qs = JobReferral.objects.select_related(
        "enrollment__worker", "enrollment__training_class__institution"
    ).filter(pk=pk)
    scope = class_scope(user)
    if scope is not None:
        qs = qs.filter(enrollment__training_class__in=TrainingClass.objects.filter(scope))
    referral = qs.first()
    if referral is None:
        raise Http404
    return referral


# --------------------------------------------------------------------------------------------
# Inspections
# --------------------------------------------------------------------------------------------


def inspection_list_for_user(*, user: User, pending_only: bool = False) -> QuerySet:
    """Spot checks of running and closed classes: all of them for the office and the auditor,
    the user's own assignments for anyone else."""
    qs = Inspection.objects.select_related(
        "training_class__institution", "training_class__category", "inspector"
    ).filter(training_class__status__in=COUNTED_STATUSES)
    if not (perms.can_assign_inspectors(user) or user.has_role(Role.AUDITOR)):
        qs = qs.filter(inspector_id=user.pk)
    if pending_only:
        qs = qs.filter(done_at__isnull=True)
    return qs.order_by("planned_date", "pk")


def inspection_get_for_user(*, user: User, pk: int) -> Inspection:
    """A spot check the user may open: their own assignment (or any, for the office)."""
    inspection = (
        Inspection.objects.select_related(
            "training_class__institution",
            "training_class__category",
            "training_class__campaign",
            "training_class__occupation",
            "inspector",
        )
        .filter(pk=pk)
        .first()
    )
    if inspection is None or not (
        inspection.inspector_id == user.pk or perms.can_assign_inspectors(user)
    ):
        raise Http404
    return inspection


def inspector_candidates(*, training_class: TrainingClass) -> QuerySet:
    """People the office may send to check ``training_class``: active office, reviewer and
    department staff who do not belong to its institution."""
    return (
        User.objects.filter(
            is_active=True, groups__name__in=[role.value for role in perms.INSPECTOR_ROLES]
        )
        .exclude(institution_id=training_class.institution_id)
        .select_related("department")
        .distinct()
        .order_by("department__sort_order", "username")
    )


# --------------------------------------------------------------------------------------------
# "三定" orders
# --------------------------------------------------------------------------------------------


def order_list_for_user(*, user: User, campaign: Campaign, year: int | None = None) -> QuerySet:
    """The orders ``user`` may see (institution staff: their own), with ``progress``: trainees
    enrolled in the order's approved or closed classes that start in the order's year."""
    qs = CooperationOrder.objects.filter(campaign=campaign).select_related(
        "institution", "occupation"
    )
    if not (perms.reads_all_classes(user) or user.has_role(Role.CLERK)):
        qs = qs.filter(institution_id=user.institution_id if user.institution_id else -1)
    if year is not None:
        qs = qs.filter(year=year)
    counted = Q(classes__status__in=COUNTED_STATUSES) & Q(classes__start_date__year=F("year"))
    return qs.annotate(
        progress=Count("classes__enrollments", filter=counted),
        class_count=Count("classes", filter=counted, distinct=True),
    ).order_by("year", "enterprise", "pk")


def order_get_for_user(*, user: User, pk: int) -> CooperationOrder:
    qs = CooperationOrder.objects.select_related("institution", "occupation", "campaign")
    if not (perms.reads_all_classes(user) or user.has_role(Role.CLERK)):
        qs = qs.filter(institution_id=user.institution_id if user.institution_id else -1)
    order = qs.filter(pk=pk).first()
    if order is None:
        raise Http404
    return order
