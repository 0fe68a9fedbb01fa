"""Writes of "直通车" registrations: the level-rule check, registering (online by the worker, at a
registration point by its staff, or at the training institution straight after a class) and
withdrawing.

The rule check is a pure read (``registration_check``), so a page can show the worker what they
meet and what they lack before they submit; ``registration_create`` runs the same check again
under a lock on the worker's row, and the database holds the one-open-registration rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from appraisal import permissions as perms
from appraisal.models import LEVEL_VALUES, Certificate, Level, LevelRule, Registration
from core import clock
from core.errors import RuleViolation
from core.models import User
from core.services import audit_record
from training.models import Enrollment, Occupation, RegistrationPoint, TrainingClass, Worker

DUPLICATE = "您已报名%(occupation)s（%(level)s），报名编号%(code)s尚未考完，不能重复报名"
DUPLICATE_RACE = "该劳动者已有未完成的同职业同等级报名，不能重复报名"


def exception_allows(worker: Worker, occupation: Occupation, level: int) -> bool:
    """Whether an approved "双一" exception (破格 / 越级) lets ``worker`` register for
    ``occupation`` at ``level`` past the level rule. The exceptions are the pilots area's
    (``DualOneException``, approved by 人社); an approval covers exactly that occupation and
    level, whichever pilot asked for it."""
    from appraisal.models import DualOneException

    return DualOneException.objects.filter(
        worker=worker,
        occupation=occupation,
        level=level,
        status=DualOneException.Status.APPROVED,
    ).exists()


@dataclass(frozen=True)
class RuleCheck:
    """The result of checking a registration before it is made.

    ``allowed``: it may be submitted. ``reasons``: why not, in plain Chinese (each unmet
    requirement, or the duplicate). ``met``: the requirements met, for the worker to see.
    ``by_exception``: the level rule was not met but an approved "双一" exception lets them in.
    """

    allowed: bool
    reasons: tuple[str, ...]
    met: tuple[str, ...]
    by_exception: bool = False


def _label(level: int) -> str:
    return str(Level(level).label)


def completed_class_exists(worker: Worker, occupation: Occupation) -> bool:
    """A passed enrollment in a closed (结业) class of the occupation."""
    return Enrollment.objects.filter(
        worker=worker,
        result=Enrollment.Result.PASSED,
        training_class__status=TrainingClass.Status.CLOSED,
        training_class__occupation=occupation,
    ).exists()


def registration_check(
    *, worker: Worker, occupation: Occupation, level: int, years_in_trade: int = 0
) -> RuleCheck:
    """Check whether ``worker`` may register for ``occupation`` at ``level`` now.

    Refused when: the level is unknown; an open registration for the same occupation and level
    exists; the worker already holds that certificate; the level has no rule yet; or a
    requirement of the level rule is not met (lower certificate, completed class, years in the
    trade) and no approved "双一" exception covers it. Reads only.
    """
    if level not in LEVEL_VALUES:
        return RuleCheck(False, (_("请选择申报等级"),), ())
    label = _label(level)
    open_one = (
        Registration.objects.filter(
            worker=worker,
            occupation=occupation,
            level=level,
            status__in=Registration.OPEN_STATUSES,
        )
        .only("pk")
        .first()
    )
    if open_one is not None:
        return RuleCheck(
            False,
            (
                _(DUPLICATE)
                % {"occupation": occupation.name, "level": label, "code": open_one.code},
            ),
            (),
        )
    held = Certificate.objects.filter(worker=worker, occupation=occupation, level=level).first()
    if held is not None:
        return RuleCheck(
            False,
            (
                _("已持有%(occupation)s（%(level)s）证书（编号%(number)s），无需再次报名")
                % {"occupation": occupation.name, "level": label, "number": held.number},
            ),
            (),
        )
    rule = LevelRule.objects.filter(level=level).first()
    if rule is None:
        return RuleCheck(
            False, (_("%(level)s暂未设置报名条件，暂不能报名") % {"level": label},), ()
        )

    reasons: list[str] = []
    met: list[str] = []
    if rule.requires_lower_certificate:
        lower = _label(level + 1)
        if Certificate.objects.filter(
            worker=worker, occupation=occupation, level=level + 1
        ).exists():
            met.append(
                _("已持有%(occupation)s（%(lower)s）证书")
                % {"occupation": occupation.name, "lower": lower}
            )
        else:
            reasons.append(
                _(
                    "报名%(level)s须持有本职业（工种）%(lower)s证书，您尚未取得%(occupation)s（%(lower)s）证书"
                )
                % {"level": label, "lower": lower, "occupation": occupation.name}
            )
    if rule.requires_completed_class:
        if completed_class_exists(worker, occupation):
            met.append(_("已在%(occupation)s培训班结业考核合格") % {"occupation": occupation.name})
        else:
            reasons.append(
                _(
                    "报名%(level)s须在本职业（工种）培训班结业考核合格，"
                    "您尚无已结业且考核合格的%(occupation)s培训记录"
                )
                % {"level": label, "occupation": occupation.name}
            )
    if rule.min_years_in_trade:
        if years_in_trade >= rule.min_years_in_trade:
            met.append(_("本职业工作满%(n)s年") % {"n": rule.min_years_in_trade})
        else:
            reasons.append(
                _("报名%(level)s须在本职业工作满%(n)s年，您申报的工作年限为%(years)s年")
                % {"level": label, "n": rule.min_years_in_trade, "years": years_in_trade}
            )
    if not reasons:
        if not met:
            met.append(_("%(level)s无特别报名条件") % {"level": label})
        return RuleCheck(True, (), tuple(met))
    if exception_allows(worker, occupation, level):
        return RuleCheck(
            True,
            (),
            (*met, _("已获批“双一”破格/越级，不受以下条件限制：") + "；".join(reasons)),
            by_exception=True,
        )
    return RuleCheck(False, tuple(reasons), tuple(met))


def _check_staff_channel(
    *,
    actor: User,
    worker: Worker,
    occupation: Occupation,
    point: RegistrationPoint | None,
    training_class: TrainingClass | None,
) -> str:
    """Who may register ``worker`` this way; returns the channel."""
    if point is None and training_class is None:
        if not perms.can_register_self(actor, worker):
            raise PermissionDenied
        return Registration.Channel.ONLINE
    if point is not None and not perms.can_register_at_point(actor, point):
        raise PermissionDenied
    if training_class is not None:
        if not perms.can_register_from_class(actor, training_class):
            raise PermissionDenied
        errors = {}
        if training_class.occupation_id != occupation.pk:
            errors["training_class"] = _("培训班的职业（工种）与报名职业（工种）不一致")
        elif not Enrollment.objects.filter(training_class=training_class, worker=worker).exists():
            errors["training_class"] = _("该劳动者不是所选培训班的学员")
        if errors:
            raise ValidationError(errors)
        return Registration.Channel.CLASS
    return Registration.Channel.POINT


@transaction.atomic
def registration_create(
    *,
    worker: Worker,
    occupation: Occupation,
    level: int,
    years_in_trade: int = 0,
    entrusted_to_claim: bool = False,
    point: RegistrationPoint | None = None,
    training_class: TrainingClass | None = None,
    actor: User,
) -> Registration:
    """Register ``worker`` for an appraisal of ``occupation`` at ``level``.

    Without ``point`` and ``training_class`` it is the worker registering online (only the
    worker themself may). With ``point``: the point's staff (institution staff for their
    institution's points, reviewers and clerks for the others). With ``training_class``: the
    class's institution, for one of its trainees, in the class's occupation.

    Writes one ``appraisal.registration_create`` audit row. Raises PermissionDenied,
    ValidationError (bad level or years, a class of another occupation or without the worker),
    RuleViolation (the level rule refuses — the message lists every unmet requirement — or an
    open registration for the same occupation and level exists).
    """
    channel = _check_staff_channel(
        actor=actor,
        worker=worker,
        occupation=occupation,
        point=point,
        training_class=training_class,
    )
    errors = {}
    if level not in LEVEL_VALUES:
        errors["level"] = _("请选择申报等级")
    if not isinstance(years_in_trade, int) or not 0 <= years_in_trade <= 60:
        errors["years_in_trade"] = _("工作年限应在0到60之间")
    if errors:
        raise ValidationError(errors)
    # One registration at a time per person: the check below and the insert see the same state.
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    check = registration_check(
        worker=worker, occupation=occupation, level=level, years_in_trade=years_in_trade
    )
    if not check.allowed:
        raise RuleViolation("；".join(check.reasons), code="registration_refused")
    registration = Registration(
        worker=worker,
        occupation=occupation,
        level=level,
        channel=channel,
        point=point,
        training_class=training_class,
        years_in_trade=years_in_trade,
        entrusted_to_claim=bool(entrusted_to_claim),
        by_exception=check.by_exception,
        registered_by=actor,
    )
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:
        raise RuleViolation(_(DUPLICATE_RACE), code="duplicate") from exc
    audit_record(
        actor=actor,
        action="appraisal.registration_create",
        obj=registration,
        to_state=registration.status,
        changes={
            "channel": channel,
            "occupation": occupation.name,
            "level": _label(level),
            "point": point.name if point else "",
            "training_class": training_class.code if training_class else "",
            "by_exception": check.by_exception,
            "entrusted_to_claim": registration.entrusted_to_claim,
        },
    )
    return registration


def _lock(registration: Registration) -> Registration:
    return (
        Registration.objects.select_for_update(of=("self",))
        .select_related("worker", "sitting", "point", "training_class", "registered_by")
        .get(pk=registration.pk)
    )


def check_transition(registration: Registration, target: str) -> None:
    if target not in Registration.TRANSITIONS[registration.status]:
        raise RuleViolation(
            _("报名当前状态为“%(status)s”，不能改为“%(target)s”")
            % {
                "status": registration.get_status_display(),
                "target": Registration.Status(target).label,
            },
            code="transition",
        )


@transaction.atomic
def registration_withdraw(
    *, registration: Registration, actor: User, reason: str = ""
) -> Registration:
    """Withdraw an open registration (the worker, or the staff of the point that took it),
    freeing its place in a sitting. Not on or after the exam day of its sitting.

    Writes one ``appraisal.registration_withdraw`` audit row. Raises PermissionDenied,
    RuleViolation (already decided or withdrawn; exam day reached)."""
    registration = _lock(registration)
    if not perms.can_withdraw_registration(actor, registration):
        raise PermissionDenied
    check_transition(registration, Registration.Status.WITHDRAWN)
    if registration.sitting is not None and registration.sitting.exam_date <= clock.today():
        raise RuleViolation(
            _("考试日期（%(date)s）当天及之后不能撤销报名")
            % {"date": registration.sitting.exam_date.isoformat()},
            code="too_late",
        )
    before = registration.status
    sitting = registration.sitting
    registration.status = Registration.Status.WITHDRAWN
    registration.sitting = None
    registration.save(update_fields=["status", "sitting", "updated_at"])
    audit_record(
        actor=actor,
        action="appraisal.registration_withdraw",
        obj=registration,
        from_state=before,
        to_state=registration.status,
        changes={"sitting": str(sitting.pk) if sitting else ""},
        reason=(reason or "").strip()[:500],
    )
    return registration
