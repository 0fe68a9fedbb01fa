"""Scoped reads of claims, entrustments and what a worker or institution can claim.

A worker sees only their own; institution staff only their institution's trainees and claims.
An object outside the user's scope is simply not found (the view turns that into a 404)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404

from appraisal.models import Certificate
from subsidies import permissions as perms
from subsidies.models import (
    LIVE_STATUSES,
    ClaimStatusChange,
    ClaimWindow,
    Entrustment,
    SubsidyClaim,
    SubsidyStandard,
)
from subsidies.services.eligibility import SHORTAGE_LEVELS
from training.models import Enrollment, TrainingClass

_CLAIM_RELATED = ("worker", "occupation", "institution", "enrollment__training_class")


def claims_of_worker(worker) -> QuerySet[SubsidyClaim]:
    return (
        SubsidyClaim.objects.filter(worker=worker)
        .select_related(*_CLAIM_RELATED)
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=ClaimStatusChange.objects.order_by("created_at", "id"),
            )
        )
        .order_by("-submitted_at", "-id")
    )


def claim_for_worker(user, pk: int) -> SubsidyClaim:
    """The worker's own claim, or 404 (another worker's claim is not found, not forbidden)."""
    worker = perms.worker_of(user)
    if worker is None:
        raise Http404
    claim = claims_of_worker(worker).filter(pk=pk).first()
    if claim is None:
        raise Http404
    return claim


def enrollments_of_worker(worker) -> QuerySet[Enrollment]:
    """The worker's trainings, newest first, with what the eligibility check reads."""
    return (
        Enrollment.objects.filter(worker=worker)
        .select_related(
            "training_class__occupation",
            "training_class__institution",
            "training_class__category",
            "campaign",
        )
        .order_by("-training_class__end_date", "-id")
    )


def certificates_of_worker(worker) -> QuerySet[Certificate]:
    return (
        Certificate.objects.filter(worker=worker)
        .select_related("occupation")
        .order_by("-issued_on", "-id")
    )


def enrollment_for_worker(user, pk: int) -> Enrollment:
    worker = perms.worker_of(user)
    if worker is None:
        raise Http404
    enrollment = enrollments_of_worker(worker).filter(pk=pk).first()
    if enrollment is None:
        raise Http404
    return enrollment


def certificate_for_worker(user, pk: int) -> Certificate:
    worker = perms.worker_of(user)
    if worker is None:
        raise Http404
    certificate = certificates_of_worker(worker).filter(pk=pk).first()
    if certificate is None:
        raise Http404
    return certificate


def worker_with_facts(worker):
    """The worker with the groups and certificates every eligibility check reads, prefetched."""
    from training.models import Worker

    return Worker.objects.prefetch_related("groups", "certificates__occupation").get(pk=worker.pk)


def active_entrustments_of_worker(worker) -> dict[int, Entrustment]:
    """Active entrustments keyed by enrollment id."""
    return {
        e.enrollment_id: e
        for e in Entrustment.objects.filter(
            worker=worker, status=Entrustment.Status.ACTIVE
        ).select_related("institution")
    }


# --------------------------------------------------------------------------------------------
# Institution staff
# --------------------------------------------------------------------------------------------


def entrusted_trainees(institution) -> QuerySet[Enrollment]:
    """Enrollments of the institution's trainees with an active entrustment to it, annotated
    ``has_live_claim``."""
    live = SubsidyClaim.objects.filter(
        enrollment=OuterRef("pk"), kind="training", status__in=LIVE_STATUSES
    )
    return (
        Enrollment.objects.filter(
            training_class__institution=institution,
            entrustments__institution=institution,
            entrustments__status=Entrustment.Status.ACTIVE,
        )
        .select_related("worker", "training_class__occupation")
        .annotate(has_live_claim=Exists(live))
        .order_by("training_class__code", "worker__name", "id")
        .distinct()
    )


def unentrusted_trainees(institution) -> QuerySet[Enrollment]:
    """Enrollments in the institution's classes with no active entrustment, annotated
    ``has_own_claim`` (the worker's own live claim for the training: no entrustment then)."""
    entrusted = Entrustment.objects.filter(
        enrollment=OuterRef("pk"), status=Entrustment.Status.ACTIVE
    )
    own = SubsidyClaim.objects.filter(
        enrollment=OuterRef("pk"),
        payee_kind=SubsidyClaim.PayeeKind.PERSON,
        status__in=LIVE_STATUSES,
    )
    return (
        Enrollment.objects.filter(training_class__institution=institution)
        .exclude(Exists(entrusted))
        .select_related("worker", "training_class__occupation")
        .annotate(has_own_claim=Exists(own))
        .order_by("training_class__code", "worker__name", "id")
    )


def enrollment_for_institution(user, pk: int) -> Enrollment:
    """An enrollment in a class of the user's institution, or 404 (another institution's
    trainee is not found, not forbidden)."""
    if not perms.is_institution_staff(user):
        raise Http404
    enrollment = (
        Enrollment.objects.filter(training_class__institution_id=user.institution_id, pk=pk)
        .select_related("worker", "training_class__institution", "training_class__occupation")
        .first()
    )
    if enrollment is None:
        raise Http404
    return enrollment


def shortage_candidates(institution) -> QuerySet[Certificate]:
    """技师/高级技师 certificates in 急需紧缺 occupations held by workers the institution trained
    in a closed class of that occupation; annotated ``has_live_claim``."""
    trained = Enrollment.objects.filter(
        worker=OuterRef("worker"),
        training_class__institution=institution,
        training_class__occupation=OuterRef("occupation"),
        training_class__status=TrainingClass.Status.CLOSED,
    )
    live = SubsidyClaim.objects.filter(
        worker=OuterRef("worker"),
        occupation=OuterRef("occupation"),
        level=OuterRef("level"),
        kind="shortage",
        status__in=LIVE_STATUSES,
    )
    return (
        Certificate.objects.filter(level__in=SHORTAGE_LEVELS, occupation__is_shortage=True)
        .filter(Exists(trained))
        .select_related("worker", "occupation")
        .annotate(has_live_claim=Exists(live))
        .order_by("-issued_on", "id")
    )


def claims_of_institution(institution) -> QuerySet[SubsidyClaim]:
    """Claims the institution submitted or is the payee of."""
    return (
        SubsidyClaim.objects.filter(institution=institution)
        .select_related(*_CLAIM_RELATED)
        .order_by("-submitted_at", "-id")
    )


def claim_for_institution(user, pk: int) -> SubsidyClaim:
    if not perms.is_institution_staff(user):
        raise Http404
    claim = (
        claims_of_institution(user.institution_id)
        .prefetch_related("status_changes")
        .filter(pk=pk)
        .first()
    )
    if claim is None:
        raise Http404
    return claim


# --------------------------------------------------------------------------------------------
# Standards and windows
# --------------------------------------------------------------------------------------------


def standards(campaign) -> QuerySet[SubsidyStandard]:
    return (
        SubsidyStandard.objects.filter(campaign=campaign)
        .select_related("category", "occupation", "set_by")
        .order_by("kind", "training_kind", "level", "-effective_from", "id")
    )


def windows(campaign) -> QuerySet[ClaimWindow]:
    return (
        ClaimWindow.objects.filter(campaign=campaign)
        .select_related("set_by")
        .order_by("kind", "opens_on")
    )
