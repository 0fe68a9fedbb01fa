"""The reviewer's queue and claim detail (人社): scoped, filtered, bounded queries.

A reviewer never sees, in the queue or by URL, a claim they may not decide: their own (as the
worker or the submitter) or one of their own institution (the claiming institution or the class's
institution). Such a claim is simply not found (404).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from core.models import User
from subsidies.models import ClaimStatusChange, SubsidyClaim
from subsidies.services.review import is_reviewer

_RELATED = (
    "worker",
    "worker__county",
    "occupation",
    "institution",
    "enrollment__training_class__institution",
    "enrollment__training_class__category",
    "certificate",
    "entrustment",
    "decided_by",
)
# The queue's default: what waits for a decision.
QUEUE_STATUSES = ("submitted", "under_review")


def reviewable_claims(user: User) -> QuerySet[SubsidyClaim]:
    """Every claim the reviewer may see and decide, conflicts of interest excluded."""
    if not is_reviewer(user):
        return SubsidyClaim.objects.none()
    conflicts = Q(submitted_by=user) | Q(worker__user=user)
    if user.institution_id:
        conflicts |= Q(institution_id=user.institution_id) | Q(
            enrollment__training_class__institution_id=user.institution_id
        )
    return SubsidyClaim.objects.exclude(conflicts).select_related(*_RELATED)


@dataclass(frozen=True)
class QueueFilters:
    kind: str = ""
    status: str = ""
    institution: int | None = None
    county: int | None = None
    channel: str = ""
    submitted_from: datetime.date | None = None
    submitted_to: datetime.date | None = None


def review_queue(user: User, filters: QueueFilters) -> QuerySet[SubsidyClaim]:
    """The queue, oldest submission first (first come, first served); by default the claims
    waiting for a decision."""
    queryset = reviewable_claims(user)
    if filters.status == "all":
        pass
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    else:
        queryset = queryset.filter(status__in=QUEUE_STATUSES)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.institution:
        queryset = queryset.filter(
            Q(institution_id=filters.institution)
            | Q(enrollment__training_class__institution_id=filters.institution)
        )
    if filters.county:
        queryset = queryset.filter(worker__county_id=filters.county)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.submitted_from:
        queryset = queryset.filter(submitted_at__date__gte=filters.submitted_from)
    if filters.submitted_to:
        queryset = queryset.filter(submitted_at__date__lte=filters.submitted_to)
    return queryset.order_by("submitted_at", "pk")


def claim_for_reviewer(user: User, pk: int) -> SubsidyClaim:
    """One claim with its history, or 404 when the reviewer may not see it."""
    claim = (
        reviewable_claims(user)
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=ClaimStatusChange.objects.select_related("actor").order_by(
                    "created_at", "id"
                ),
            )
        )
        .filter(pk=pk)
        .first()
    )
    if claim is None:
        raise Http404
    return claim
