"""Writes of the awards: cycles, ceilings, competitions, nominations, recusal and scores,
winners, the public notice and the prize payment.

Every function is ``<entity>_<verb>(*, ..., actor)``: it checks permission (PermissionDenied),
runs in one transaction, checks transitions against the model's ``TRANSITIONS`` on a row locked
with ``select_for_update`` and writes an ``AuditEvent``. ``RuleViolation`` carries a Chinese
message for a rule that refuses the request; ``ValidationError`` a field the user can correct.

Decisions documented here (the issue leaves them open):

* A cycle spans ``cycle_years`` years from its first year; cycles do not overlap.
* The nomination window is inclusive of both dates (Asia/Shanghai). The office may close
  nominations early (all units have reported); the audit row records the date.
* Eligibility is checked at nomination: a certificate at the award's level or higher issued on
  or before that day, or (where the award allows it) a rank within the award's limit in a city
  competition held from 1 January of the cycle's first year up to that day.
* Review: a member scores every nomination they have not recused from, then submits; submitted
  scores are final. Declaring a conflict discards that member's draft scores of the nomination.
* Winners are confirmed one by one or "top of the ranking" by the office while the cycle is under
  review; the quota is checked under a lock on the cycle row and each winner takes a numbered
  slot (1..quota) that the database holds once.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from awards import permissions as perms
from awards.models import (
    AwardKind,
    Competition,
    CompetitionResult,
    Cycle,
    CycleCeiling,
    NominatingUnit,
    Nomination,
    Recusal,
    Score,
    ScoreSubmission,
    Winner,
)
from core import clock
from core.crypto import decrypt, encrypt
from core.errors import RuleViolation
from core.models import User
from core.roles import Role
from core.services import audit_record
from core.validators import mask_bank_account, normalize_bank_account, validate_bank_account

NOTICE_KIND = "awards.cycle"
PAYMENT_KIND = "awards"
CENT = Decimal("0.01")


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied


def _transition(obj, to_state: str) -> str:
    from_state = obj.status
    if to_state not in obj.TRANSITIONS[from_state]:
        raise RuleViolation(
            f"当前状态为“{obj.get_status_display()}”，不能进行此操作。", code="transition"
        )
    obj.status = to_state
    return from_state


def _lock_cycle(cycle: Cycle) -> Cycle:
    return Cycle.objects.select_for_update().get(pk=cycle.pk)


# --------------------------------------------------------------------------------------------
# Cycles and ceilings
# --------------------------------------------------------------------------------------------


@transaction.atomic
def cycle_open(
    *,
    campaign,
    first_year: int,
    nomination_opens: datetime.date,
    nomination_closes: datetime.date,
    members: list[User],
    actor: User,
) -> Cycle:
    """Open a cycle of both awards with a ceiling row per nominating unit and award kind (the
    award's ``default_unit_ceiling``; the office adjusts them with ``ceiling_set``).

    Raises PermissionDenied unless the actor is the office; ValidationError for a window that
    ends before it starts or members without the committee role; RuleViolation when no award
    kind is loaded or the cycle overlaps another. Writes one audit row."""
    _require(perms.is_office(actor))
    kinds = list(AwardKind.objects.filter(campaign=campaign))
    if not kinds:
        raise RuleViolation("尚未载入奖项数据（请先执行 load_plan）。", code="no_award_kinds")
    errors: dict[str, list[str]] = {}
    if nomination_closes < nomination_opens:
        errors["nomination_closes"] = ["推荐截止日期不能早于开始日期。"]
    not_committee = [m for m in members if not m.has_role(Role.COMMITTEE)]
    if not members:
        errors["members"] = ["请至少指定一名评审委员。"]
    elif not_committee:
        errors["members"] = [f"{m}不是评审委员会委员。" for m in not_committee]
    if errors:
        raise ValidationError(errors)
    years = max(kind.cycle_years for kind in kinds)
    last_year = first_year + years - 1
    clash = Cycle.objects.filter(
        campaign=campaign, first_year__lte=last_year, last_year__gte=first_year
    ).first()
    if clash is not None:
        raise RuleViolation(f"与“{clash.title}”的评选年度重叠。", code="cycle_overlap")
    names = "、".join(kind.name for kind in kinds)
    cycle = Cycle.objects.create(
        campaign=campaign,
        first_year=first_year,
        last_year=last_year,
        title=f"{first_year}—{last_year}年度{names}评选",
        nomination_opens=nomination_opens,
        nomination_closes=nomination_closes,
        opened_by=actor,
    )
    cycle.members.set(members)
    units = list(NominatingUnit.objects.all())
    CycleCeiling.objects.bulk_create(
        [
            CycleCeiling(cycle=cycle, award_kind=kind, unit=unit, ceiling=kind.default_unit_ceiling)
            for kind in kinds
            for unit in units
        ]
    )
    audit_record(
        actor=actor,
        action="awards.cycle_open",
        obj=cycle,
        to_state=cycle.status,
        changes={
            "window": [nomination_opens.isoformat(), nomination_closes.isoformat()],
            "members": sorted(m.pk for m in members),
            "ceilings": len(units) * len(kinds),
        },
    )
    return cycle


@transaction.atomic
def ceiling_set(*, ceiling: CycleCeiling, value: int, actor: User) -> CycleCeiling:
    """Change a unit's nomination ceiling while nominations are open; never below what the unit
    has already nominated."""
    _require(perms.is_office(actor))
    ceiling = CycleCeiling.objects.select_for_update().select_related("cycle").get(pk=ceiling.pk)
    if ceiling.cycle.status != Cycle.Status.NOMINATING:
        raise RuleViolation("推荐阶段已结束，不能再调整推荐名额。", code="ceiling_closed")
    if value < 0:
        raise ValidationError({"value": ["推荐名额不能为负数。"]})
    used = _nominations_used(ceiling)
    if value < used:
        raise RuleViolation(
            f"{ceiling.unit}已推荐{used}名，名额不能少于已推荐人数。", code="ceiling_below_used"
        )
    before = ceiling.ceiling
    ceiling.ceiling = value
    ceiling.save(update_fields=["ceiling", "updated_at"])
    audit_record(
        actor=actor,
        action="awards.ceiling_set",
        obj=ceiling,
        changes={"ceiling": [before, value]},
    )
    return ceiling


def _nominations_used(ceiling: CycleCeiling) -> int:
    return Nomination.objects.filter(
        cycle_id=ceiling.cycle_id,
        award_kind_id=ceiling.award_kind_id,
        unit_id=ceiling.unit_id,
        status=Nomination.Status.SUBMITTED,
    ).count()


@transaction.atomic
def cycle_close_nominations(*, cycle: Cycle, actor: User) -> Cycle:
    """Nominating → reviewing. The office may close early; the audit row records when."""
    _require(perms.is_office(actor))
    cycle = _lock_cycle(cycle)
    from_state = _transition(cycle, Cycle.Status.REVIEWING)
    if not cycle.nominations.filter(status=Nomination.Status.SUBMITTED).exists():
        raise RuleViolation("本届尚无推荐人选，不能进入评审。", code="cycle_no_nominations")
    cycle.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="awards.cycle_close_nominations",
        obj=cycle,
        from_state=from_state,
        to_state=cycle.status,
        changes={"closed_on": clock.today().isoformat()},
    )
    return cycle


# --------------------------------------------------------------------------------------------
# Competitions
# --------------------------------------------------------------------------------------------


@transaction.atomic
def competition_create(
    *, campaign, name: str, occupation, held_on: datetime.date, organiser: str = "", actor: User
) -> Competition:
    """Record a city skills competition. Office only."""
    _require(perms.is_office(actor))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["请填写竞赛名称。"]})
    if Competition.objects.filter(name=name, held_on=held_on).exists():
        raise ValidationError({"name": ["同名同日期的竞赛已登记。"]})
    competition = Competition.objects.create(
        campaign=campaign,
        name=name,
        occupation=occupation,
        held_on=held_on,
        organiser=(organiser or "").strip(),
    )
    audit_record(
        actor=actor,
        action="awards.competition_create",
        obj=competition,
        changes={
            "name": competition.name,
            "occupation": competition.occupation_id,
            "held_on": held_on.isoformat(),
            "organiser": competition.organiser,
        },
    )
    return competition


@transaction.atomic
def competition_result_record(
    *, competition: Competition, worker, rank: int, actor: User
) -> CompetitionResult:
    """Record a contestant's rank (1 = first). Office only; a worker has one result a
    competition."""
    _require(perms.is_office(actor))
    if rank < 1:
        raise ValidationError({"rank": ["名次应为大于0的整数。"]})
    if competition.held_on > clock.today():
        raise RuleViolation("竞赛尚未举办，不能登记成绩。", code="competition_future")
    if CompetitionResult.objects.filter(competition=competition, worker=worker).exists():
        raise RuleViolation(f"{worker.name}在本竞赛中已有成绩。", code="result_duplicate")
    result = CompetitionResult.objects.create(
        competition=competition, worker=worker, rank=rank, recorded_by=actor
    )
    audit_record(
        actor=actor,
        action="awards.competition_result_record",
        obj=result,
        changes={"worker": worker.pk, "rank": rank},
    )
    return result


# --------------------------------------------------------------------------------------------
# Eligibility and nominations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    basis: str
    best_level: int | None
    best_rank: int | None


def eligibility_check(
    *, award_kind: AwardKind, worker, cycle: Cycle, on: datetime.date
) -> Eligibility:
    """Whether ``worker`` may be nominated for ``award_kind`` on day ``on``, and why (or why not),
    in words a clerk can act on."""
    from appraisal.models import Certificate, Level

    certificate = (
        Certificate.objects.filter(worker=worker, issued_on__lte=on)
        .select_related("occupation")
        .order_by("level", "issued_on")
        .first()
    )
    result = (
        CompetitionResult.objects.filter(
            worker=worker,
            competition__held_on__gte=datetime.date(cycle.first_year, 1, 1),
            competition__held_on__lte=on,
        )
        .select_related("competition")
        .order_by("rank", "competition__held_on")
        .first()
    )
    best_level = certificate.level if certificate else None
    best_rank = result.rank if result else None
    needed = award_kind.min_certificate_level
    if needed is not None and best_level is not None and best_level <= needed:
        basis = (
            f"持有{certificate.occupation.name}{Level(best_level).label}证书"
            f"（{certificate.number}）"
        )
        return Eligibility(True, basis, best_level, best_rank)
    limit = award_kind.max_competition_rank
    if limit is not None and best_rank is not None and best_rank <= limit:
        basis = f"{result.competition.name}第{best_rank}名"
        return Eligibility(True, basis, best_level, best_rank)
    routes = []
    if needed is not None:
        held = Level(best_level).label if best_level else "无职业资格证书"
        routes.append(f"须持有{Level(needed).label}及以上证书（现为：{held}）")
    if limit is not None:
        got = f"最好名次第{best_rank}名" if best_rank else "无本届市级竞赛成绩"
        routes.append(f"或在本届市级职业技能竞赛中获得前{limit}名（现为：{got}）")
    return Eligibility(
        False,
        f"{worker.name}不符合{award_kind.name}推荐条件：" + "，".join(routes) + "。",
        best_level,
        best_rank,
    )


@dataclass
class NominationInput:
    award_kind: AwardKind
    unit: NominatingUnit
    worker: object
    occupation: object
    employer: str
    achievements: str
    document: object | None = None


@transaction.atomic
def nomination_create(*, cycle: Cycle, data: NominationInput, actor: User) -> Nomination:
    """A unit nominates a worker for an award kind.

    Refused (RuleViolation, with the reason) outside the nomination window (both dates
    inclusive), once nominations are closed, over the unit's ceiling for the award kind (checked
    under a lock on the ceiling row), for an ineligible worker, or for a worker already nominated
    in this cycle. Raises PermissionDenied when the actor may not nominate for the unit. Writes
    one audit row."""
    _require(perms.can_nominate_for_unit(actor, data.unit))
    cycle = Cycle.objects.get(pk=cycle.pk)
    if cycle.status != Cycle.Status.NOMINATING:
        raise RuleViolation("本届推荐已截止。", code="nomination_closed")
    today = clock.today()
    if today < cycle.nomination_opens:
        raise RuleViolation(
            f"推荐尚未开始，{cycle.nomination_opens:%Y年%m月%d日}起方可推荐。",
            code="nomination_not_open",
        )
    if today > cycle.nomination_closes:
        raise RuleViolation(
            f"推荐已于{cycle.nomination_closes:%Y年%m月%d日}截止。", code="nomination_closed"
        )
    errors = {}
    if not (data.employer or "").strip():
        errors["employer"] = ["请填写工作单位。"]
    if not (data.achievements or "").strip():
        errors["achievements"] = ["请填写主要事迹。"]
    if errors:
        raise ValidationError(errors)
    ceiling = (
        CycleCeiling.objects.select_for_update()
        .filter(cycle=cycle, award_kind=data.award_kind, unit=data.unit)
        .first()
    )
    if ceiling is None or ceiling.ceiling == 0:
        raise RuleViolation(
            f"{data.unit}本届没有{data.award_kind.name}推荐名额。", code="nomination_no_ceiling"
        )
    used = _nominations_used(ceiling)
    if used >= ceiling.ceiling:
        raise RuleViolation(
            f"{data.unit}本届{data.award_kind.name}推荐名额为{ceiling.ceiling}名，"
            f"已推荐{used}名，不能再推荐。",
            code="nomination_over_ceiling",
        )
    already = (
        Nomination.objects.filter(
            cycle=cycle, worker=data.worker, status=Nomination.Status.SUBMITTED
        )
        .select_related("unit", "award_kind")
        .first()
    )
    if already is not None:
        raise RuleViolation(
            f"{data.worker.name}已由{already.unit}推荐为{already.award_kind.name}候选人，"
            "每届只能推荐一次。",
            code="nomination_duplicate",
        )
    found = eligibility_check(award_kind=data.award_kind, worker=data.worker, cycle=cycle, on=today)
    if not found.eligible:
        raise RuleViolation(found.basis, code="nomination_ineligible")
    if data.document:
        from training.services.classes import document_check

        extension = document_check(data.document, label="推荐材料")
        # Stored under a random name: the uploader's file name may carry personal data.
        data.document.name = f"{secrets.token_hex(16)}{extension}"
    try:
        with transaction.atomic():
            nomination = Nomination.objects.create(
                cycle=cycle,
                award_kind=data.award_kind,
                unit=data.unit,
                worker=data.worker,
                occupation=data.occupation,
                employer=data.employer.strip(),
                achievements=data.achievements.strip(),
                document=data.document or "",
                best_level=found.best_level,
                best_rank=found.best_rank,
                eligibility_basis=found.basis[:255],
                nominated_by=actor,
            )
    except IntegrityError as exc:
        raise RuleViolation(
            f"{data.worker.name}本届已被推荐，每届只能推荐一次。", code="nomination_duplicate"
        ) from exc
    audit_record(
        actor=actor,
        action="awards.nomination_create",
        obj=nomination,
        to_state=nomination.status,
        changes={
            "unit": data.unit.pk,
            "award_kind": data.award_kind.code,
            "basis": found.basis,
            "ceiling": [used + 1, ceiling.ceiling],
        },
    )
    return nomination


@transaction.atomic
def nomination_withdraw(*, nomination: Nomination, reason: str, actor: User) -> Nomination:
    """The nominating unit (or the office) withdraws a nomination while nominations are open;
    the ceiling place is freed."""
    _require(perms.can_nominate_for_unit(actor, nomination.unit))
    nomination = (
        Nomination.objects.select_for_update().select_related("cycle").get(pk=nomination.pk)
    )
    if nomination.cycle.status != Cycle.Status.NOMINATING:
        raise RuleViolation("推荐阶段已结束，不能撤回。", code="withdraw_closed")
    if not (reason or "").strip():
        raise ValidationError({"reason": ["请填写撤回理由。"]})
    from_state = _transition(nomination, Nomination.Status.WITHDRAWN)
    nomination.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="awards.nomination_withdraw",
        obj=nomination,
        from_state=from_state,
        to_state=nomination.status,
        reason=reason.strip(),
    )
    return nomination


# --------------------------------------------------------------------------------------------
# Review: recusal, scores, submission
# --------------------------------------------------------------------------------------------


def _review_guard(nomination: Nomination, actor: User) -> Cycle:
    cycle = Cycle.objects.get(pk=nomination.cycle_id)
    nomination.refresh_from_db(fields=["status"])
    _require(perms.is_cycle_member(actor, cycle))
    if cycle.status != Cycle.Status.REVIEWING:
        raise RuleViolation("本届不在评审阶段。", code="review_closed")
    if nomination.status != Nomination.Status.SUBMITTED:
        raise RuleViolation("该推荐已撤回。", code="review_withdrawn")
    if ScoreSubmission.objects.filter(cycle=cycle, member=actor).exists():
        raise RuleViolation("您已提交本届评分，评分不能再修改。", code="review_submitted")
    return cycle


@transaction.atomic
def recusal_declare(*, nomination: Nomination, reason: str, actor: User) -> Recusal:
    """A member declares a conflict of interest with a nomination: they are excluded from
    scoring it, and any draft scores of theirs for it are discarded (recorded in the audit)."""
    _review_guard(nomination, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写回避理由。"]})
    if Recusal.objects.filter(nomination=nomination, member=actor).exists():
        raise RuleViolation("您已对该推荐申报回避。", code="recusal_duplicate")
    discarded, _ = Score.objects.filter(nomination=nomination, member=actor).delete()
    recusal = Recusal.objects.create(
        nomination=nomination, member=actor, reason=reason[:255], declared_at=clock.now()
    )
    audit_record(
        actor=actor,
        action="awards.recusal_declare",
        obj=recusal,
        reason=reason,
        changes={"nomination": nomination.pk, "discarded_scores": discarded},
    )
    return recusal


@transaction.atomic
def scores_record(*, nomination: Nomination, values: dict[str, int], actor: User) -> list[Score]:
    """A member's (draft) scores of one nomination: ``values`` maps every criterion code of the
    award kind to an integer from 0 to its maximum. Refused for a recused member."""
    _review_guard(nomination, actor)
    if Recusal.objects.filter(nomination=nomination, member=actor).exists():
        raise RuleViolation("您已对该推荐申报回避，不能评分。", code="score_recused")
    criteria = list(nomination.award_kind.criteria.all())
    errors: dict[str, list[str]] = {}
    for criterion in criteria:
        value = values.get(criterion.code)
        if value is None:
            errors[criterion.code] = [f"请为“{criterion.name}”打分。"]
        elif not isinstance(value, int) or not 0 <= value <= criterion.max_score:
            errors[criterion.code] = [f"“{criterion.name}”的分数应在0至{criterion.max_score}之间。"]
    if errors:
        raise ValidationError(errors)
    saved = []
    for criterion in criteria:
        score, _ = Score.objects.update_or_create(
            nomination=nomination,
            member=actor,
            criterion=criterion,
            defaults={"value": values[criterion.code]},
        )
        saved.append(score)
    audit_record(
        actor=actor,
        action="awards.scores_record",
        obj=nomination,
        changes={c.code: values[c.code] for c in criteria},
    )
    return saved


@transaction.atomic
def scores_submit(*, cycle: Cycle, actor: User) -> ScoreSubmission:
    """A member submits all their scores for the cycle: every nomination they have not recused
    from must be fully scored. After this their scores are final and counted in the ranking, and
    they may see the other members' scores."""
    _require(perms.is_cycle_member(actor, cycle))
    cycle = _lock_cycle(cycle)
    if cycle.status != Cycle.Status.REVIEWING:
        raise RuleViolation("本届不在评审阶段。", code="review_closed")
    if ScoreSubmission.objects.filter(cycle=cycle, member=actor).exists():
        raise RuleViolation("您已提交本届评分。", code="review_submitted")
    missing = []
    nominations = (
        cycle.nominations.filter(status=Nomination.Status.SUBMITTED)
        .exclude(recusals__member=actor)
        .select_related("worker", "award_kind")
        .order_by("pk")
    )
    scored: dict[int, int] = {}
    for nomination_id in Score.objects.filter(nomination__cycle=cycle, member=actor).values_list(
        "nomination_id", flat=True
    ):
        scored[nomination_id] = scored.get(nomination_id, 0) + 1
    criteria_count = {
        kind.pk: kind.criteria.count() for kind in AwardKind.objects.filter(campaign=cycle.campaign)
    }
    for nomination in nominations:
        if scored.get(nomination.pk, 0) < criteria_count[nomination.award_kind_id]:
            missing.append(nomination.worker.name)
    if missing:
        raise RuleViolation(
            f"尚有{len(missing)}份推荐未评分（{'、'.join(missing[:5])}"
            f"{'等' if len(missing) > 5 else ''}），请评完后再提交。",
            code="review_incomplete",
        )
    submission = ScoreSubmission.objects.create(cycle=cycle, member=actor, submitted_at=clock.now())
    audit_record(
        actor=actor, action="awards.scores_submit", obj=cycle, changes={"member": actor.pk}
    )
    return submission


# --------------------------------------------------------------------------------------------
# Decision
# --------------------------------------------------------------------------------------------


def _confirm_locked(*, cycle: Cycle, nomination: Nomination, mean: Decimal, actor: User) -> Winner:
    kind = nomination.award_kind
    taken = set(
        Winner.objects.filter(
            cycle=cycle, award_kind=kind, status=Winner.Status.CONFIRMED
        ).values_list("slot", flat=True)
    )
    if len(taken) >= kind.winners_per_cycle:
        raise RuleViolation(
            f"{kind.name}本届名额为{kind.winners_per_cycle}名，已全部确定，不能再增加。",
            code="winner_quota_full",
        )
    slot = min(set(range(1, kind.winners_per_cycle + 1)) - taken)
    existing = Winner.objects.filter(nomination=nomination).first()
    if existing is not None:
        if existing.status == Winner.Status.REVOKED:
            raise RuleViolation(
                f"{nomination.worker.name}的获奖资格已撤销，不能再次确定。", code="winner_revoked"
            )
        raise RuleViolation(f"{nomination.worker.name}已确定为获奖人。", code="winner_duplicate")
    winner = Winner.objects.create(
        cycle=cycle,
        award_kind=kind,
        nomination=nomination,
        slot=slot,
        mean_score=mean,
        confirmed_by=actor,
    )
    audit_record(
        actor=actor,
        action="awards.winner_confirm",
        obj=winner,
        to_state=winner.status,
        changes={"slot": slot, "quota": kind.winners_per_cycle, "mean_score": str(mean)},
    )
    return winner


@transaction.atomic
def winner_confirm(*, nomination: Nomination, actor: User) -> Winner:
    """The office confirms a ranked nomination as a winner. Under a lock on the cycle row the
    number of confirmed winners of the award kind is checked against its quota, so two offices
    confirming at once never exceed it; the slot's unique constraint backs this up.
    Refused for an unscored or withdrawn nomination or outside the review stage."""
    from awards.selectors import nomination_mean_scores

    _require(perms.is_office(actor))
    cycle = Cycle.objects.select_for_update().get(pk=nomination.cycle_id)
    if cycle.status != Cycle.Status.REVIEWING:
        raise RuleViolation("只有评审阶段才能确定获奖人。", code="winner_stage")
    nomination = Nomination.objects.select_related("award_kind", "worker").get(pk=nomination.pk)
    if nomination.status != Nomination.Status.SUBMITTED:
        raise RuleViolation("该推荐已撤回。", code="winner_withdrawn")
    mean = nomination_mean_scores(cycle=cycle, nomination_ids=[nomination.pk]).get(nomination.pk)
    if mean is None:
        raise RuleViolation(
            f"{nomination.worker.name}尚无已提交的评审评分，不能确定为获奖人。",
            code="winner_unscored",
        )
    try:
        with transaction.atomic():
            return _confirm_locked(cycle=cycle, nomination=nomination, mean=mean, actor=actor)
    except IntegrityError as exc:
        raise RuleViolation(
            f"{nomination.award_kind.name}名额已满或该人选已确定。", code="winner_conflict"
        ) from exc


@transaction.atomic
def winners_confirm_top(*, cycle: Cycle, award_kind: AwardKind, actor: User) -> list[Winner]:
    """Confirm the top of the ranking of ``award_kind`` until its quota is filled (nominations
    already confirmed are skipped, unscored ones are never confirmed)."""
    from awards.selectors import ranking

    _require(perms.is_office(actor))
    cycle = _lock_cycle(cycle)
    if cycle.status != Cycle.Status.REVIEWING:
        raise RuleViolation("只有评审阶段才能确定获奖人。", code="winner_stage")
    confirmed = []
    for row in ranking(cycle=cycle, award_kind=award_kind):
        if row.winner is not None or row.mean is None:
            continue
        if (
            Winner.objects.filter(
                cycle=cycle, award_kind=award_kind, status=Winner.Status.CONFIRMED
            ).count()
            >= award_kind.winners_per_cycle
        ):
            break
        confirmed.append(
            _confirm_locked(cycle=cycle, nomination=row.nomination, mean=row.mean, actor=actor)
        )
    if not confirmed:
        raise RuleViolation(
            f"{award_kind.name}没有可确定的人选（名额已满或尚无已评分的推荐）。",
            code="winner_none",
        )
    return confirmed


@transaction.atomic
def winner_revoke(
    *, winner: Winner, reason: str, actor: User | None, upheld_objection: bool = False
) -> Winner:
    """Revoke a winner: by the office during review (a wrong confirmation), or when an objection
    to them was upheld in the public notice (``upheld_objection``: called by the notice's close,
    whose ``actor`` — None for the daily job — the row names; the objection was decided by its
    resolver, so no role or stage check here)."""
    if actor is not None and not upheld_objection:
        _require(perms.is_office(actor))
    winner = Winner.objects.select_for_update().get(pk=winner.pk)
    if not upheld_objection and winner.cycle.status != Cycle.Status.REVIEWING:
        raise RuleViolation("公示开始后只能通过异议核查撤销获奖资格。", code="revoke_stage")
    if not (reason or "").strip():
        raise ValidationError({"reason": ["请填写撤销原因。"]})
    from_state = _transition(winner, Winner.Status.REVOKED)
    winner.revoked_reason = reason.strip()[:255]
    winner.save(update_fields=["status", "revoked_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="awards.winner_revoke",
        obj=winner,
        from_state=from_state,
        to_state=winner.status,
        reason=reason,
    )
    return winner


# --------------------------------------------------------------------------------------------
# Public notice and publication
# --------------------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """张三 → 张*, 张三丰 → 张*丰, as the public notice shows names."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


@transaction.atomic
def cycle_notice_publish(*, cycle: Cycle, actor: User) -> Cycle:
    """Reviewing → notice: publish the confirmed winners as a public notice (core.notices, kind
    "awards.cycle") for the longest ``notice_working_days`` of the award kinds; anyone may
    object while it is open."""
    from core.notices import NoticeItemInput, notice_publish

    _require(perms.is_office(actor))
    cycle = _lock_cycle(cycle)
    from_state = _transition(cycle, Cycle.Status.NOTICE)
    winners = list(
        Winner.objects.filter(cycle=cycle, status=Winner.Status.CONFIRMED)
        .select_related(
            "award_kind", "nomination__worker", "nomination__occupation", "nomination__unit"
        )
        .order_by("award_kind__sort_order", "slot")
    )
    if not winners:
        raise RuleViolation("尚未确定获奖人，不能发布公示。", code="notice_no_winners")
    working_days = max(
        AwardKind.objects.filter(campaign=cycle.campaign).values_list(
            "notice_working_days", flat=True
        )
    )
    items = [
        NoticeItemInput(
            obj=winner,
            display_name=mask_name(winner.nomination.worker.name),
            id_masked=winner.nomination.worker.id_number_masked,
            description=(
                f"{winner.award_kind.name} {winner.nomination.occupation.name} "
                f"{winner.nomination.employer}"
            )[:200],
            amount=winner.award_kind.prize,
        )
        for winner in winners
    ]
    notice = notice_publish(
        kind=NOTICE_KIND,
        title=f"{cycle.title}拟表彰人选公示",
        body=(
            "以下人选经单位推荐、评审委员会评审、领导小组办公室审定，现予公示。"
            "对公示人选有异议的，请在公示期内实名提出。"
        ),
        items=items,
        working_days=working_days,
        actor=actor,
    )
    cycle.notice = notice
    cycle.save(update_fields=["status", "notice", "updated_at"])
    audit_record(
        actor=actor,
        action="awards.cycle_notice_publish",
        obj=cycle,
        from_state=from_state,
        to_state=cycle.status,
        changes={"notice": notice.pk, "winners": len(winners), "working_days": working_days},
    )
    return cycle


def on_notice_close(notice, cleared: list, withheld: list, actor: User | None) -> None:
    """core.notices callback (inside the closing transaction): winners with an upheld objection
    are revoked; the cycle is published (its honours page goes public). ``actor`` closed the
    notice (None: the daily job); the rows it causes name them."""
    for winner in withheld:
        winner_revoke(
            winner=winner,
            reason="公示期间异议成立，撤销获奖资格。",
            actor=actor,
            upheld_objection=True,
        )
    cycle = Cycle.objects.select_for_update().filter(notice=notice).first()
    if cycle is None or cycle.status != Cycle.Status.NOTICE:
        return
    from_state = _transition(cycle, Cycle.Status.PUBLISHED)
    cycle.published_at = clock.now()
    cycle.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action="awards.cycle_publish",
        obj=cycle,
        from_state=from_state,
        to_state=cycle.status,
        changes={"cleared": len(cleared), "withheld": len(withheld)},
    )


# --------------------------------------------------------------------------------------------
# Prizes
# --------------------------------------------------------------------------------------------


@transaction.atomic
def winner_bank_set(*, winner: Winner, bank_name: str, account: str, actor: User) -> Winner:
    """Enter the winner's own bank account for the prize (office or the nominating department's
    clerk). The number is validated, stored encrypted and shown masked. Refused once paid."""
    _require(perms.can_enter_bank_account(actor, winner))
    winner = Winner.objects.select_for_update().get(pk=winner.pk)
    if winner.status != Winner.Status.CONFIRMED:
        raise RuleViolation("该获奖资格已撤销。", code="bank_revoked")
    if winner.paid_at is not None:
        raise RuleViolation("奖金已拨付，不能再修改账户。", code="bank_paid")
    errors: dict[str, list[str]] = {}
    bank_name = (bank_name or "").strip()
    if not bank_name:
        errors["bank_name"] = ["请填写开户银行。"]
    try:
        validate_bank_account(account)
    except ValidationError as exc:
        errors["account"] = exc.messages
    if errors:
        raise ValidationError(errors)
    number = normalize_bank_account(account)
    winner.bank_name = bank_name[:128]
    winner.account_encrypted = encrypt(number)
    winner.account_masked = mask_bank_account(number)
    winner.save(update_fields=["bank_name", "account_encrypted", "account_masked", "updated_at"])
    audit_record(
        actor=actor,
        action="awards.winner_bank_set",
        obj=winner,
        changes={"bank_name": winner.bank_name, "account": winner.account_masked},
    )
    return winner


def prize_reference(winner: Winner) -> str:
    """The business number on the bank file: cycle year, award code, slot."""
    return f"JL{winner.cycle.first_year}-{winner.award_kind.code}-{winner.slot:03d}"


@transaction.atomic
def prize_batch_create(*, cycle: Cycle, actor: User):
    """Finance prepares a payment batch (core.payments, kind "awards") of every confirmed
    winner of a published cycle who has an account and is neither paid nor in a live batch.
    The amount is the award kind's prize as the plan data says now. Raises RuleViolation when
    nobody is ready; core refuses anyone already paid or in a live batch."""
    from awards.selectors import prizes_ready
    from core.payments import PaymentLineInput, batch_create

    _require(perms.can_prepare_prizes(actor))
    if cycle.status != Cycle.Status.PUBLISHED:
        raise RuleViolation("本届尚未公布，不能拨付奖金。", code="prize_not_published")
    winners = list(prizes_ready(cycle=cycle))
    if not winners:
        raise RuleViolation("没有待拨付的获奖人（须已录入银行账户且未拨付）。", code="prize_none")
    lines = [
        PaymentLineInput(
            obj=winner,
            reference=prize_reference(winner),
            payee_kind="person",
            payee_name=winner.nomination.worker.name,
            bank_name=winner.bank_name,
            account=decrypt(winner.account_encrypted),
            amount=winner.award_kind.prize.quantize(CENT, rounding=ROUND_HALF_UP),
        )
        for winner in winners
    ]
    batch = batch_create(kind=PAYMENT_KIND, lines=lines, actor=actor)
    audit_record(
        actor=actor,
        action="awards.prize_batch_create",
        obj=cycle,
        changes={"batch": batch.pk, "winners": [w.pk for w in winners]},
    )
    return batch


def on_prize_paid(winner: Winner, line, actor: User | None) -> None:
    """core.payments callback, inside the transaction recording the bank's result."""
    winner = Winner.objects.select_for_update().get(pk=winner.pk)
    winner.paid_at = clock.now()
    winner.paid_amount = line.amount
    winner.save(update_fields=["paid_at", "paid_amount", "updated_at"])
    audit_record(
        actor=actor,
        action="awards.prize_paid",
        obj=winner,
        changes={"line": line.pk, "amount": str(line.amount)},
    )


def on_prize_failed(winner: Winner, line, actor: User | None) -> None:
    """core.payments callback: the winner goes back to the ready list (a new batch may pay)."""
    audit_record(
        actor=actor,
        action="awards.prize_failed",
        obj=winner,
        changes={"line": line.pk},
        reason=getattr(line, "failure_reason", ""),
    )
