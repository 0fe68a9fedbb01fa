"""Writes of the institutions area: the registry of designated training institutions (定点培训机构),
their basic bank account, programmes, designation (warn / revoke / restore), rule violations, the
annual assessment with its exit proposals, and the registration points (报名点).

Every function checks permission first, runs in one transaction and writes one audit row per
change. A bank account number is never written to an audit row: only its mask.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Min, Q
from django.db.models.functions import ExtractYear
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext as _

from core import clock, crypto
from core.errors import RuleViolation
from core.middleware import client_ip
from core.models import AuditEvent, County, User
from core.services import audit_record
from core.validators import (
    bank_account_luhn_ok,
    mask_bank_account,
    normalize_bank_account,
    validate_bank_account,
)
from training.models import (
    Campaign,
    DesignationChange,
    Enrollment,
    Inspection,
    Institution,
    InstitutionAssessment,
    InstitutionViolation,
    Occupation,
    Programme,
    RegistrationPoint,
    TrainingClass,
)
from training.permissions import institutions as perms
from training.selectors.institutions import percent_text

INSTITUTION_FIELDS = (
    "name",
    "kind",
    "county",
    "contact_person",
    "contact_phone",
    "address",
    "designated_on",
    "plaque_granted_on",
)
PROGRAMME_FIELDS = ("name", "occupation", "target_groups", "duration_days", "content")
POINT_FIELDS = ("name", "level", "county", "institution", "address", "phone", "is_active")

# A class counts for the year it ends in once it was approved to open (closed ones included).
RUN_STATUSES = (TrainingClass.Status.APPROVED, TrainingClass.Status.CLOSED)
FINDING_VERDICTS = (Inspection.Verdict.ISSUES, Inspection.Verdict.SERIOUS)


# ------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------


def _audit_value(value: Any) -> Any:
    """A value as it can sit in AuditEvent.changes (JSON); a list (an assessment's reasons, its
    sentences) stays a list rather than becoming its Python repr."""
    if value is None or isinstance(value, bool | int | str | list):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _require_reason(reason: str, *, key: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({key: _("请填写理由")})
    return text


def _not_in_future(values: Mapping[str, datetime.date | None]) -> None:
    today = clock.today()
    errors = {
        name: _("日期不能晚于今天（%(today)s）") % {"today": f"{today:%Y-%m-%d}"}
        for name, value in values.items()
        if value is not None and value > today
    }
    if errors:
        raise ValidationError(errors)


def _apply(obj: models.Model, data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict:
    """Set the fields in ``data`` on ``obj``; returns ``{field: [old, new]}`` for those that
    changed (values as they are audited)."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"fields that cannot be updated here: {sorted(unknown)}")
    changes = {}
    for name, value in data.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = [_audit_value(old), _audit_value(value)]
            setattr(obj, name, value)
    return changes


# ------------------------------------------------------------------------------
# The registry
# ------------------------------------------------------------------------------


@transaction.atomic
def institution_create(
    *,
    name: str,
    kind: str,
    county: County | None = None,
    contact_person: str = "",
    contact_phone: str = "",
    address: str = "",
    designated_on: datetime.date | None = None,
    plaque_granted_on: datetime.date | None = None,
    actor: User,
) -> Institution:
    """Add a designated institution (the office). Writes one audit row. Raises PermissionDenied,
    ValidationError (name taken, bad kind, a date in the future)."""
    if not perms.can_create_institution(actor):
        raise PermissionDenied
    _not_in_future({"designated_on": designated_on, "plaque_granted_on": plaque_granted_on})
    institution = Institution(
        name=(name or "").strip(),
        kind=kind,
        county=county,
        contact_person=contact_person.strip(),
        contact_phone=contact_phone.strip(),
        address=address.strip(),
        designated_on=designated_on,
        plaque_granted_on=plaque_granted_on,
    )
    institution.full_clean()
    institution.save()
    audit_record(
        actor=actor,
        action="institution.create",
        obj=institution,
        to_state=institution.designation,
        changes={
            name: _audit_value(getattr(institution, name))
            for name in INSTITUTION_FIELDS
            if getattr(institution, name) not in (None, "")
        },
    )
    return institution


@transaction.atomic
def institution_update(
    *, institution: Institution, data: Mapping[str, Any], actor: User
) -> Institution:
    """Change the registry fields in ``data`` (name, kind, county, contact, address, designation
    and plaque dates). The designation itself and the bank account have their own services.
    Writes one audit row with the fields that changed (none when nothing did). Raises
    PermissionDenied, ValidationError."""
    if not perms.can_edit_institution(actor, institution):
        raise PermissionDenied
    locked = Institution.objects.select_for_update().get(pk=institution.pk)
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    _not_in_future({k: cleaned[k] for k in ("designated_on", "plaque_granted_on") if k in cleaned})
    changes = _apply(locked, cleaned, INSTITUTION_FIELDS)
    if not changes:
        return locked
    locked.full_clean()
    locked.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, action="institution.update", obj=locked, changes=changes)
    return locked


@dataclass
class BankAccountResult:
    institution: Institution
    warnings: list[str] = field(default_factory=list)


@transaction.atomic
def institution_bank_account_set(
    *,
    institution: Institution,
    bank_name: str,
    account_name: str,
    account_number: str,
    actor: User,
) -> BankAccountResult:
    """Record the institution's basic account (基本帐户), where entrusted subsidies are paid.

    The number is checked (12–30 digits), stored encrypted with a masked copy for display, and
    never written anywhere else: the audit row holds only the old and new masks. A failed Luhn
    check does not refuse the number (company accounts often fail it); it comes back as a
    warning to show. Raises PermissionDenied, ValidationError (keyed ``bank_name``,
    ``account_name``, ``account_number``)."""
    if not perms.can_edit_institution(actor, institution):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    bank_name = (bank_name or "").strip()
    account_name = (account_name or "").strip()
    if not bank_name:
        errors["bank_name"] = [_("请填写开户银行")]
    if not account_name:
        errors["account_name"] = [_("请填写账户名称")]
    try:
        validate_bank_account(account_number)
    except ValidationError as exc:
        errors["account_number"] = exc.messages
    if errors:
        raise ValidationError(errors)
    number = normalize_bank_account(account_number)
    warnings = []
    if not bank_account_luhn_ok(number):
        warnings.append(
            _("该账号未通过银行卡号校验位检查，请与开户证明再次核对（对公账户可能不适用此校验）。")
        )

    locked = Institution.objects.select_for_update().get(pk=institution.pk)
    before = {
        "bank_name": locked.bank_name,
        "bank_account_name": locked.bank_account_name,
        "bank_account": locked.bank_account_masked,
    }
    locked.bank_name = bank_name
    locked.bank_account_name = account_name
    locked.bank_account_encrypted = crypto.encrypt(number)
    locked.bank_account_masked = mask_bank_account(number)
    locked.save(
        update_fields=[
            "bank_name",
            "bank_account_name",
            "bank_account_encrypted",
            "bank_account_masked",
            "updated_at",
        ]
    )
    after = {
        "bank_name": locked.bank_name,
        "bank_account_name": locked.bank_account_name,
        "bank_account": locked.bank_account_masked,
    }
    audit_record(
        actor=actor,
        action="institution.bank_account_set",
        obj=locked,
        changes={
            **{k: [before[k], after[k]] for k in after},
            "luhn_ok": not warnings,
        },
    )
    return BankAccountResult(institution=locked, warnings=warnings)


# ------------------------------------------------------------------------------
# Programmes
# ------------------------------------------------------------------------------


def _check_programme(programme: Programme) -> None:
    clash = Programme.objects.filter(institution=programme.institution_id, name=programme.name)
    if programme.pk:
        clash = clash.exclude(pk=programme.pk)
    if clash.exists():
        raise ValidationError({"name": _("本机构已有同名培训项目")})
    programme.full_clean(validate_constraints=False)


def _save_programme(programme: Programme, **kwargs) -> None:
    try:
        with transaction.atomic():
            programme.save(**kwargs)
    except IntegrityError as exc:  # a concurrent save of the same name
        raise ValidationError({"name": _("本机构已有同名培训项目")}) from exc


@transaction.atomic
def programme_create(
    *,
    institution: Institution,
    name: str,
    occupation: Occupation,
    duration_days: int,
    target_groups: str = "",
    content: str = "",
    actor: User,
) -> Programme:
    """Add a programme to the handbook (the institution's own staff, or the office). Writes one
    audit row. Raises PermissionDenied, ValidationError (name taken, duration not positive)."""
    if not perms.can_manage_programmes(actor, institution):
        raise PermissionDenied
    if not duration_days or duration_days < 1:
        raise ValidationError({"duration_days": _("培训天数应为大于0的整数")})
    programme = Programme(
        institution=institution,
        name=(name or "").strip(),
        occupation=occupation,
        duration_days=duration_days,
        target_groups=(target_groups or "").strip(),
        content=(content or "").strip(),
    )
    _check_programme(programme)
    _save_programme(programme)
    audit_record(
        actor=actor,
        action="programme.create",
        obj=programme,
        changes={
            "name": programme.name,
            "occupation": str(occupation),
            "duration_days": programme.duration_days,
        },
    )
    return programme


@transaction.atomic
def programme_update(*, programme: Programme, data: Mapping[str, Any], actor: User) -> Programme:
    """Change a programme's fields in ``data``. One audit row with what changed. Raises
    PermissionDenied, ValidationError."""
    if not perms.can_manage_programmes(actor, programme.institution):
        raise PermissionDenied
    locked = Programme.objects.select_for_update().get(pk=programme.pk)
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    if "duration_days" in cleaned and (
        not cleaned["duration_days"] or cleaned["duration_days"] < 1
    ):
        raise ValidationError({"duration_days": _("培训天数应为大于0的整数")})
    changes = _apply(locked, cleaned, PROGRAMME_FIELDS)
    if not changes:
        return locked
    _check_programme(locked)
    _save_programme(locked, update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, action="programme.update", obj=locked, changes=changes)
    return locked


@transaction.atomic
def programme_delete(*, programme: Programme, actor: User) -> None:
    """Remove a programme from the handbook. The audit row keeps what it was."""
    if not perms.can_manage_programmes(actor, programme.institution):
        raise PermissionDenied
    audit_record(
        actor=actor,
        action="programme.delete",
        obj=programme,
        changes={
            "name": programme.name,
            "occupation": str(programme.occupation),
            "duration_days": programme.duration_days,
        },
    )
    programme.delete()


# ------------------------------------------------------------------------------
# Designation: warn, revoke, restore
# ------------------------------------------------------------------------------

_DESIGNATION_VERBS = {
    Institution.Designation.WARNED: _("给予警告"),
    Institution.Designation.REVOKED: _("取消定点资格"),
    Institution.Designation.DESIGNATED: _("恢复定点资格"),
}


def _designation_change(
    *, institution: Institution, to_status: str, reason: str, actor: User, action: str
) -> Institution:
    if not perms.can_change_designation(actor):
        raise PermissionDenied
    reason = _require_reason(reason)
    locked = Institution.objects.select_for_update().get(pk=institution.pk)
    from_status = locked.designation
    if to_status not in Institution.TRANSITIONS[from_status]:
        raise RuleViolation(
            _("%(name)s当前为“%(status)s”，不能%(verb)s")
            % {
                "name": locked.name,
                "status": locked.get_designation_display(),
                "verb": _DESIGNATION_VERBS[to_status],
            },
            code="designation_transition",
        )
    locked.designation = to_status
    update_fields = ["designation", "updated_at"]
    changes = {}
    if from_status == Institution.Designation.REVOKED:
        # Designated anew: the years of idleness before the revocation no longer count.
        changes["designated_on"] = [_audit_value(locked.designated_on), clock.today().isoformat()]
        locked.designated_on = clock.today()
        update_fields.append("designated_on")
    locked.save(update_fields=update_fields)
    DesignationChange.objects.create(
        institution=locked,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        changed_by=actor,
    )
    audit_record(
        actor=actor,
        action=action,
        obj=locked,
        from_state=from_status,
        to_state=to_status,
        changes=changes,
        reason=reason,
    )
    # Keep the caller's instance current (views and tests read it afterwards).
    institution.designation = locked.designation
    institution.designated_on = locked.designated_on
    return locked


@transaction.atomic
def institution_warn(*, institution: Institution, reason: str, actor: User) -> Institution:
    """定点 → 警告 (the office, with a reason). Writes a DesignationChange and an audit row.
    Raises PermissionDenied, ValidationError (no reason), RuleViolation (not allowed from the
    current designation)."""
    return _designation_change(
        institution=institution,
        to_status=Institution.Designation.WARNED,
        reason=reason,
        actor=actor,
        action="institution.warn",
    )


@transaction.atomic
def institution_revoke(*, institution: Institution, reason: str, actor: User) -> Institution:
    """定点/警告 → 取消定点资格 (the office, with a reason). A revoked institution may open no
    classes (``Institution.may_open_classes``). Writes a DesignationChange and an audit row.
    Raises PermissionDenied, ValidationError, RuleViolation (already revoked)."""
    return _designation_change(
        institution=institution,
        to_status=Institution.Designation.REVOKED,
        reason=reason,
        actor=actor,
        action="institution.revoke",
    )


@transaction.atomic
def institution_restore(*, institution: Institution, reason: str, actor: User) -> Institution:
    """警告/取消 → 定点 (the office, with a reason). Restoring a revoked institution designates it
    anew from today. Writes a DesignationChange and an audit row. Raises PermissionDenied,
    ValidationError, RuleViolation (already designated)."""
    return _designation_change(
        institution=institution,
        to_status=Institution.Designation.DESIGNATED,
        reason=reason,
        actor=actor,
        action="institution.restore",
    )


@transaction.atomic
def violation_record(
    *,
    institution: Institution,
    occurred_on: datetime.date,
    description: str,
    actor: User,
) -> InstitutionViolation:
    """Record a breach of the training rules (the office or a 人社 reviewer). It counts in the
    assessment of the year it occurred in: any violation there proposes revocation. Writes one
    audit row. Raises PermissionDenied, ValidationError."""
    if not perms.can_record_violation(actor):
        raise PermissionDenied
    description = _require_reason(description, key="description")
    if occurred_on is None:
        raise ValidationError({"occurred_on": _("请填写发生日期")})
    _not_in_future({"occurred_on": occurred_on})
    violation = InstitutionViolation.objects.create(
        institution=institution,
        occurred_on=occurred_on,
        description=description,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="institution.violation_record",
        obj=violation,
        changes={"institution": institution.name, "occurred_on": occurred_on.isoformat()},
        reason=description,
    )
    return violation


# ------------------------------------------------------------------------------
# The annual assessment (年度考核) and exit
# ------------------------------------------------------------------------------

ASSESSED_FIGURES = (
    "classes_run",
    "trainees",
    "passed",
    "pass_rate",
    "attendance_compliant",
    "inspections_done",
    "inspection_findings",
    "violations",
    "proposal",
    "reasons",
)


def _pass_rate(passed: int, trainees: int) -> Decimal | None:
    if not trainees:
        return None
    # Rounded down to the stored 4 places: a stored rate is below the (3-place) threshold
    # exactly when the true rate is.
    return (Decimal(passed) / Decimal(trainees)).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)


def _by_institution(rows, key: str = "training_class__institution_id") -> dict[int, dict]:
    return {row[key]: row for row in rows}


def _assessment_figures(
    *, campaign: Campaign, year: int, idle_from_year: int
) -> tuple[dict[tuple[int, int], int], dict, dict, dict]:
    """The year's figures of every institution, in four aggregate queries whatever their number:
    classes per (institution, year) from ``idle_from_year`` to ``year``, enrollments, inspections
    and violations per institution."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    classes = (
        TrainingClass.objects.filter(
            status__in=RUN_STATUSES,
            end_date__gte=datetime.date(min(idle_from_year, year), 1, 1),
            end_date__lte=end,
        )
        .values("institution_id", ended=ExtractYear("end_date"))
        .annotate(n=Count("id"))
        .order_by()
    )
    classes_by_year = {(row["institution_id"], row["ended"]): row["n"] for row in classes}

    in_year = Q(
        training_class__status__in=RUN_STATUSES,
        training_class__end_date__gte=start,
        training_class__end_date__lte=end,
    )
    # Attendance compared in whole thousandths: the threshold has three decimal places, and
    # "attended / planned >= threshold" must hold exactly at 60%, with no floating point.
    thousandths = int(campaign.attendance_threshold * 1000)
    enrollments = (
        Enrollment.objects.filter(in_year)
        .values("training_class__institution_id")
        .annotate(
            trainees=Count("id"),
            passed=Count("id", filter=Q(result=Enrollment.Result.PASSED)),
            compliant=Count(
                "id",
                filter=GreaterThanOrEqual(
                    F("sessions_attended") * 1000,
                    F("training_class__planned_sessions") * thousandths,
                ),
            ),
        )
        .order_by()
    )
    inspections = (
        Inspection.objects.filter(in_year, done_at__isnull=False)
        .values("training_class__institution_id")
        .annotate(done=Count("id"), findings=Count("id", filter=Q(verdict__in=FINDING_VERDICTS)))
        .order_by()
    )
    violations = (
        InstitutionViolation.objects.filter(occurred_on__gte=start, occurred_on__lte=end)
        .values("institution_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return (
        classes_by_year,
        _by_institution(enrollments),
        _by_institution(inspections),
        _by_institution(violations, key="institution_id"),
    )


def _years_text(first: int, last: int) -> str:
    if first == last:
        return _("%(year)s年") % {"year": last}
    return _("%(first)s年至%(last)s年") % {"first": first, "last": last}


def _assess_one(
    *,
    institution: Institution,
    campaign: Campaign,
    year: int,
    records_from_year: int,
    classes_by_year: dict,
    enrollment: dict,
    inspection: dict,
    violation_count: int,
) -> dict:
    """The figures, proposal and reasons of one institution (no queries)."""
    trainees = enrollment.get("trainees", 0)
    passed = enrollment.get("passed", 0)
    figures = {
        "classes_run": classes_by_year.get((institution.pk, year), 0),
        "trainees": trainees,
        "passed": passed,
        "pass_rate": _pass_rate(passed, trainees),
        "attendance_compliant": enrollment.get("compliant", 0),
        "inspections_done": inspection.get("done", 0),
        "inspection_findings": inspection.get("findings", 0),
        "violations": violation_count,
    }
    reasons = []
    threshold = campaign.institution_pass_rate_threshold
    # Exact comparison of passed/trainees with the threshold (80% itself is not below it).
    if trainees and Decimal(passed) < threshold * trainees:
        reasons.append(
            _(
                "%(year)s年度培训合格率为%(rate)s（合格%(passed)s人/培训%(trainees)s人），"
                "低于%(threshold)s的要求。"
            )
            % {
                "year": year,
                "rate": percent_text(Decimal(passed) / Decimal(trainees)),
                "passed": passed,
                "trainees": trainees,
                "threshold": percent_text(threshold),
            }
        )
    idle_years = campaign.idle_years_before_revocation
    if idle_years:
        first = year - idle_years + 1
        # Idleness is only established for years the system holds records of and in which the
        # institution was designated; a newcomer is not idle for the years before it existed.
        known_from = records_from_year
        if institution.designated_on is not None:
            known_from = max(known_from, institution.designated_on.year)
        if first >= known_from and all(
            not classes_by_year.get((institution.pk, y)) for y in range(first, year + 1)
        ):
            reasons.append(
                _("%(years)s连续%(n)s年未开展培训（没有经批准开班并在当年结业的培训班）。")
                % {"years": _years_text(first, year), "n": idle_years}
            )
    if violation_count:
        reasons.append(
            _("%(year)s年度有%(n)s条违反培训管理规定的记录。")
            % {"year": year, "n": violation_count}
        )
    figures["proposal"] = (
        InstitutionAssessment.Proposal.REVOKE if reasons else InstitutionAssessment.Proposal.KEEP
    )
    figures["reasons"] = reasons
    return figures


def _audit_event(
    *, actor: User | None, action: str, obj: models.Model, to_state: str, changes: dict
) -> AuditEvent:
    """An unsaved audit row shaped exactly as ``audit_record`` writes it, for bulk insertion."""
    return AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=(str(actor) if actor is not None else _("系统"))[:150],
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        to_state=to_state,
        changes=changes,
        ip_address=client_ip.get(),
    )


def _check_year(campaign: Campaign, year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int):
        raise ValidationError({"year": _("考核年度应为四位数字年份")})
    today = clock.today()
    if year >= today.year:
        raise RuleViolation(
            _("%(year)s年度尚未结束，不能进行年度考核") % {"year": year}, code="year_open"
        )
    if year < campaign.start_date.year:
        raise RuleViolation(
            _("%(year)s年度早于专项活动开始，没有可考核的培训记录") % {"year": year},
            code="year_before_campaign",
        )


@transaction.atomic
def assessment_run(
    *, campaign: Campaign, year: int, actor: User | None = None
) -> list[InstitutionAssessment]:
    """Assess every institution that holds a designation (designated or warned) for ``year``.

    Figures: classes run (approved or closed, ending in the year), trainees and passed (their
    enrollments), pass rate, trainees meeting the campaign's attendance threshold, inspections
    done and those with findings, violations that occurred in the year. The proposal is REVOKE,
    with a Chinese sentence per reason, when the pass rate is below the campaign's threshold,
    when no class was run in ``campaign.idle_years_before_revocation`` consecutive years ending
    with ``year``, or when any violation occurred in the year; otherwise KEEP.

    Idempotent: a rerun updates PROPOSED rows, never touches CONFIRMED or DISMISSED ones, and
    creates no duplicates. A fixed number of queries whatever the number of institutions. One
    audit row per assessment created or changed (actor None: the scheduled job). Returns the
    year's assessments of the institutions assessed, by name. Raises PermissionDenied (an actor
    who is not the office), RuleViolation (a year not yet over, or before the campaign)."""
    if actor is not None and not perms.can_run_assessment(actor):
        raise PermissionDenied
    _check_year(campaign, year)
    # Locking the institutions serialises two runs (a task delivered twice, the button pressed
    # during the job) and keeps a designation change from interleaving with the run.
    institutions = list(
        Institution.objects.select_for_update()
        .exclude(designation=Institution.Designation.REVOKED)
        .order_by("pk")
    )
    first_campaign = Campaign.objects.aggregate(first=Min("start_date"))["first"]
    records_from_year = first_campaign.year if first_campaign else campaign.start_date.year
    idle_from_year = year - max(campaign.idle_years_before_revocation, 1) + 1
    classes_by_year, enrollments, inspections, violations = _assessment_figures(
        campaign=campaign, year=year, idle_from_year=idle_from_year
    )
    existing = {
        a.institution_id: a
        for a in InstitutionAssessment.objects.select_for_update().filter(
            year=year, institution__in=[i.pk for i in institutions]
        )
    }

    now = clock.now()
    result, to_create, to_update, audits = [], [], [], []
    for institution in institutions:
        figures = _assess_one(
            institution=institution,
            campaign=campaign,
            year=year,
            records_from_year=records_from_year,
            classes_by_year=classes_by_year,
            enrollment=enrollments.get(institution.pk, {}),
            inspection=inspections.get(institution.pk, {}),
            violation_count=violations.get(institution.pk, {}).get("n", 0),
        )
        assessment = existing.get(institution.pk)
        if assessment is None:
            assessment = InstitutionAssessment(institution=institution, year=year, **figures)
            to_create.append(assessment)
        elif assessment.status == InstitutionAssessment.Status.PROPOSED:
            assessment.institution = institution  # for its str() in the audit row, no query
            changes = {
                name: [_audit_value(getattr(assessment, name)), _audit_value(value)]
                for name, value in figures.items()
                if getattr(assessment, name) != value
            }
            if changes:
                for name, value in figures.items():
                    setattr(assessment, name, value)
                assessment.updated_at = now
                to_update.append(assessment)
                audits.append(
                    _audit_event(
                        actor=actor,
                        action="institution_assessment.update",
                        obj=assessment,
                        to_state=assessment.status,
                        changes=changes,
                    )
                )
        assessment.institution = institution
        result.append(assessment)

    if to_create:
        InstitutionAssessment.objects.bulk_create(to_create)
        if any(a.pk is None for a in to_create):  # a backend that does not return keys
            ids = dict(
                InstitutionAssessment.objects.filter(
                    year=year, institution__in=[a.institution_id for a in to_create]
                ).values_list("institution_id", "pk")
            )
            for a in to_create:
                a.pk = ids[a.institution_id]
        audits.extend(
            _audit_event(
                actor=actor,
                action="institution_assessment.propose",
                obj=a,
                to_state=a.status,
                changes={
                    name: _audit_value(getattr(a, name))
                    for name in ASSESSED_FIGURES
                    if name != "reasons"
                }
                | {"reasons": a.reasons},
            )
            for a in to_create
        )
    if to_update:
        InstitutionAssessment.objects.bulk_update(to_update, [*ASSESSED_FIGURES, "updated_at"])
    if audits:
        AuditEvent.objects.bulk_create(audits)
    result.sort(key=lambda a: a.institution.name)
    return result


def _locked_proposed(assessment: InstitutionAssessment, to_status: str) -> InstitutionAssessment:
    locked = (
        InstitutionAssessment.objects.select_for_update()
        .select_related("institution")
        .get(pk=assessment.pk)
    )
    if to_status not in InstitutionAssessment.TRANSITIONS[locked.status]:
        raise RuleViolation(
            _("该考核结果已处理（%(status)s），不能再次处理")
            % {"status": locked.get_status_display()},
            code="assessment_decided",
        )
    return locked


def _decide(
    locked: InstitutionAssessment, *, to_status: str, reason: str, actor: User, action: str
) -> None:
    from_status = locked.status
    locked.status = to_status
    locked.decided_by = actor
    locked.decided_at = clock.now()
    locked.decision_reason = reason
    locked.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
    )
    audit_record(
        actor=actor,
        action=action,
        obj=locked,
        from_state=from_status,
        to_state=to_status,
        changes={"proposal": locked.proposal},
        reason=reason,
    )


@transaction.atomic
def assessment_confirm(
    *, assessment: InstitutionAssessment, reason: str = "", actor: User
) -> InstitutionAssessment:
    """The office confirms an assessment. A proposed revocation needs a reason and revokes the
    institution (``institution_revoke``, its DesignationChange naming the assessment's reasons);
    a KEEP proposal is just confirmed. Writes the audit rows of both. Raises PermissionDenied,
    ValidationError (no reason for a revocation), RuleViolation (already decided)."""
    if not perms.can_decide_assessment(actor):
        raise PermissionDenied
    locked = _locked_proposed(assessment, InstitutionAssessment.Status.CONFIRMED)
    reason = (reason or "").strip()
    if locked.proposal == InstitutionAssessment.Proposal.REVOKE:
        reason = _require_reason(reason)
        institution = locked.institution
        # Revoked by hand since the run: the designation is already what the assessment asks.
        if institution.designation != Institution.Designation.REVOKED:
            institution_revoke(
                institution=institution,
                reason=_("%(year)s年度考核：%(reasons)s确认意见：%(reason)s")
                % {"year": locked.year, "reasons": "".join(locked.reasons), "reason": reason},
                actor=actor,
            )
    _decide(
        locked,
        to_status=InstitutionAssessment.Status.CONFIRMED,
        reason=reason,
        actor=actor,
        action="institution_assessment.confirm",
    )
    assessment.status = locked.status
    return locked


@transaction.atomic
def assessment_dismiss(
    *, assessment: InstitutionAssessment, reason: str, actor: User
) -> InstitutionAssessment:
    """The office decides not to revoke (不予取消), with a reason; the designation is unchanged.
    Only a proposed revocation can be dismissed (a KEEP proposal is confirmed). Raises
    PermissionDenied, ValidationError, RuleViolation."""
    if not perms.can_decide_assessment(actor):
        raise PermissionDenied
    reason = _require_reason(reason)
    locked = _locked_proposed(assessment, InstitutionAssessment.Status.DISMISSED)
    if locked.proposal != InstitutionAssessment.Proposal.REVOKE:
        raise RuleViolation(
            _("考核结论为保留定点资格，只需确认，无需“不予取消”"), code="assessment_keep"
        )
    _decide(
        locked,
        to_status=InstitutionAssessment.Status.DISMISSED,
        reason=reason,
        actor=actor,
        action="institution_assessment.dismiss",
    )
    assessment.status = locked.status
    return locked


# ------------------------------------------------------------------------------
# Registration points (报名点)
# ------------------------------------------------------------------------------


def _check_point(point: RegistrationPoint) -> None:
    errors = {}
    if point.level == RegistrationPoint.Level.INSTITUTION and point.institution_id is None:
        errors["institution"] = _("定点培训机构报名点须选择所属培训机构")
    if point.level != RegistrationPoint.Level.INSTITUTION and point.institution_id is not None:
        errors["institution"] = _("只有“定点培训机构”级别的报名点才能选择所属培训机构")
    if (
        point.name
        and RegistrationPoint.objects.filter(county=point.county_id, name=point.name)
        .exclude(pk=point.pk)
        .exists()
    ):
        errors["name"] = _("该县（市、区）已有同名报名点")
    if errors:
        raise ValidationError(errors)
    point.full_clean(validate_constraints=False)


def _save_point(point: RegistrationPoint, **kwargs) -> None:
    try:
        with transaction.atomic():
            point.save(**kwargs)
    except IntegrityError as exc:
        raise ValidationError({"name": _("该县（市、区）已有同名报名点")}) from exc


@transaction.atomic
def registration_point_create(
    *,
    name: str,
    level: str,
    address: str,
    county: County | None = None,
    institution: Institution | None = None,
    phone: str = "",
    is_active: bool = True,
    actor: User,
) -> RegistrationPoint:
    """Add a registration point (the office). One audit row. Raises PermissionDenied,
    ValidationError (name taken in the county, an institution point without its institution)."""
    if not perms.can_manage_registration_points(actor):
        raise PermissionDenied
    point = RegistrationPoint(
        name=(name or "").strip(),
        level=level,
        county=county,
        institution=institution,
        address=(address or "").strip(),
        phone=(phone or "").strip(),
        is_active=is_active,
    )
    _check_point(point)
    _save_point(point)
    audit_record(
        actor=actor,
        action="registration_point.create",
        obj=point,
        changes={
            name: _audit_value(getattr(point, name))
            for name in POINT_FIELDS
            if getattr(point, name) not in (None, "")
        },
    )
    return point


@transaction.atomic
def registration_point_update(
    *, point: RegistrationPoint, data: Mapping[str, Any], actor: User
) -> RegistrationPoint:
    """Change a point's fields in ``data`` (a point no longer used is set inactive). One audit
    row with what changed. Raises PermissionDenied, ValidationError."""
    if not perms.can_manage_registration_points(actor):
        raise PermissionDenied
    locked = RegistrationPoint.objects.select_for_update().get(pk=point.pk)
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    changes = _apply(locked, cleaned, POINT_FIELDS)
    if not changes:
        return locked
    _check_point(locked)
    _save_point(locked, update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, action="registration_point.update", obj=locked, changes=changes)
    return locked


@transaction.atomic
def registration_point_delete(*, point: RegistrationPoint, actor: User) -> None:
    """Delete a point nobody registered at. Raises PermissionDenied, RuleViolation (workers
    registered there: set it inactive instead)."""
    if not perms.can_manage_registration_points(actor):
        raise PermissionDenied
    audit_record(
        actor=actor,
        action="registration_point.delete",
        obj=point,
        changes={"name": point.name, "level": point.level, "address": point.address},
    )
    try:
        with transaction.atomic():
            point.delete()
    except models.ProtectedError as exc:
        raise RuleViolation(
            _("已有劳动者在该报名点登记，不能删除；如不再使用，请将其设为停用。"),
            code="point_in_use",
        ) from exc
