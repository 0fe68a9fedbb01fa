"""Writes of appraisal bodies (鉴定所/站), their authorisations and staff, and the level rules.

Every function checks permission first, runs in one transaction and writes one audit row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from appraisal import permissions as perms
from appraisal.models import LEVEL_VALUES, AppraisalBody, BodyAuthorisation, Level, LevelRule
from core.errors import RuleViolation
from core.models import County, User
from core.roles import Role
from core.services import audit_record
from training.models import Occupation

NAME_TAKEN = "已有同名的鉴定机构"


@dataclass(frozen=True)
class BodyInput:
    name: str
    county: County | None = None
    address: str = ""
    phone: str = ""
    is_active: bool = True


def _check_manager(actor: User) -> None:
    if not perms.can_manage_bodies(actor):
        raise PermissionDenied


def _clean_body(data: BodyInput, *, exclude_pk: int | None = None) -> dict:
    name = (data.name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("请填写鉴定机构名称")
    elif len(name) > 128:
        errors["name"] = _("名称不能超过128个字")
    else:
        clash = AppraisalBody.objects.filter(name=name)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["name"] = _(NAME_TAKEN)
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "county": data.county,
        "address": (data.address or "").strip()[:255],
        "phone": (data.phone or "").strip()[:32],
        "is_active": bool(data.is_active),
    }


def _save(body: AppraisalBody) -> None:
    try:
        with transaction.atomic():
            body.save()
    except IntegrityError as exc:
        # Two reviewers creating the same name at once: the unique index decides.
        raise ValidationError({"name": _(NAME_TAKEN)}) from exc


@transaction.atomic
def body_create(*, data: BodyInput, actor: User) -> AppraisalBody:
    """Create a body. Audit ``appraisal.body_create``. Raises PermissionDenied (not a reviewer),
    ValidationError (name missing or taken)."""
    _check_manager(actor)
    body = AppraisalBody(**_clean_body(data))
    _save(body)
    audit_record(actor=actor, action="appraisal.body_create", obj=body, changes={"name": body.name})
    return body


@transaction.atomic
def body_update(*, body: AppraisalBody, data: BodyInput, actor: User) -> AppraisalBody:
    """Change a body's details. Audit ``appraisal.body_update`` with the fields changed."""
    _check_manager(actor)
    body = AppraisalBody.objects.select_for_update().get(pk=body.pk)
    values = _clean_body(data, exclude_pk=body.pk)
    changes = {}
    for field, new in values.items():
        old = getattr(body, field)
        if old != new:
            changes[field] = [str(old) if old is not None else "", str(new) if new else ""]
            setattr(body, field, new)
    if changes:
        _save(body)
        audit_record(actor=actor, action="appraisal.body_update", obj=body, changes=changes)
    return body


@transaction.atomic
def body_set_staff(*, body: AppraisalBody, staff: Iterable[User], actor: User) -> AppraisalBody:
    """Set who works for a body. Only 人社 reviewers may be body staff (the role is what lets
    them into the sitting pages). Audit ``appraisal.body_staff`` with who was added and removed.
    Raises ValidationError naming anyone without the reviewer role."""
    _check_manager(actor)
    body = AppraisalBody.objects.select_for_update().get(pk=body.pk)
    wanted = {user.pk: user for user in staff}
    not_reviewers = [str(u) for u in wanted.values() if not u.has_role(Role.REVIEWER)]
    if not_reviewers:
        raise ValidationError(
            {
                "staff": _("只有人社审核员可以作为鉴定机构工作人员：%(names)s")
                % {"names": "、".join(not_reviewers)}
            }
        )
    current = set(body.staff.values_list("pk", flat=True))
    added = sorted(set(wanted) - current)
    removed = sorted(current - set(wanted))
    if added or removed:
        body.staff.set(list(wanted.values()))
        audit_record(
            actor=actor,
            action="appraisal.body_staff",
            obj=body,
            changes={
                "added": [str(wanted[pk]) for pk in added],
                "removed": [str(u) for u in User.objects.filter(pk__in=removed)],
            },
        )
    return body


@transaction.atomic
def authorisation_set(
    *, body: AppraisalBody, occupation: Occupation, max_level: int, actor: User
) -> BodyAuthorisation:
    """Authorise ``body`` for ``occupation`` up to ``max_level`` (creates or changes the one row
    per body and occupation). Audit ``appraisal.authorisation_set``."""
    _check_manager(actor)
    if max_level not in LEVEL_VALUES:
        raise ValidationError({"max_level": _("请选择最高鉴定等级")})
    body = AppraisalBody.objects.select_for_update().get(pk=body.pk)
    authorisation = BodyAuthorisation.objects.filter(body=body, occupation=occupation).first()
    before = authorisation.max_level if authorisation else None
    if authorisation is None:
        authorisation = BodyAuthorisation.objects.create(
            body=body, occupation=occupation, max_level=max_level
        )
    elif authorisation.max_level != max_level:
        authorisation.max_level = max_level
        authorisation.save(update_fields=["max_level", "updated_at"])
    else:
        return authorisation
    audit_record(
        actor=actor,
        action="appraisal.authorisation_set",
        obj=body,
        changes={
            "occupation": occupation.name,
            "max_level": [str(Level(before).label) if before else "", str(Level(max_level).label)],
        },
    )
    return authorisation


@transaction.atomic
def authorisation_remove(*, authorisation: BodyAuthorisation, actor: User) -> None:
    """Withdraw an authorisation. Sittings already set keep their occupation and level (they were
    authorised when set). Audit ``appraisal.authorisation_remove``."""
    _check_manager(actor)
    body = AppraisalBody.objects.select_for_update().get(pk=authorisation.body_id)
    authorisation = BodyAuthorisation.objects.select_related("occupation").get(pk=authorisation.pk)
    audit_record(
        actor=actor,
        action="appraisal.authorisation_remove",
        obj=body,
        changes={
            "occupation": authorisation.occupation.name,
            "max_level": str(Level(authorisation.max_level).label),
        },
    )
    authorisation.delete()


@transaction.atomic
def level_rule_update(
    *,
    rule: LevelRule,
    requires_lower_certificate: bool,
    requires_completed_class: bool,
    min_years_in_trade: int,
    actor: User,
) -> LevelRule:
    """Change what a level requires. Audit ``appraisal.level_rule_update``. Raises
    PermissionDenied (not a reviewer or the office), ValidationError (初级工 has no lower
    certificate to require; years out of range). Registrations already taken are not re-judged."""
    if not perms.can_manage_level_rules(actor):
        raise PermissionDenied
    rule = LevelRule.objects.select_for_update().get(pk=rule.pk)
    errors = {}
    if requires_lower_certificate and rule.level == Level.JUNIOR:
        errors["requires_lower_certificate"] = _("初级工没有更低一级的证书可要求")
    if not isinstance(min_years_in_trade, int) or not 0 <= min_years_in_trade <= 50:
        errors["min_years_in_trade"] = _("工作年限应在0到50之间")
    if errors:
        raise ValidationError(errors)
    new = {
        "requires_lower_certificate": bool(requires_lower_certificate),
        "requires_completed_class": bool(requires_completed_class),
        "min_years_in_trade": min_years_in_trade,
    }
    changes = {k: [getattr(rule, k), v] for k, v in new.items() if getattr(rule, k) != v}
    if changes:
        for field, value in new.items():
            setattr(rule, field, value)
        rule.save()
        audit_record(actor=actor, action="appraisal.level_rule_update", obj=rule, changes=changes)
    return rule


@transaction.atomic
def body_delete(*, body: AppraisalBody, actor: User) -> None:
    """Delete a body entered by mistake. A body that has held a sitting or issued a certificate
    is kept for the record (set it 停用 instead). Audit ``appraisal.body_delete``. Raises
    PermissionDenied, RuleViolation."""
    _check_manager(actor)
    body = AppraisalBody.objects.select_for_update().get(pk=body.pk)
    if body.sittings.exists() or body.certificates.exists():
        raise RuleViolation(
            _("该鉴定机构已有考试场次或证书记录，不能删除，可设为停用"), code="in_use"
        )
    audit_record(actor=actor, action="appraisal.body_delete", obj=body, changes={"name": body.name})
    body.delete()
