"""Reads of skill appraisal, scoped to what the user may see, with related rows loaded.

Besides the pages' own reads, this module is the app's face to the others:
* ``certificates_for_worker`` — a worker's certificates, for the worker's page in training;
* ``appraisal_passes_for_worker`` / ``appraisal_subsidy_candidates`` — who passed an appraisal,
  when, at which body, in what, and whether they entrusted the claim (the one-time appraisal
  subsidy in subsidies);
* ``appraisals_achieved`` / ``high_skilled_achieved`` — the headline-target providers that
  ``appraisal.apps`` registers with ``training.progress``; ``results_in_period`` and
  ``high_skilled_certificates`` are the row sets behind them, for reports that must agree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from appraisal import permissions as perms
from appraisal.models import (
    HIGH_SKILLED,
    AppraisalBody,
    BodyAuthorisation,
    Certificate,
    LevelRule,
    Registration,
    Sitting,
)
from core import clock
from core.crypto import keyed_hash
from core.models import User
from core.permissions import is_city_wide_reader
from core.roles import Role
from core.validators import parse_resident_id
from training.models import Campaign, Worker

SEATED = ("scheduled", "passed", "failed", "absent")

# --------------------------------------------------------------------------------------------
# Bodies and rules
# --------------------------------------------------------------------------------------------


def level_rule_list() -> QuerySet:
    return LevelRule.objects.order_by("-level")


def body_list(*, user: User) -> QuerySet:
    """Every body, with counts, for reviewers and city-wide readers."""
    if not perms.can_view_bodies(user):
        raise PermissionDenied
    return (
        AppraisalBody.objects.select_related("county")
        .annotate(
            authorisation_count=Count("authorisations", distinct=True),
            staff_count=Count("staff", distinct=True),
        )
        .order_by("name")
    )


def body_get(*, user: User, pk: int) -> AppraisalBody:
    if not perms.can_view_bodies(user):
        raise PermissionDenied
    body = AppraisalBody.objects.select_related("county").filter(pk=pk).first()
    if body is None:
        raise Http404
    return body


def body_authorisations(body: AppraisalBody) -> QuerySet:
    return BodyAuthorisation.objects.filter(body=body).select_related("occupation")


def body_staff_candidates() -> QuerySet:
    """Users who may be body staff: active 人社 reviewers."""
    return User.objects.filter(is_active=True, groups__name=Role.REVIEWER.value).order_by(
        "username"
    )


def bodies_of_staff(user: User) -> QuerySet:
    """The bodies ``user`` works for (as a reviewer on their staff list)."""
    return AppraisalBody.objects.filter(pk__in=perms.staff_body_ids(user)).order_by("name")


# --------------------------------------------------------------------------------------------
# Sittings
# --------------------------------------------------------------------------------------------


def sitting_list(*, user: User) -> QuerySet:
    """Sittings of the bodies ``user`` staffs (office and auditor: all), with seat and result
    counts annotated (one query per page)."""
    if is_city_wide_reader(user):
        qs = Sitting.objects.all()
    else:
        body_ids = perms.staff_body_ids(user)
        if not body_ids:
            raise PermissionDenied
        qs = Sitting.objects.filter(body_id__in=body_ids)
    return (
        qs.select_related("body", "occupation")
        .annotate(
            seated=Count("registrations", filter=Q(registrations__status__in=SEATED)),
            passed=Count("registrations", filter=Q(registrations__status="passed")),
            failed=Count("registrations", filter=Q(registrations__status="failed")),
            absent=Count("registrations", filter=Q(registrations__status="absent")),
        )
        .order_by("-exam_date", "-pk")
    )


def sitting_get_for_user(*, user: User, pk: int) -> Sitting:
    """One sitting, or Http404 when it does not exist or belongs to a body the user does not
    staff (a guessed id tells nothing)."""
    sitting = Sitting.objects.select_related("body", "occupation").filter(pk=pk).first()
    if sitting is None or not perms.can_view_sitting(user, sitting):
        raise Http404
    return sitting


def sitting_registrations(sitting: Sitting) -> QuerySet:
    return (
        Registration.objects.filter(sitting=sitting)
        .select_related("worker", "certificate", "point", "training_class")
        .order_by("pk")
    )


def schedule_candidates(sitting: Sitting) -> QuerySet:
    """Registrations waiting for a sitting of this occupation and level, oldest first."""
    return (
        Registration.objects.filter(
            occupation_id=sitting.occupation_id,
            level=sitting.level,
            status=Registration.Status.REGISTERED,
        )
        .select_related("worker", "point", "training_class")
        .order_by("created_at", "pk")
    )


# --------------------------------------------------------------------------------------------
# Registrations
# --------------------------------------------------------------------------------------------


def _registrations() -> QuerySet:
    return Registration.objects.select_related(
        "worker",
        "occupation",
        "point",
        "training_class",
        "training_class__institution",
        "sitting",
        "sitting__body",
        "registered_by",
    )


def registration_queryset_for(user: User) -> QuerySet:
    """The registrations ``user`` sees as registration-point staff (or all, for reviewers and
    city-wide readers). Institution staff: those taken at their institution's points or from
    its classes. Department clerks: those taken by their department at the other points."""
    if perms.reads_all_registrations(user):
        return Registration.objects.all()
    if perms.is_institution_staff(user):
        institution_id = user.institution_id
        return Registration.objects.filter(
            Q(point__institution_id=institution_id)
            | Q(training_class__institution_id=institution_id)
        )
    if perms.is_desk_staff(user):
        return Registration.objects.filter(
            point__isnull=False,
            point__institution__isnull=True,
            registered_by__department_id=user.department_id,
        )
    raise PermissionDenied


def registration_list(*, user: User, status: str = "", name: str = "") -> QuerySet:
    qs = registration_queryset_for(user)
    if status in Registration.Status.values:
        qs = qs.filter(status=status)
    name = name.strip()
    if name:
        qs = qs.filter(worker__name__contains=name)
    return qs.select_related(
        "worker", "occupation", "point", "training_class", "sitting", "sitting__body"
    ).order_by("-created_at", "-pk")


def registration_get_for_user(*, user: User, pk: int) -> Registration:
    """One registration the user took (or may read), else Http404."""
    try:
        qs = registration_queryset_for(user)
    except PermissionDenied:
        raise Http404 from None
    registration = _registrations().filter(pk__in=qs.filter(pk=pk).values("pk")).first()
    if registration is None:
        raise Http404
    return registration


def registrations_of_worker(worker: Worker) -> QuerySet:
    """A worker's own registrations, newest first (for their page)."""
    return (
        _registrations()
        .filter(worker=worker)
        .select_related("certificate")
        .order_by("-created_at", "-pk")
    )


def worker_find_by_id_number(*, id_number: str) -> Worker | None:
    """The worker with this full ID number (looked up by keyed hash), for point staff
    registering someone at a desk. The caller shows only the masked number. Raises
    ValidationError when the number itself is invalid."""
    number = parse_resident_id(id_number, today=clock.today()).number
    return Worker.objects.filter(id_number_hash=keyed_hash(number)).first()


# --------------------------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------------------------


def certificates_for_worker(worker: Worker) -> QuerySet:
    """A worker's certificates, newest first, with occupation, body and class loaded (one query).
    For the worker's own page (training's ``worker_me`` may include
    ``appraisal/certificates/_worker_certificates.html`` with ``certificates`` set to this)."""
    return (
        Certificate.objects.filter(worker=worker)
        .select_related("occupation", "body", "training_class")
        .order_by("-issued_on", "-pk")
    )


@dataclass(frozen=True)
class CertificateCheck:
    """What the public check may show: nothing but the certificate's own facts."""

    number: str
    kind: str
    occupation: str
    level: str
    issued_on: datetime.date
    issuer: str


def certificate_verify(*, number: str, name: str) -> CertificateCheck | None:
    """The certificate with ``number`` whose holder is named ``name``, or None — the same None for
    an unknown number and for a wrong name, so the check cannot be used to learn names."""
    number = (number or "").strip().upper()
    name = (name or "").strip()
    if not number or not name or len(number) > 32 or len(name) > 64:
        return None
    certificate = (
        Certificate.objects.select_related("occupation", "worker")
        .filter(number=number, worker__name=name)
        .first()
    )
    if certificate is None:
        return None
    return CertificateCheck(
        number=certificate.number,
        kind=certificate.get_kind_display(),
        occupation=certificate.occupation.name,
        level=certificate.get_level_display(),
        issued_on=certificate.issued_on,
        issuer=certificate.issuer_name,
    )


# --------------------------------------------------------------------------------------------
# For subsidies: the one-time appraisal subsidy (一次性职业技能鉴定补贴)
# --------------------------------------------------------------------------------------------


def _passes() -> QuerySet:
    return Registration.objects.filter(status=Registration.Status.PASSED).select_related(
        "worker",
        "occupation",
        "sitting",
        "sitting__body",
        "certificate",
        "point",
        "point__institution",
        "training_class",
        "training_class__institution",
    )


def appraisal_passes_for_worker(worker: Worker) -> QuerySet:
    """Every appraisal ``worker`` passed, newest exam first. Each row is a ``Registration``:
    ``worker``; ``sitting.exam_date`` (when); ``sitting.body`` (which body); ``occupation``;
    ``level`` (``get_level_display()``); ``certificate`` (number, issued_on);
    ``entrusted_to_claim`` (the worker entrusted the claim); ``training_class.institution`` or
    ``point.institution`` — the training institution that took the registration, if any, which
    may claim instead of the body."""
    return _passes().filter(worker=worker).order_by("-sitting__exam_date", "-pk")


def appraisal_subsidy_candidates(*, campaign: Campaign, worker: Worker | None = None) -> QuerySet:
    """Appraisal passes whose exam fell within ``campaign``'s dates (optionally of one worker):
    the people who may claim the one-time appraisal subsidy. Rows as in
    ``appraisal_passes_for_worker``."""
    qs = _passes().filter(
        sitting__exam_date__gte=campaign.start_date, sitting__exam_date__lte=campaign.end_date
    )
    if worker is not None:
        qs = qs.filter(worker=worker)
    return qs.order_by("sitting__exam_date", "pk")


# --------------------------------------------------------------------------------------------
# Headline targets (registered in appraisal.apps)
# --------------------------------------------------------------------------------------------


def _period_end(campaign: Campaign, until: datetime.date) -> datetime.date:
    return min(until, campaign.end_date)


def results_in_period(*, campaign: Campaign, until: datetime.date) -> QuerySet:
    """Appraisals taken (职业技能鉴定, person-times): results recorded — passed or failed, not
    absent — whose exam date lies in the campaign from its start to ``until``."""
    return Registration.objects.filter(
        status__in=Registration.RESULT_STATUSES,
        sitting__exam_date__gte=campaign.start_date,
        sitting__exam_date__lte=_period_end(campaign, until),
    )


def high_skilled_certificates(*, campaign: Campaign, until: datetime.date) -> QuerySet:
    """High-skilled talents (高技能人才): certificates of 高级工 or above issued in the campaign
    from its start to ``until`` (from sittings and from enterprise evaluations alike)."""
    return Certificate.objects.filter(
        level__in=sorted(HIGH_SKILLED),
        issued_on__gte=campaign.start_date,
        issued_on__lte=_period_end(campaign, until),
    )


def appraisals_achieved(
    *, campaign: Campaign, until: datetime.date, accepted_only: bool = False
) -> int:
    """Provider for the "appraisal" target. Results are facts, not reports: ``accepted_only``
    changes nothing."""
    return results_in_period(campaign=campaign, until=until).count()


def high_skilled_achieved(
    *, campaign: Campaign, until: datetime.date, accepted_only: bool = False
) -> int:
    """Provider for the "high_skilled" target (certificates are facts: ``accepted_only`` is
    ignored)."""
    return high_skilled_certificates(campaign=campaign, until=until).count()


def certificates_by_occupation(*, start: datetime.date, end: datetime.date) -> dict[int, int]:
    """Supply provider "certified" for training's supply–demand analysis
    (``training.labour_supply``): certificates issued from ``start`` to ``end`` inclusive, counted
    per occupation id. One query."""
    return dict(
        Certificate.objects.filter(issued_on__gte=start, issued_on__lte=end)
        .values("occupation")
        .annotate(n=Count("id"))
        .values_list("occupation", "n")
    )
