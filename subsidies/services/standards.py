"""Subsidy standards (补贴标准) and claim windows (申领期): set by the office, read by eligibility.

Decisions:

* A standard's key is (campaign, kind, category, occupation, level, kind of training); empty parts
  match anything. The standard that applies on a date is the most specific one effective on it
  (ties: the later ``effective_from``).
* Setting a new standard for a key ends the open-ended standard of the same key the day before the
  new one starts; any other overlap with the same key is refused. The campaign row is locked while
  a standard or window is written, so two office users cannot create an overlap at once.
* Windows of the same kind may not overlap either (one window answers "is it open today?").
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from core.errors import RuleViolation
from core.models import User
from core.services import audit_record
from subsidies import permissions as perms
from subsidies.models import ClaimWindow, Kind, SubsidyStandard
from training.models import Campaign

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _effective_on(day: datetime.date) -> Q:
    return Q(effective_from__lte=day) & (Q(effective_to__isnull=True) | Q(effective_to__gte=day))


def standard_for(
    *,
    campaign: Campaign,
    kind: str,
    on: datetime.date,
    category_id: int | None = None,
    occupation_id: int | None = None,
    level: int | None = None,
    training_kind: str = "",
) -> SubsidyStandard | None:
    """The most specific standard effective on ``on`` for the given facts, or None."""
    candidates = (
        SubsidyStandard.objects.filter(campaign=campaign, kind=kind)
        .filter(_effective_on(on))
        .filter(Q(category__isnull=True) | Q(category_id=category_id))
        .filter(Q(occupation__isnull=True) | Q(occupation_id=occupation_id))
        .filter(Q(level__isnull=True) | Q(level=level))
        .filter(Q(training_kind="") | Q(training_kind=training_kind or ""))
        .select_related("category", "occupation")
    )
    best = None
    for standard in candidates:
        rank = (standard.specificity(), standard.effective_from, standard.pk)
        if best is None or rank > best[0]:
            best = (rank, standard)
    return best[1] if best else None


def _same_key(standard: SubsidyStandard):
    return SubsidyStandard.objects.filter(
        campaign_id=standard.campaign_id,
        kind=standard.kind,
        category_id=standard.category_id,
        occupation_id=standard.occupation_id,
        level=standard.level,
        training_kind=standard.training_kind,
    )


def _overlapping(qs, start: datetime.date, end: datetime.date | None):
    """Rows of ``qs`` whose [effective_from, effective_to] meets [start, end]."""
    qs = qs.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
    if end is not None:
        qs = qs.filter(effective_from__lte=end)
    return qs


@transaction.atomic
def standard_set(
    *,
    campaign: Campaign,
    kind: str,
    amount,
    effective_from: datetime.date,
    effective_to: datetime.date | None = None,
    category=None,
    occupation=None,
    level: int | None = None,
    training_kind: str = "",
    note: str = "",
    actor: User | None,
) -> SubsidyStandard:
    """Create a standard; the open-ended standard of the same key that started earlier ends the
    day before. ``actor=None`` is the plan loader."""
    if actor is not None and not perms.can_manage_standards(actor):
        raise PermissionDenied
    Campaign.objects.select_for_update().get(pk=campaign.pk)
    amount = money(amount)
    if amount <= 0:
        raise RuleViolation("补贴标准必须大于0元")
    if kind not in Kind.values:
        raise RuleViolation("补贴类型无效")
    if effective_to is not None and effective_to < effective_from:
        raise RuleViolation("执行截止日不能早于执行起始日")
    standard = SubsidyStandard(
        campaign=campaign,
        kind=kind,
        category=category,
        occupation=occupation,
        level=level,
        training_kind=training_kind or "",
        amount=amount,
        effective_from=effective_from,
        effective_to=effective_to,
        set_by=actor,
        note=note,
    )
    same_key = _same_key(standard).select_for_update()
    ended = []
    for previous in same_key.filter(effective_to__isnull=True, effective_from__lt=effective_from):
        previous.effective_to = effective_from - datetime.timedelta(days=1)
        previous.save(update_fields=["effective_to", "updated_at"])
        ended.append(previous)
        audit_record(
            actor=actor,
            action="subsidies.standard.end",
            obj=previous,
            changes={"effective_to": str(previous.effective_to)},
            reason=f"新标准自{effective_from}起执行",
        )
    clash = _overlapping(same_key, effective_from, effective_to).first()
    if clash is not None:
        until = clash.effective_to or "长期"
        raise RuleViolation(
            f"与已有标准“{clash.key_label()} {clash.amount} 元（{clash.effective_from}至{until}）”"
            "的执行期重叠，请调整执行日期"
        )
    standard.save()
    audit_record(
        actor=actor,
        action="subsidies.standard.set",
        obj=standard,
        changes={
            "kind": kind,
            "key": standard.key_label(),
            "amount": str(amount),
            "effective_from": str(effective_from),
            "effective_to": str(effective_to) if effective_to else None,
            "ended": [s.pk for s in ended],
        },
        reason=note,
    )
    return standard


@transaction.atomic
def standard_end(
    *, standard: SubsidyStandard, effective_to: datetime.date, actor: User
) -> SubsidyStandard:
    """End a standard on ``effective_to`` (inclusive)."""
    if not perms.can_manage_standards(actor):
        raise PermissionDenied
    standard = SubsidyStandard.objects.select_for_update().get(pk=standard.pk)
    if effective_to < standard.effective_from:
        raise RuleViolation("执行截止日不能早于执行起始日")
    if standard.effective_to is not None and effective_to > standard.effective_to:
        raise RuleViolation("只能提前结束执行，不能延长已确定的执行期；如需延长请新设标准")
    previous = standard.effective_to
    standard.effective_to = effective_to
    standard.save(update_fields=["effective_to", "updated_at"])
    audit_record(
        actor=actor,
        action="subsidies.standard.end",
        obj=standard,
        changes={"effective_to": [str(previous) if previous else None, str(effective_to)]},
    )
    return standard


def window_open(*, campaign: Campaign, kind: str, on: datetime.date) -> ClaimWindow | None:
    return ClaimWindow.objects.filter(
        campaign=campaign, kind=kind, opens_on__lte=on, closes_on__gte=on
    ).first()


@transaction.atomic
def window_set(
    *,
    campaign: Campaign,
    kind: str,
    opens_on: datetime.date,
    closes_on: datetime.date,
    note: str = "",
    actor: User | None,
) -> ClaimWindow:
    """Open a claim window; windows of the same kind may not overlap."""
    if actor is not None and not perms.can_manage_standards(actor):
        raise PermissionDenied
    Campaign.objects.select_for_update().get(pk=campaign.pk)
    if kind not in Kind.values:
        raise RuleViolation("补贴类型无效")
    if closes_on < opens_on:
        raise RuleViolation("申领截止日期不能早于开始日期")
    clash = ClaimWindow.objects.filter(
        campaign=campaign, kind=kind, opens_on__lte=closes_on, closes_on__gte=opens_on
    ).first()
    if clash is not None:
        raise RuleViolation(
            f"与已设定的{clash.get_kind_display()}申领期（{clash.opens_on}至{clash.closes_on}）重叠"
        )
    window = ClaimWindow.objects.create(
        campaign=campaign,
        kind=kind,
        opens_on=opens_on,
        closes_on=closes_on,
        note=note,
        set_by=actor,
    )
    audit_record(
        actor=actor,
        action="subsidies.window.set",
        obj=window,
        changes={"kind": kind, "opens_on": str(opens_on), "closes_on": str(closes_on)},
        reason=note,
    )
    return window


@transaction.atomic
def window_close(*, window: ClaimWindow, closes_on: datetime.date, actor: User) -> ClaimWindow:
    """Move a window's closing date (earlier or later), keeping it clear of other windows."""
    if not perms.can_manage_standards(actor):
        raise PermissionDenied
    Campaign.objects.select_for_update().get(pk=window.campaign_id)
    window = ClaimWindow.objects.select_for_update().get(pk=window.pk)
    if closes_on < window.opens_on:
        raise RuleViolation("申领截止日期不能早于开始日期")
    clash = (
        ClaimWindow.objects.filter(
            campaign_id=window.campaign_id,
            kind=window.kind,
            opens_on__lte=closes_on,
            closes_on__gte=window.opens_on,
        )
        .exclude(pk=window.pk)
        .first()
    )
    if clash is not None:
        raise RuleViolation(f"与申领期（{clash.opens_on}至{clash.closes_on}）重叠")
    previous = window.closes_on
    window.closes_on = closes_on
    window.save(update_fields=["closes_on", "updated_at"])
    audit_record(
        actor=actor,
        action="subsidies.window.change",
        obj=window,
        changes={"closes_on": [str(previous), str(closes_on)]},
    )
    return window


# --------------------------------------------------------------------------------------------
# Plan sections [[subsidy_standards]] and [[subsidy_windows]]
# --------------------------------------------------------------------------------------------


def load_standards_section(*, campaign: Campaign, data: dict, result) -> None:
    """Load the plan's standards and windows (registered from ``SubsidiesConfig.ready``).
    Idempotent: rows are matched by key and start date; a second load changes nothing, and an
    end date the office set later is left alone."""
    from training.models import Occupation, TrainingCategory
    from training.services.plan import upsert

    for raw in data.get("subsidy_standards", []):
        category = (
            TrainingCategory.objects.get(campaign=campaign, number=raw["category"])
            if raw.get("category")
            else None
        )
        occupation = (
            Occupation.objects.get(code=raw["occupation"]) if raw.get("occupation") else None
        )
        _, created, updated = upsert(
            SubsidyStandard,
            {
                "campaign": campaign,
                "kind": raw["kind"],
                "category": category,
                "occupation": occupation,
                "level": raw.get("level"),
                "training_kind": raw.get("training_kind", ""),
                "effective_from": raw["effective_from"],
            },
            {"amount": money(str(raw["amount"])), "note": raw.get("note", "")},
        )
        result.count("subsidy_standards", created=created, updated=updated)
    for raw in data.get("subsidy_windows", []):
        _, created, updated = upsert(
            ClaimWindow,
            {"campaign": campaign, "kind": raw["kind"], "opens_on": raw["opens_on"]},
            {"closes_on": raw["closes_on"], "note": raw.get("note", "")},
        )
        result.count("subsidy_windows", created=created, updated=updated)
