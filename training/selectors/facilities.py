"""Reads of the "1688" programme: progress per target and the facilities, scoped to the user.

Progress per target = facilities *completed or accepted* ÷ the target's figure, as a percentage
with one decimal (half up, ``core.exports.percent``). A facility under construction does not
count; one that is built but still awaiting acceptance does. 79 of 80 service centres is 98.8%,
not done; 80 of 80 is 100.0% and done; more than the figure is allowed (over 100%).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from core.exports import percent
from core.models import User
from core.permissions import is_city_wide_reader, is_office
from core.roles import Role
from training.models import Campaign, Facility, FacilityEvidence, FacilityTarget
from training.permissions import facilities as perms

Status = Facility.Status


@dataclass(frozen=True)
class TargetProgress:
    target: FacilityTarget
    counted: int  # completed or accepted
    accepted: int
    under_construction: int
    planned: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.counted, self.target.figure)

    @property
    def achieved(self) -> bool:
        return self.counted >= self.target.figure

    @property
    def remaining(self) -> int:
        return max(self.target.figure - self.counted, 0)


def facility_progress(*, campaign: Campaign) -> list[TargetProgress]:
    """One row per target in plan order (one query)."""
    targets = (
        FacilityTarget.objects.filter(campaign=campaign)
        .select_related("department")
        .annotate(
            n_counted=Count("facilities", filter=Q(facilities__status__in=Facility.COUNTED)),
            n_accepted=Count("facilities", filter=Q(facilities__status=Status.ACCEPTED)),
            n_building=Count("facilities", filter=Q(facilities__status=Status.UNDER_CONSTRUCTION)),
            n_planned=Count("facilities", filter=Q(facilities__status=Status.PLANNED)),
        )
        .order_by("sort_order", "pk")
    )
    return [
        TargetProgress(
            target=t,
            counted=t.n_counted,
            accepted=t.n_accepted,
            under_construction=t.n_building,
            planned=t.n_planned,
        )
        for t in targets
    ]


def _scoped(*, user: User, campaign: Campaign) -> QuerySet:
    qs = Facility.objects.filter(target__campaign=campaign)
    if is_city_wide_reader(user):
        return qs
    if user.is_authenticated and user.has_role(Role.CLERK) and user.department_id is not None:
        return qs.filter(target__department_id=user.department_id)
    return qs.none()


def facility_list_for_user(
    *, user: User, campaign: Campaign, kind: str = "", status: str = "", county: str = ""
) -> QuerySet:
    qs = _scoped(user=user, campaign=campaign)
    if kind in FacilityTarget.Kind.values:
        qs = qs.filter(target__kind=kind)
    if status in Status.values:
        qs = qs.filter(status=status)
    if county:
        qs = qs.filter(county__code=county)
    return (
        qs.select_related("target", "county")
        .annotate(evidence_count=Count("evidence"))
        .order_by("target__sort_order", "county__sort_order", "name")
    )


def facility_get_for_user(*, user: User, pk: int) -> Facility:
    facility = (
        Facility.objects.select_related("target", "target__department", "county")
        .filter(pk=pk)
        .first()
    )
    if facility is None or not perms.can_view_facility(user, facility.target):
        raise Http404("没有该项目")
    return facility


def facility_evidence(*, facility: Facility) -> QuerySet:
    return FacilityEvidence.objects.filter(facility=facility).select_related("uploaded_by")


def evidence_get_for_user(*, user: User, facility_pk: int, pk: int) -> FacilityEvidence:
    facility = facility_get_for_user(user=user, pk=facility_pk)
    item = FacilityEvidence.objects.filter(facility=facility, pk=pk).first()
    if item is None:
        raise Http404("没有该证明材料")
    return item


def targets_for_user(*, user: User, campaign: Campaign) -> QuerySet:
    """The targets under which the user may register facilities."""
    qs = FacilityTarget.objects.filter(campaign=campaign).order_by("sort_order")
    if is_office(user):
        return qs
    if user.is_authenticated and user.has_role(Role.CLERK) and user.department_id is not None:
        return qs.filter(department_id=user.department_id)
    return qs.none()


def facility_home_panel(*, user: User, campaign: Campaign | None) -> dict | None:
    """Progress per target for the home page (one query)."""
    if campaign is None or not is_city_wide_reader(user):
        return None
    rows = facility_progress(campaign=campaign)
    if not rows:
        return None
    return {"rows": rows}
