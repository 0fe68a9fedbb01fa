"""Reads of the awards, scoped to the user, with their joins done.

The ranking rule (documented for the office and tested): nominations of an award kind are
ordered by the mean of the weighted totals of the members who have submitted (higher first);
ties go to the higher certificate level held at nomination (技能等级; none counts lowest), then to
the better city competition rank (none counts last), then to the earlier nomination.
A nomination no submitted member has scored has no mean and comes after every scored one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404

from awards import permissions as perms
from awards.models import (
    AwardKind,
    Competition,
    Cycle,
    CycleCeiling,
    Nomination,
    Recusal,
    Score,
    ScoreSubmission,
    Winner,
)
from core.models import User
from core.roles import Role

CENT = Decimal("0.01")
HOME_PANEL_CYCLES = 3  # the home page shows the latest cycles; the list page shows all


# --------------------------------------------------------------------------------------------
# Cycles, ceilings, nominations
# --------------------------------------------------------------------------------------------


def cycle_list(*, user: User) -> QuerySet[Cycle]:
    if not perms.can_view_cycle(user):
        return Cycle.objects.none()
    return Cycle.objects.order_by("-first_year", "-id")


def cycle_get_for_user(*, user: User, pk: int) -> Cycle:
    if not perms.can_view_cycle(user):
        raise Http404
    cycle = Cycle.objects.select_related("campaign").filter(pk=pk).first()
    if cycle is None:
        raise Http404
    return cycle


def award_kinds(*, campaign) -> QuerySet[AwardKind]:
    return AwardKind.objects.filter(campaign=campaign).prefetch_related("criteria")


def nomination_list(*, user: User, cycle: Cycle) -> QuerySet[Nomination]:
    """The office, the auditor and the cycle's members see every nomination; a clerk sees their
    own department's; finance none."""
    qs = Nomination.objects.filter(cycle=cycle).select_related(
        "award_kind", "unit", "worker", "occupation"
    )
    if perms.is_city_wide_reader(user):
        return qs
    if user.has_role(Role.COMMITTEE) and perms.is_cycle_member(user, cycle):
        return qs.filter(status=Nomination.Status.SUBMITTED)
    if user.has_role(Role.CLERK) and user.department_id:
        return qs.filter(unit__department_id=user.department_id)
    return qs.none()


def nomination_get_for_user(*, user: User, pk: int) -> Nomination:
    nomination = Nomination.objects.select_related("cycle").filter(pk=pk).first()
    if nomination is None:
        raise Http404
    nomination = nomination_list(user=user, cycle=nomination.cycle).filter(pk=pk).first()
    if nomination is None:
        raise Http404
    return nomination


def ceilings_for_user(*, user: User, cycle: Cycle) -> list[dict]:
    """Per unit and award kind: the ceiling and how many it has nominated (the office sees all
    units, a clerk their own)."""
    qs = CycleCeiling.objects.filter(cycle=cycle).select_related("unit", "award_kind")
    if not perms.is_city_wide_reader(user):
        if not (user.has_role(Role.CLERK) and user.department_id):
            return []
        qs = qs.filter(unit__department_id=user.department_id)
    used = {
        (row["unit_id"], row["award_kind_id"]): row["n"]
        for row in Nomination.objects.filter(cycle=cycle, status=Nomination.Status.SUBMITTED)
        .values("unit_id", "award_kind_id")
        .annotate(n=Count("id"))
    }
    return [
        {"ceiling": c, "used": used.get((c.unit_id, c.award_kind_id), 0)}
        for c in qs.order_by("unit__kind", "unit__sort_order", "award_kind__sort_order")
    ]


def units_for_user(*, user: User):
    """The nominating units this user may nominate for."""
    from awards.models import NominatingUnit

    qs = NominatingUnit.objects.select_related("department", "county")
    if perms.is_office(user):
        return qs
    if user.has_role(Role.CLERK) and user.department_id:
        return qs.filter(department_id=user.department_id)
    return qs.none()


def competition_list(*, campaign=None) -> QuerySet[Competition]:
    qs = Competition.objects.select_related("occupation").annotate(result_count=Count("results"))
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs


# --------------------------------------------------------------------------------------------
# Review
# --------------------------------------------------------------------------------------------


def member_has_submitted(*, cycle: Cycle, user: User) -> bool:
    return ScoreSubmission.objects.filter(cycle=cycle, member=user).exists()


def review_rows(*, cycle: Cycle, user: User) -> list[dict]:
    """A member's worklist: each nomination with their own scores and whether they recused."""
    nominations = list(
        nomination_list(user=user, cycle=cycle)
        .filter(status=Nomination.Status.SUBMITTED)
        .order_by("award_kind__sort_order", "created_at", "pk")
    )
    mine: dict[int, dict[str, int]] = defaultdict(dict)
    for nomination_id, code, value in Score.objects.filter(
        nomination__cycle=cycle, member=user
    ).values_list("nomination_id", "criterion__code", "value"):
        mine[nomination_id][code] = value
    recused = set(
        Recusal.objects.filter(nomination__cycle=cycle, member=user).values_list(
            "nomination_id", flat=True
        )
    )
    return [
        {"nomination": n, "scores": mine.get(n.pk, {}), "recused": n.pk in recused}
        for n in nominations
    ]


def nomination_scores_visible(*, nomination: Nomination, user: User) -> list[dict]:
    """All members' scores of a nomination, for the office, or for a member who has submitted
    (before that a member sees only their own: ``review_rows``)."""
    cycle = nomination.cycle
    if not (perms.is_office(user) or member_has_submitted(cycle=cycle, user=user)):
        return []
    rows: dict[int, dict] = {}
    for score in (
        Score.objects.filter(nomination=nomination)
        .select_related("member", "criterion")
        .order_by("member_id", "criterion__sort_order")
    ):
        row = rows.setdefault(score.member_id, {"member": score.member, "scores": []})
        row["scores"].append(score)
    submitted = set(ScoreSubmission.objects.filter(cycle=cycle).values_list("member_id", flat=True))
    for member_id, row in rows.items():
        row["submitted"] = member_id in submitted
        row["total"] = sum(
            (Decimal(s.value) * s.criterion.weight for s in row["scores"]), Decimal(0)
        ).quantize(CENT, rounding=ROUND_HALF_UP)
    return list(rows.values())


def nomination_mean_scores(
    *, cycle: Cycle, nomination_ids: list[int] | None = None
) -> dict[int, Decimal]:
    """nomination id → mean of the submitted members' weighted totals (2 places, half up)."""
    submitted = ScoreSubmission.objects.filter(cycle=cycle).values("member_id")
    scores = Score.objects.filter(nomination__cycle=cycle, member_id__in=submitted)
    if nomination_ids is not None:
        scores = scores.filter(nomination_id__in=nomination_ids)
    totals: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for nomination_id, member_id, value, weight in scores.values_list(
        "nomination_id", "member_id", "value", "criterion__weight"
    ):
        totals[nomination_id][member_id] += Decimal(value) * weight
    return {
        nomination_id: (sum(by_member.values(), Decimal(0)) / len(by_member)).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        for nomination_id, by_member in totals.items()
    }


@dataclass
class RankRow:
    position: int
    nomination: Nomination
    mean: Decimal | None
    winner: Winner | None


_NONE_LAST = 10_000


def ranking_key(nomination: Nomination, mean: Decimal | None) -> tuple:
    """The tie rule, as a sort key (see the module docstring)."""
    return (
        mean is None,
        -(mean or Decimal(0)),
        nomination.best_level if nomination.best_level is not None else _NONE_LAST,
        nomination.best_rank if nomination.best_rank is not None else _NONE_LAST,
        nomination.created_at,
        nomination.pk,
    )


def ranking(*, cycle: Cycle, award_kind: AwardKind) -> list[RankRow]:
    """The ranking of one award kind in a cycle (constant queries)."""
    nominations = list(
        Nomination.objects.filter(
            cycle=cycle, award_kind=award_kind, status=Nomination.Status.SUBMITTED
        ).select_related("worker", "unit", "occupation", "award_kind")
    )
    means = nomination_mean_scores(cycle=cycle, nomination_ids=[n.pk for n in nominations])
    winners = {
        w.nomination_id: w
        for w in Winner.objects.filter(
            cycle=cycle, award_kind=award_kind, status=Winner.Status.CONFIRMED
        )
    }
    ordered = sorted(nominations, key=lambda n: ranking_key(n, means.get(n.pk)))
    return [
        RankRow(position=i, nomination=n, mean=means.get(n.pk), winner=winners.get(n.pk))
        for i, n in enumerate(ordered, start=1)
    ]


def can_see_ranking(*, cycle: Cycle, user: User) -> bool:
    if perms.is_city_wide_reader(user):
        return True
    return perms.is_cycle_member(user, cycle) and member_has_submitted(cycle=cycle, user=user)


# --------------------------------------------------------------------------------------------
# Winners, honours, prizes
# --------------------------------------------------------------------------------------------


def _winners() -> QuerySet[Winner]:
    return Winner.objects.select_related(
        "cycle",
        "award_kind",
        "nomination__worker",
        "nomination__unit",
        "nomination__occupation",
    )


def winner_list(*, cycle: Cycle, user: User) -> QuerySet[Winner]:
    qs = _winners().filter(cycle=cycle).order_by("award_kind__sort_order", "slot", "pk")
    if perms.is_city_wide_reader(user) or user.has_role(Role.FINANCE, Role.COMMITTEE):
        return qs
    if user.has_role(Role.CLERK) and user.department_id:
        return qs.filter(nomination__unit__department_id=user.department_id)
    return qs.none()


def winner_get_for_bank(*, user: User, pk: int) -> Winner:
    winner = _winners().filter(pk=pk).first()
    if winner is None or not perms.can_enter_bank_account(user, winner):
        raise Http404
    return winner


def published_cycles() -> QuerySet[Cycle]:
    return Cycle.objects.filter(status=Cycle.Status.PUBLISHED).order_by("-first_year")


def honours(*, cycle: Cycle) -> QuerySet[Winner]:
    """The public honours list of a published cycle: confirmed winners only."""
    return (
        _winners()
        .filter(cycle=cycle, status=Winner.Status.CONFIRMED)
        .order_by("award_kind__sort_order", "slot")
    )


def _live_line_exists():
    from core.models import PaymentLine

    return Exists(
        PaymentLine.objects.filter(
            content_type=ContentType.objects.get_for_model(Winner),
            object_id=OuterRef("pk"),
            status__in=PaymentLine.LIVE_STATUSES,
        )
    )


def prizes_ready(*, cycle: Cycle) -> QuerySet[Winner]:
    """Confirmed winners of ``cycle`` with an account, not paid and in no live payment line."""
    return (
        _winners()
        .filter(
            cycle=cycle,
            status=Winner.Status.CONFIRMED,
            paid_at__isnull=True,
        )
        .exclude(account_encrypted="")
        .annotate(in_batch=_live_line_exists())
        .filter(in_batch=False)
        .order_by("award_kind__sort_order", "slot")
    )


def prize_rows(*, cycle: Cycle) -> QuerySet[Winner]:
    """Every confirmed winner of ``cycle`` with whether they sit in a live batch (finance page)."""
    return (
        _winners()
        .filter(cycle=cycle, status=Winner.Status.CONFIRMED)
        .annotate(in_batch=_live_line_exists())
        .order_by("award_kind__sort_order", "slot")
    )


def worker_honours(*, user: User) -> list[Winner]:
    """The signed-in worker's own honours (published cycles only)."""
    worker = getattr(user, "worker", None) if user.is_authenticated else None
    if worker is None:
        return []
    return list(
        _winners()
        .filter(
            nomination__worker=worker,
            status=Winner.Status.CONFIRMED,
            cycle__status=Cycle.Status.PUBLISHED,
        )
        .order_by("-cycle__first_year")
    )


def cycle_summaries(*, campaign=None, limit: int | None = None) -> list[dict]:
    """Per cycle (the latest ``limit``, or all): winners per award kind against the quota,
    prize money due and paid (constant queries: cycles, kinds, two aggregates)."""
    cycles_qs = Cycle.objects.order_by("-first_year")
    if campaign is not None:
        cycles_qs = cycles_qs.filter(campaign=campaign)
    cycles = list(cycles_qs[:limit] if limit else cycles_qs)
    kinds = list(AwardKind.objects.order_by("sort_order"))
    counts = {
        (row["cycle_id"], row["award_kind_id"]): row
        for row in Winner.objects.filter(cycle__in=cycles, status=Winner.Status.CONFIRMED)
        .values("cycle_id", "award_kind_id")
        .annotate(
            n=Count("id"),
            paid=Sum("paid_amount"),
            paid_n=Count("id", filter=Q(paid_at__isnull=False)),
        )
    }
    nominated = {
        row["cycle_id"]: row["n"]
        for row in Nomination.objects.filter(cycle__in=cycles, status="submitted")
        .values("cycle_id")
        .annotate(n=Count("id"))
    }
    summaries = []
    for cycle in cycles:
        rows = []
        due = paid = Decimal(0)
        for kind in kinds:
            if kind.campaign_id != cycle.campaign_id:
                continue
            row = counts.get((cycle.pk, kind.pk), {})
            n = row.get("n", 0)
            rows.append(
                {
                    "kind": kind,
                    "winners": n,
                    "quota": kind.winners_per_cycle,
                    "paid": row.get("paid_n", 0),
                }
            )
            due += kind.prize * n
            paid += row.get("paid") or Decimal(0)
        summaries.append(
            {
                "cycle": cycle,
                "kinds": rows,
                "nominated": nominated.get(cycle.pk, 0),
                "prize_due": due,
                "prize_paid": paid,
            }
        )
    return summaries


def home_panel(*, user: User, campaign) -> dict | None:
    return {"cycles": cycle_summaries(campaign=campaign, limit=HOME_PANEL_CYCLES)}


def worker_panel(*, user: User, campaign) -> dict | None:
    honours_list = worker_honours(user=user)
    if not honours_list:
        return None
    return {"honours": honours_list}


def winners_for_export(*, campaign) -> QuerySet[Winner]:
    return (
        _winners()
        .filter(cycle__campaign=campaign)
        .order_by("cycle__first_year", "award_kind__sort_order", "slot", "pk")
    )
