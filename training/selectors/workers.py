"""Reads of the worker base (人力资源信息库), scoped to what the user may see.

Office, auditor and 人社 reviewers see every worker; institution staff see the workers enrolled in
their institution's classes or registered at its points; a worker sees only themself (through
``worker_of_user``, never by id). Anyone else is refused.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from core.crypto import keyed_hash
from core.models import User
from core.validators import parse_resident_id
from training.models import Enrollment, TrainingClass, Worker
from training.permissions import workers as perms


def _institution_scope(institution_id: int) -> Q:
    enrolled_here = Enrollment.objects.filter(
        worker=OuterRef("pk"), training_class__institution_id=institution_id
    )
    return Q(registered_at__institution_id=institution_id) | Q(Exists(enrolled_here))


def worker_queryset_for(user: User) -> QuerySet:
    """Every worker ``user`` may see (PermissionDenied when the user may see none)."""
    if perms.can_read_all_workers(user):
        return Worker.objects.all()
    if perms.is_institution_staff(user):
        return Worker.objects.filter(_institution_scope(user.institution_id))
    raise PermissionDenied


def worker_scope_or_none(user: User) -> QuerySet:
    """``worker_queryset_for``, with no workers rather than PermissionDenied (for core.reveal)."""
    try:
        return worker_queryset_for(user)
    except PermissionDenied:
        return Worker.objects.none()


def worker_in_scope(*, user: User, worker: Worker) -> bool:
    """Whether ``user`` may see ``worker`` (one query for institution staff)."""
    try:
        return worker_queryset_for(user).filter(pk=worker.pk).exists()
    except PermissionDenied:
        return False


def worker_list(*, user: User, name: str = "") -> QuerySet:
    """The workers ``user`` may see, optionally those whose name contains ``name``; with the
    county and groups loaded (two queries per page whatever its length)."""
    qs = worker_queryset_for(user)
    name = name.strip()
    if name:
        qs = qs.filter(name__contains=name)
    return qs.select_related("county").prefetch_related("groups").order_by("name", "pk")


def worker_find_by_id_number(*, user: User, id_number: str) -> Worker | None:
    """The one worker with this full ID number among those ``user`` may see.

    The number is looked up by its keyed hash: it is never stored or compared in clear.
    Raises ValidationError when the number itself is invalid.
    """
    number = parse_resident_id(id_number).number
    return worker_list(user=user).filter(id_number_hash=keyed_hash(number)).first()


def worker_get_for_user(*, user: User, pk: int) -> Worker:
    """One worker, or Http404 when it does not exist or ``user`` may not see it (so a guessed
    id tells nothing)."""
    worker = (
        worker_queryset_for(user)
        .select_related("county", "user", "registered_at", "registered_at__institution")
        .prefetch_related("groups")
        .filter(pk=pk)
        .first()
    )
    if worker is None:
        raise Http404
    return worker


def worker_of_user(user: User) -> Worker:
    """The signed-in worker's own record; Http404 for an account that is not a worker's."""
    worker = (
        Worker.objects.select_related("county", "registered_at")
        .prefetch_related("groups")
        .filter(user_id=user.pk)
        .first()
    )
    if worker is None:
        raise Http404
    return worker


@dataclass(frozen=True)
class HistoryRow:
    """One enrollment as the worker (or staff) sees it."""

    enrollment: Enrollment
    training_class: TrainingClass
    attendance_rate: Decimal | None
    # The trainee can no longer reach the campaign's attendance threshold even by attending
    # every remaining session (no subsidy for them).
    attendance_warning: bool
    referral: object | None

    @property
    def attendance_percent(self) -> Decimal | None:
        if self.attendance_rate is None:
            return None
        return (self.attendance_rate * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def worker_history(*, worker: Worker, institution_id: int | None = None) -> list[HistoryRow]:
    """The worker's enrollments, newest class first (one query). Institution staff pass their
    ``institution_id`` and see only their own classes."""
    qs = Enrollment.objects.filter(worker=worker).select_related(
        "training_class",
        "training_class__institution",
        "training_class__occupation",
        "campaign",
        "referral",
    )
    if institution_id is not None:
        qs = qs.filter(training_class__institution_id=institution_id)
    rows = []
    for enrollment in qs.order_by("-training_class__start_date", "-pk"):
        tc = enrollment.training_class
        rate = enrollment.attendance_rate(tc.planned_sessions) if tc.planned_sessions else None
        threshold = enrollment.campaign.attendance_threshold
        warning = False
        if tc.status == TrainingClass.Status.APPROVED and tc.planned_sessions:
            best = Decimal(
                enrollment.sessions_attended + tc.planned_sessions - tc.sessions_held
            ) / Decimal(tc.planned_sessions)
            warning = best < threshold
        rows.append(
            HistoryRow(
                enrollment=enrollment,
                training_class=tc,
                attendance_rate=rate,
                attendance_warning=warning,
                # A missing reverse one-to-one raises an AttributeError subclass.
                referral=getattr(enrollment, "referral", None),
            )
        )
    return rows
