"""Reads of the teachers area, scoped to the user: teacher lists, one teacher, and the share of
teachers with a bachelor's degree or above (本科及以上) per institution and city-wide against the
plan's goal.

The share counts ACTIVE teachers, full- and part-time alike: the plan's goal is about the
teachers who teach ("本科以上学历的教师达到40%以上"), and part-time teachers are teachers too.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from core.exports import percent
from core.models import User
from core.roles import Role
from training.models import (
    Institution,
    Teacher,
    TeacherGoal,
    TeacherTraining,
    TrainingClass,
)
from training.permissions import teachers as perms

BACHELOR_Q = Q(education__in=sorted(Teacher.BACHELOR_OR_ABOVE))


@dataclass(frozen=True)
class Share:
    """``bachelors`` of ``total`` active teachers against ``goal`` (a fraction, e.g. 0.40)."""

    total: int
    bachelors: int
    goal: Decimal | None

    @property
    def percent(self) -> Decimal | None:
        return percent(self.bachelors, self.total)

    @property
    def goal_percent(self) -> str:
        return goal_percent_text(self.goal)

    @property
    def meets_goal(self) -> bool | None:
        """At or above the goal (2 of 5 = 40% meets a 40% goal). Compared exactly — bachelors ≥
        goal × total — so a rounded percentage never decides it. None without teachers or goal."""
        if self.goal is None or not self.total:
            return None
        return Decimal(self.bachelors) >= self.goal * self.total


def goal_percent_text(goal: Decimal | None) -> str:
    """0.400 → "40"."""
    return "" if goal is None else f"{(goal * 100).normalize():f}"


def goal_percent(goal: TeacherGoal | None) -> str:
    return goal_percent_text(goal.bachelor_share if goal else None)


def teacher_goal(*, campaign) -> TeacherGoal | None:
    if campaign is None:
        return None
    return TeacherGoal.objects.filter(campaign=campaign).first()


def teacher_list(*, user: User, institution: Institution | None = None) -> QuerySet:
    """Teachers the user may see (all for the readers, their own institution's for its staff,
    none otherwise), optionally of one institution, with the number of classes each teaches."""
    qs = Teacher.objects.select_related("institution").annotate(
        class_count=Count("class_links", distinct=True)
    )
    if not perms.can_read_all_teachers(user):
        if user.is_authenticated and user.institution_id is not None:
            qs = qs.filter(institution_id=user.institution_id)
        else:
            return qs.none()
    if institution is not None:
        qs = qs.filter(institution=institution)
    return qs.order_by("institution__name", "-is_active", "name")


def teacher_get_for_user(*, user: User, pk: int) -> Teacher:
    """One teacher with their further training, or 404 (also for another institution's)."""
    teacher = (
        Teacher.objects.select_related("institution")
        .prefetch_related(
            Prefetch("trainings", queryset=TeacherTraining.objects.order_by("-start_date")),
            Prefetch("classes", queryset=TrainingClass.objects.order_by("-start_date", "code")),
        )
        .filter(pk=pk)
        .first()
    )
    if teacher is None or not perms.can_view_teacher(user, teacher):
        raise Http404
    return teacher


_UNSET = object()


def shares_by_institution(
    *, user: User, campaign, goal: TeacherGoal | object | None = _UNSET
) -> list[tuple[Institution, Share]]:
    """Each institution the user may see that has teachers, with its share. One query (plus
    the goal, unless the caller passes it)."""
    if goal is _UNSET:
        goal = teacher_goal(campaign=campaign)
    goal_value = goal.bachelor_share if goal else None
    qs = Institution.objects.filter(teachers__isnull=False).distinct()
    if not perms.can_read_all_teachers(user):
        if user.is_authenticated and user.institution_id is not None:
            qs = qs.filter(pk=user.institution_id)
        else:
            return []
    rows = qs.annotate(
        total=Count("teachers", filter=Q(teachers__is_active=True), distinct=True),
        bachelors=Count(
            "teachers",
            filter=Q(
                teachers__is_active=True,
                teachers__education__in=sorted(Teacher.BACHELOR_OR_ABOVE),
            ),
            distinct=True,
        ),
    ).order_by("name")
    return [(row, Share(row.total, row.bachelors, goal_value)) for row in rows]


def city_share(*, campaign, goal: TeacherGoal | object | None = _UNSET) -> Share:
    """The city-wide share over every institution's active teachers. One query (plus the goal,
    unless the caller passes it)."""
    if goal is _UNSET:
        goal = teacher_goal(campaign=campaign)
    totals = Teacher.objects.filter(is_active=True).aggregate(
        total=Count("id"), bachelors=Count("id", filter=BACHELOR_Q)
    )
    return Share(totals["total"], totals["bachelors"], goal.bachelor_share if goal else None)


def classes_for_assignment(*, user: User) -> list[TrainingClass]:
    """The institution's classes whose teachers can still be named (not closed, not refused),
    with their named teachers. Empty for anyone but institution staff. Two queries."""
    if not (user.is_authenticated and user.institution_id is not None):
        return []
    if not user.has_role(Role.INSTITUTION):
        return []
    open_statuses = [
        TrainingClass.Status.DRAFT,
        TrainingClass.Status.SUBMITTED,
        TrainingClass.Status.APPROVED,
    ]
    return list(
        TrainingClass.objects.filter(institution_id=user.institution_id, status__in=open_statuses)
        .prefetch_related(Prefetch("teacher_set", queryset=Teacher.objects.order_by("name")))
        .order_by("-start_date", "code")
    )


def class_teacher_choices(*, training_class: TrainingClass) -> QuerySet:
    """The teachers that may be named on a class: the institution's active ones."""
    return Teacher.objects.filter(
        institution_id=training_class.institution_id, is_active=True
    ).order_by("name")


def class_get_for_teachers(*, user: User, pk: int) -> TrainingClass:
    """A class whose teachers the user may name, or 404 (another institution's class too)."""
    training_class = TrainingClass.objects.select_related("institution").filter(pk=pk).first()
    if training_class is None or not perms.can_assign_class_teachers(user, training_class):
        raise Http404
    return training_class


def home_panel(*, user: User, campaign) -> dict | None:
    """Dashboard panel: the city-wide share against the goal and the institutions below it.
    Three queries (plus the user's roles) whatever the number of institutions."""
    if campaign is None:
        return None
    goal = teacher_goal(campaign=campaign)
    share = city_share(campaign=campaign, goal=goal)
    below = [
        (institution, s)
        for institution, s in shares_by_institution(user=user, campaign=campaign, goal=goal)
        if s.meets_goal is False
    ]
    return {"share": share, "below": below[:5], "below_count": len(below)}
