"""Writes of the monthly-return loop: save, submit, accept, send back, unlock, corrections,
reminders. Every function checks permission, runs in one transaction and writes audit rows."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core import clock
from core.errors import RuleViolation
from core.models import Department, User
from core.roles import Role
from core.services import audit_record
from training import deadlines, permissions
from training.models import (
    FIGURE_FIELDS,
    OUTCOME_FIELDS,
    Campaign,
    CorrectionRequest,
    MonthlyReturn,
    ReturnAmendment,
    ReturnLine,
    ReturnReminder,
    ReturnUnlock,
    TrainingCategory,
)

FIELD_LABELS = {name: str(ReturnLine._meta.get_field(name).verbose_name) for name in FIGURE_FIELDS}


class ReturnConflict(RuleViolation):
    """Someone saved the return since this user loaded it."""

    def __init__(self) -> None:
        super().__init__(
            _("保存冲突：该月报已被他人修改。页面已显示最新数据，请核对后重新填写。"),
            code="conflict",
        )


@dataclass
class LineInput:
    """One category's figures as a user (form or file) sent them."""

    category_id: int
    figures: dict[str, int] = field(default_factory=dict)
    note: str = ""


def _check_month(campaign: Campaign, month: datetime.date) -> None:
    if month not in campaign.reporting_months():
        raise RuleViolation(
            _("%(month)s 不在本专项活动的报送月份内") % {"month": f"{month:%Y年%m月}"}
        )


def validate_lines(
    *, categories: list[TrainingCategory], lines: list[LineInput]
) -> dict[int, LineInput]:
    """Check a full set of lines for a department: one per category it owns, whole numbers ≥ 0,
    no outcome above trained. Raises ValidationError naming category and figure."""
    by_id = {c.pk: c for c in categories}
    errors: dict[str, str] = {}
    seen: dict[int, LineInput] = {}
    for line in lines:
        category = by_id.get(line.category_id)
        if category is None:
            raise PermissionDenied  # a category of another department: a forged request
        if line.category_id in seen:
            errors[f"{category.number}"] = _("培训类别“%(name)s”重复") % {"name": category.name}
            continue
        seen[line.category_id] = line
        for name in FIGURE_FIELDS:
            value = line.figures.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int):
                errors[f"{category.number}.{name}"] = _("%(cat)s：%(field)s应为整数") % {
                    "cat": category.name,
                    "field": FIELD_LABELS[name],
                }
            elif value < 0:
                errors[f"{category.number}.{name}"] = _("%(cat)s：%(field)s不能为负数") % {
                    "cat": category.name,
                    "field": FIELD_LABELS[name],
                }
        trained = line.figures.get("trained", 0)
        for name in OUTCOME_FIELDS:
            value = line.figures.get(name, 0)
            if (
                isinstance(value, int)
                and isinstance(trained, int)
                and f"{category.number}.{name}" not in errors
                and value > trained >= 0
            ):
                errors[f"{category.number}.{name}"] = _(
                    "%(cat)s：%(field)s（%(value)s）不能大于培训人次（%(trained)s）"
                ) % {
                    "cat": category.name,
                    "field": FIELD_LABELS[name],
                    "value": value,
                    "trained": trained,
                }
        if len(line.note) > 500:
            errors[f"{category.number}.note"] = _("%(cat)s：备注不能超过500字") % {
                "cat": category.name
            }
    missing = [c for c in categories if c.pk not in seen]
    for category in missing:
        errors[f"{category.number}"] = _("缺少培训类别“%(name)s”的数据") % {"name": category.name}
    if errors:
        raise ValidationError(errors)
    return seen


def _open_unlock(
    campaign: Campaign, department: Department, month: datetime.date, moment
) -> ReturnUnlock | None:
    return (
        ReturnUnlock.objects.filter(
            campaign=campaign,
            department=department,
            month=month,
            closed_at__isnull=True,
            expires_at__gte=moment,
        )
        .order_by("-expires_at")
        .first()
    )


def current_edit_state(
    *, campaign: Campaign, department: Department, month: datetime.date, ret: MonthlyReturn | None
) -> deadlines.EditState:
    moment = clock.now()
    return deadlines.edit_state(
        window=deadlines.window_for(campaign, month),
        status=ret.status if ret else None,
        unlocked=_open_unlock(campaign, department, month, moment) is not None,
        moment=moment,
    )


def _bump_version(ret: MonthlyReturn, version: int, **changes) -> MonthlyReturn:
    """Compare-and-set on the version: the UPDATE matches only if nobody saved since the user
    loaded the page. On PostgreSQL the row lock makes a concurrent writer wait and then find the
    version changed, so exactly one of them wins."""
    updated = MonthlyReturn.objects.filter(pk=ret.pk, version=version).update(
        version=F("version") + 1, updated_at=clock.now(), **changes
    )
    if not updated:
        raise ReturnConflict
    ret.refresh_from_db()
    return ret


@transaction.atomic
def return_save(
    *,
    campaign: Campaign,
    department: Department,
    month: datetime.date,
    lines: list[LineInput],
    version: int,
    actor: User,
) -> MonthlyReturn:
    """Save the department's figures for a month as a draft (or keep a returned one returned).

    ``version`` is the one the user loaded (0 for a return not yet created). Raises
    PermissionDenied (not this department's clerk), RuleViolation (month closed or submitted),
    ReturnConflict (saved by someone else since), ValidationError (bad figures). Writes one audit
    row with the figures that changed."""
    if not permissions.can_edit_return(actor, department):
        raise PermissionDenied
    _check_month(campaign, month)
    categories = list(TrainingCategory.objects.filter(campaign=campaign, department=department))
    clean = validate_lines(categories=categories, lines=lines)

    ret = MonthlyReturn.objects.filter(
        campaign=campaign, department=department, month=month
    ).first()
    state = current_edit_state(campaign=campaign, department=department, month=month, ret=ret)
    if not state.editable:
        raise RuleViolation(state.reason, code=state.code)

    if ret is None:
        if version != 0:
            raise ReturnConflict
        try:
            with transaction.atomic():
                ret = MonthlyReturn.objects.create(
                    campaign=campaign, department=department, month=month
                )
        except IntegrityError as exc:
            raise ReturnConflict from exc
        before: dict[int, dict[str, int]] = {}
    else:
        ret = _bump_version(ret, version)
        if ret.status not in (MonthlyReturn.Status.DRAFT, MonthlyReturn.Status.RETURNED):
            raise RuleViolation(_("该月报当前状态不可修改"), code="state")
        before = {line.category_id: line.figures() for line in ret.lines.all()}

    changes: dict[str, list[int]] = {}
    existing = {line.category_id: line for line in ret.lines.all()}
    for category in categories:
        line_input = clean[category.pk]
        values = {name: line_input.figures.get(name, 0) for name in FIGURE_FIELDS}
        line = existing.get(category.pk)
        if line is None:
            ReturnLine.objects.create(
                monthly_return=ret, category=category, note=line_input.note, **values
            )
        else:
            for name, value in values.items():
                setattr(line, name, value)
            line.note = line_input.note
            line.save()
        old = before.get(category.pk, {})
        for name, value in values.items():
            if old.get(name, 0) != value or category.pk not in before:
                changes[f"{category.number}.{name}"] = [old.get(name), value]
    # The state it is left in is the outcome even of a save that changed no figure.
    audit_record(
        actor=actor, action="monthly_return.save", obj=ret, to_state=ret.status, changes=changes
    )
    return ret


@transaction.atomic
def return_submit(*, monthly_return: MonthlyReturn, version: int, actor: User) -> MonthlyReturn:
    """Submit a saved draft (or a returned return) to the office. The first submission fixes
    punctuality: late if it came after the due day. Raises as return_save."""
    ret = monthly_return
    if not permissions.can_edit_return(actor, ret.department):
        raise PermissionDenied
    state = current_edit_state(
        campaign=ret.campaign, department=ret.department, month=ret.month, ret=ret
    )
    if not state.editable:
        raise RuleViolation(state.reason, code=state.code)
    if not ret.lines.exists():
        raise RuleViolation(_("请先填写并保存本月数据，再提交"), code="empty")
    now = clock.now()
    window = deadlines.window_for(ret.campaign, ret.month)
    from_state = ret.status
    first = ret.first_submitted_at or now
    ret = _bump_version(
        ret,
        version,
        status=MonthlyReturn.Status.SUBMITTED,
        submitted_at=now,
        submitted_by=actor,
        first_submitted_at=first,
        is_late=window.is_late(first),
    )
    if from_state not in (MonthlyReturn.Status.DRAFT, MonthlyReturn.Status.RETURNED):
        raise RuleViolation(_("该月报当前状态不可提交"), code="state")
    audit_record(
        actor=actor,
        action="monthly_return.submit",
        obj=ret,
        from_state=from_state,
        to_state=ret.status,
        changes={"late": ret.is_late},
    )
    return ret


def _lock_for_review(monthly_return: MonthlyReturn, actor: User) -> MonthlyReturn:
    if not permissions.can_review_return(actor):
        raise PermissionDenied
    ret = MonthlyReturn.objects.select_for_update().get(pk=monthly_return.pk)
    if ret.status != MonthlyReturn.Status.SUBMITTED:
        raise RuleViolation(_("只有已提交的月报可以审核"), code="state")
    return ret


@transaction.atomic
def return_accept(*, monthly_return: MonthlyReturn, actor: User) -> MonthlyReturn:
    """The office accepts a submitted return. Raises PermissionDenied, RuleViolation."""
    ret = _lock_for_review(monthly_return, actor)
    ret = _bump_version(
        ret,
        ret.version,
        status=MonthlyReturn.Status.ACCEPTED,
        decided_at=clock.now(),
        decided_by=actor,
        return_reason="",
    )
    audit_record(
        actor=actor,
        action="monthly_return.accept",
        obj=ret,
        from_state="submitted",
        to_state=ret.status,
    )
    return ret


@transaction.atomic
def return_send_back(*, monthly_return: MonthlyReturn, reason: str, actor: User) -> MonthlyReturn:
    """The office returns a submitted return for revision; the clerk sees ``reason``."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回理由")})
    ret = _lock_for_review(monthly_return, actor)
    ret = _bump_version(
        ret,
        ret.version,
        status=MonthlyReturn.Status.RETURNED,
        decided_at=clock.now(),
        decided_by=actor,
        return_reason=reason,
    )
    audit_record(
        actor=actor,
        action="monthly_return.send_back",
        obj=ret,
        from_state="submitted",
        to_state=ret.status,
        reason=reason,
    )
    return ret


@transaction.atomic
def unlock_grant(
    *,
    campaign: Campaign,
    department: Department,
    month: datetime.date,
    reason: str,
    expires_at: datetime.datetime,
    actor: User,
) -> ReturnUnlock:
    """Reopen a closed month for one department until ``expires_at`` (reason required)."""
    if not permissions.can_grant_unlock(actor):
        raise PermissionDenied
    _check_month(campaign, month)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("请填写解锁理由")
    if expires_at <= clock.now():
        errors["expires_at"] = _("解锁截止时间必须晚于当前时间")
    if errors:
        raise ValidationError(errors)
    unlock = ReturnUnlock.objects.create(
        campaign=campaign,
        department=department,
        month=month,
        reason=reason,
        expires_at=expires_at,
        granted_by=actor,
    )
    audit_record(
        actor=actor,
        action="monthly_return.unlock",
        obj=unlock,
        reason=reason,
        changes={"expires_at": expires_at.isoformat()},
    )
    return unlock


@transaction.atomic
def unlocks_close_expired(*, actor: User | None = None) -> int:
    """Mark unlocks past their expiry as closed (they already stopped counting at expiry; this
    keeps the record and the audit trail honest). Idempotent."""
    now = clock.now()
    expired = list(
        ReturnUnlock.objects.select_for_update().filter(closed_at__isnull=True, expires_at__lt=now)
    )
    for unlock in expired:
        unlock.closed_at = now
        unlock.save(update_fields=["closed_at", "updated_at"])
        audit_record(
            actor=actor,
            action="monthly_return.unlock_expired",
            obj=unlock,
            changes={"expires_at": unlock.expires_at.isoformat(), "closed_at": now.isoformat()},
        )
    return len(expired)


def _correctable(ret: MonthlyReturn) -> bool:
    if ret.status == MonthlyReturn.Status.ACCEPTED:
        return True
    if ret.status == MonthlyReturn.Status.SUBMITTED:
        window = deadlines.window_for(ret.campaign, ret.month)
        return clock.now() >= window.locks_at
    return False


@transaction.atomic
def correction_request(
    *,
    monthly_return: MonthlyReturn,
    proposed: Mapping[int, Mapping[str, int]],
    reason: str,
    actor: User,
) -> CorrectionRequest:
    """A clerk asks to change figures of an accepted (or submitted and locked) return.

    ``proposed`` maps category id → {figure: new value}; only differences are kept. The
    resulting lines must still be valid. Raises PermissionDenied, RuleViolation (not correctable,
    nothing changes, one already pending), ValidationError."""
    ret = MonthlyReturn.objects.select_for_update().get(pk=monthly_return.pk)
    if not permissions.can_request_correction(actor, ret.department):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写更正理由")})
    if not _correctable(ret):
        raise RuleViolation(_("只有已审核通过或已锁定的月报需要申请更正；其他情况请直接修改"))
    if ret.corrections.filter(status=CorrectionRequest.Status.PENDING).exists():
        raise RuleViolation(_("该月报已有待审批的更正申请，请等待办公室处理"), code="pending")
    lines = {line.category_id: line for line in ret.lines.select_related("category")}
    merged: list[LineInput] = []
    diff: dict[str, dict[str, int]] = {}
    for category_id, line in lines.items():
        figures = line.figures()
        for name, value in (proposed.get(category_id) or {}).items():
            if name not in FIGURE_FIELDS:
                raise PermissionDenied
            if value != figures[name]:
                diff.setdefault(str(category_id), {})[name] = value
            figures[name] = value
        merged.append(LineInput(category_id=category_id, figures=figures, note=line.note))
    if set(proposed) - set(lines):
        raise PermissionDenied
    validate_lines(categories=[line.category for line in lines.values()], lines=merged)
    if not diff:
        raise RuleViolation(_("更正内容与原数据相同，无需申请"), code="no_change")
    correction = CorrectionRequest.objects.create(
        monthly_return=ret, reason=reason, proposed=diff, requested_by=actor
    )
    audit_record(
        actor=actor,
        action="monthly_return.correction_request",
        obj=ret,
        reason=reason,
        changes={"correction": correction.pk, "proposed": diff},
    )
    return correction


def _lock_pending(correction: CorrectionRequest, actor: User) -> CorrectionRequest:
    correction = CorrectionRequest.objects.select_for_update().get(pk=correction.pk)
    if not permissions.can_decide_correction(actor, correction):
        raise PermissionDenied
    if correction.status != CorrectionRequest.Status.PENDING:
        raise RuleViolation(_("该更正申请已处理"), code="state")
    return correction


@transaction.atomic
def correction_approve(
    *, correction: CorrectionRequest, actor: User, reason: str = ""
) -> CorrectionRequest:
    """Apply an approved correction as amendments (old → new per figure). The return keeps its
    status; if the change comes after the lock day it is marked "amended after deadline"."""
    correction = _lock_pending(correction, actor)
    ret = MonthlyReturn.objects.select_for_update().get(pk=correction.monthly_return_id)
    # The office may have sent the return back since the request, and the clerk may have edited
    # (and resubmitted) it: a stale request must neither overwrite those edits nor break the
    # figures' rules (that would be a database error, not a message).
    if not _correctable(ret):
        raise RuleViolation(_("该月报已退回修改，此更正申请不能再批准，请不予批准"), code="state")
    lines = {str(line.category_id): line for line in ret.lines.select_related("category")}
    merged = [
        LineInput(
            category_id=line.category_id,
            figures={**line.figures(), **correction.proposed.get(key, {})},
            note=line.note,
        )
        for key, line in lines.items()
    ]
    try:
        validate_lines(categories=[line.category for line in lines.values()], lines=merged)
    except ValidationError as exc:
        raise RuleViolation(
            _("月报数据已变化，按此更正申请修改后数据不成立，请不予批准"), code="stale"
        ) from exc
    now = clock.now()
    changes = {}
    for category_id, figures in correction.proposed.items():
        line = lines[category_id]
        for name, new_value in figures.items():
            old_value = getattr(line, name)
            ReturnAmendment.objects.create(
                correction=correction,
                line=line,
                field=name,
                old_value=old_value,
                new_value=new_value,
            )
            setattr(line, name, new_value)
            changes[f"{line.category.number}.{name}"] = [old_value, new_value]
        line.save()
    window = deadlines.window_for(ret.campaign, ret.month)
    _bump_version(
        ret,
        ret.version,
        amended_after_deadline=ret.amended_after_deadline or now >= window.locks_at,
    )
    correction.status = CorrectionRequest.Status.APPROVED
    correction.decided_by = actor
    correction.decided_at = now
    correction.decision_reason = (reason or "").strip()
    correction.save()
    audit_record(
        actor=actor,
        action="monthly_return.correction_approve",
        obj=ret,
        from_state="pending",
        to_state="approved",
        reason=correction.decision_reason,
        changes=changes,
    )
    return correction


@transaction.atomic
def correction_refuse(
    *, correction: CorrectionRequest, reason: str, actor: User
) -> CorrectionRequest:
    """Refuse a correction (reason required); the figures stay as they were."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写不予批准的理由")})
    correction = _lock_pending(correction, actor)
    correction.status = CorrectionRequest.Status.REFUSED
    correction.decided_by = actor
    correction.decided_at = clock.now()
    correction.decision_reason = reason
    correction.save()
    audit_record(
        actor=actor,
        action="monthly_return.correction_refuse",
        obj=correction.monthly_return,
        from_state="pending",
        to_state="refused",
        reason=reason,
    )
    return correction


@transaction.atomic
def reminders_send(*, campaign: Campaign | None = None) -> list[ReturnReminder]:
    """On the 1st and on the due day, remind every responsible unit that has not submitted last
    month's return: a reminder row (shown on the clerk's home page) and a mail to its clerks who
    have an address. Idempotent: one reminder per department, month and kind."""
    campaign = campaign or Campaign.objects.current()
    if campaign is None:
        return []
    now = clock.now()
    today = clock.today()
    if today.day == 1:
        kind = ReturnReminder.Kind.OPENING
    elif today.day == campaign.due_day:
        kind = ReturnReminder.Kind.DUE
    else:
        return []
    month = deadlines.current_reporting_month(campaign, now)
    if month is None or deadlines.next_month(month) > today:
        return []
    submitted = set(
        MonthlyReturn.objects.reported()
        .filter(campaign=campaign, month=month)
        .values_list("department_id", flat=True)
    )
    departments = Department.objects.filter(training_categories__campaign=campaign).distinct()
    window = deadlines.window_for(campaign, month)
    created = []
    for department in departments:
        if department.pk in submitted:
            continue
        reminder, is_new = ReturnReminder.objects.get_or_create(
            campaign=campaign, department=department, month=month, kind=kind
        )
        if not is_new:
            continue
        recipients = list(
            User.objects.filter(department=department, groups__name=Role.CLERK, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if recipients:
            send_mail(
                subject=_("【技能振兴】请报送%(month)s目标任务完成情况")
                % {"month": f"{month.year}年{month.month}月"},
                message=_(
                    "%(dept)s：%(month)s的目标任务完成情况尚未报送，截止时间为%(due)s 23:59。"
                    "请登录系统填报。"
                )
                % {
                    "dept": department.name,
                    "month": f"{month.year}年{month.month}月",
                    "due": f"{window.due_date:%Y年%m月%d日}",
                },
                from_email=None,
                recipient_list=recipients,
                fail_silently=True,
            )
            reminder.emailed_to = len(recipients)
            reminder.save(update_fields=["emailed_to", "updated_at"])
        audit_record(actor=None, action="monthly_return.remind", obj=reminder, to_state=kind)
        created.append(reminder)
    return created
