"""Reads of the institutions area, scoped to what the user may see: the registry, one
institution's page, the annual assessments, registration points and the public handbook."""

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from core.models import County, User
from training.models import (
    Campaign,
    Institution,
    InstitutionAssessment,
    PopulationGroup,
    Programme,
    RegistrationPoint,
)
from training.permissions import institutions as perms


def percent_text(fraction: Decimal) -> str:
    """0.799 → "79.9%", 0.8 → "80%". Rounded down, so a rate below a threshold never reads as
    the threshold itself."""
    value = (fraction * 100).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    text = f"{value:f}"
    if text.endswith(".0"):
        text = text[:-2]
    return f"{text}%"


# ------------------------------------------------------------------------------
# The registry
# ------------------------------------------------------------------------------


def institution_list(
    *,
    user: User,
    kind: str | None = None,
    county: County | None = None,
    designation: str | None = None,
) -> QuerySet:
    """Institutions the user may see (all for the registry readers, only their own for
    institution staff, none for anyone else), filtered, with county and programme count."""
    qs = Institution.objects.select_related("county").annotate(
        programme_count=Count("programmes", distinct=True)
    )
    if not perms.can_read_whole_registry(user):
        if user.is_authenticated and user.institution_id is not None:
            qs = qs.filter(pk=user.institution_id)
        else:
            return qs.none()
    if kind:
        qs = qs.filter(kind=kind)
    if county is not None:
        qs = qs.filter(county=county)
    if designation:
        qs = qs.filter(designation=designation)
    return qs.order_by("county__sort_order", "name")


def institution_get_for_user(*, user: User, pk: int) -> Institution:
    """One institution, or 404 when it does not exist or the user may not see it (another
    institution's staff get the same 404 as a missing one)."""
    institution = Institution.objects.select_related("county").filter(pk=pk).first()
    if institution is None or not perms.can_view_institution(user, institution):
        raise Http404
    return institution


@dataclass
class InstitutionPage:
    programmes: list
    designation_changes: list
    assessments: list
    violations: list


def institution_page(*, institution: Institution) -> InstitutionPage:
    """What the institution's page lists, one query each."""
    return InstitutionPage(
        programmes=list(institution.programmes.select_related("occupation").order_by("name")),
        designation_changes=list(
            institution.designation_changes.select_related("changed_by").order_by(
                "-created_at", "-id"
            )
        ),
        assessments=list(institution.assessments.select_related("decided_by").order_by("-year")),
        violations=list(
            institution.violations.select_related("recorded_by").order_by("-occurred_on", "-id")
        ),
    )


def programme_get_for_user(*, user: User, pk: int) -> Programme:
    """A programme the user may manage; 404 for one of an institution they may not see."""
    programme = Programme.objects.select_related("institution", "occupation").filter(pk=pk).first()
    if programme is None or not perms.can_view_institution(user, programme.institution):
        raise Http404
    return programme


# ------------------------------------------------------------------------------
# Annual assessment
# ------------------------------------------------------------------------------


def assessment_years() -> list[int]:
    return list(
        InstitutionAssessment.objects.order_by("-year").values_list("year", flat=True).distinct()
    )


def assessment_list(*, year: int) -> QuerySet:
    return (
        InstitutionAssessment.objects.filter(year=year)
        .select_related("institution", "institution__county", "decided_by")
        .order_by("-proposal", "institution__name")
    )


def assessment_get(*, pk: int) -> InstitutionAssessment:
    assessment = (
        InstitutionAssessment.objects.select_related("institution", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if assessment is None:
        raise Http404
    return assessment


# ------------------------------------------------------------------------------
# Registration points and the handbook (public)
# ------------------------------------------------------------------------------


def registration_point_list(
    *,
    county: County | None = None,
    level: str | None = None,
    include_inactive: bool = False,
) -> QuerySet:
    """Registration points by county and level. The public sees active points only, and no point
    of an institution whose designation was revoked."""
    qs = RegistrationPoint.objects.select_related("county", "institution")
    if not include_inactive:
        qs = qs.filter(is_active=True).exclude(
            institution__designation=Institution.Designation.REVOKED
        )
    if county is not None:
        qs = qs.filter(county=county)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("county__sort_order", "county__name", "level", "name")


def registration_point_get(*, pk: int) -> RegistrationPoint:
    point = RegistrationPoint.objects.select_related("county", "institution").filter(pk=pk).first()
    if point is None:
        raise Http404
    return point


@dataclass
class CountyPoints:
    county: County | None
    points: list[RegistrationPoint] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.county.name if self.county is not None else "市直"


@dataclass
class SubsidyRules:
    attendance_threshold: Decimal | None
    eligible_groups: list[PopulationGroup]

    @property
    def attendance_percent(self) -> str:
        return percent_text(self.attendance_threshold) if self.attendance_threshold else ""


@dataclass
class Handbook:
    campaign: Campaign | None
    institutions: list[Institution]
    points_by_county: list[CountyPoints]
    rules: SubsidyRules

    @property
    def point_count(self) -> int:
        return sum(len(group.points) for group in self.points_by_county)


def handbook(*, campaign: Campaign | None) -> Handbook:
    """The training handbook (职业培训手册) from the data as it stands: designated (not revoked)
    institutions with their programmes, active registration points by county, and the subsidy
    rules of the campaign. Four queries whatever the volume."""
    institutions = list(
        Institution.objects.exclude(designation=Institution.Designation.REVOKED)
        .select_related("county")
        .prefetch_related(
            Prefetch(
                "programmes",
                queryset=Programme.objects.select_related("occupation").order_by("name"),
            )
        )
        .order_by("county__sort_order", "name")
    )
    groups: list[CountyPoints] = []
    for point in registration_point_list():
        if not groups or groups[-1].county != point.county:
            groups.append(CountyPoints(county=point.county))
        groups[-1].points.append(point)
    eligible = list(PopulationGroup.objects.filter(subsidy_eligible=True).order_by("sort_order"))
    return Handbook(
        campaign=campaign,
        institutions=institutions,
        points_by_county=groups,
        rules=SubsidyRules(
            attendance_threshold=campaign.attendance_threshold if campaign else None,
            eligible_groups=eligible,
        ),
    )


def assessment_summary(assessments: list[InstitutionAssessment]) -> dict[str, int]:
    """Counts for the assessment page's heading (no queries)."""
    revoke = InstitutionAssessment.Proposal.REVOKE
    proposed = InstitutionAssessment.Status.PROPOSED
    return {
        "total": len(assessments),
        "revoke": sum(1 for a in assessments if a.proposal == revoke),
        "pending": sum(1 for a in assessments if a.status == proposed),
        "pending_revoke": sum(
            1 for a in assessments if a.status == proposed and a.proposal == revoke
        ),
    }


def institution_filter_counties() -> QuerySet:
    return County.objects.order_by("sort_order", "code")
