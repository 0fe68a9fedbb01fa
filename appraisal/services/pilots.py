"""Enterprise skilled-talent evaluation pilots (企业技能人才评价试点): who may do what, the reads,
and the writes — pilots, their "四个一" checklist, evaluations, and "双一" exceptions.

Decisions made here (the plan leaves them open):

* 人社 reviewers designate and edit pilots. The enterprise acts through the staff of its own
  training institution (Role.INSTITUTION, ``pilot.institution``); the leading-group office may
  act on an enterprise's behalf (paper submissions). "Acting" is uploading the "四个一",
  recording evaluations and requesting "双一" exceptions.
* Size class decides the levels: 国有大中型企业 技师/高级技师, 中小型企业 高级工
  (``PilotEnterprise.SIZE_LEVELS``; the database holds every evaluation to it).
* A pilot evaluates only once all four "四个一" items have a document and a date, and only on or
  after the day the last of them took effect (``ready_on``).
* An evaluation passes the same level rule as a registration at an appraisal body
  (``registrations.registration_check``: lower certificate, completed class, years in the
  trade), unless an approved "双一" exception covers that worker, occupation and level; the
  evaluation then names the exception.
* "双一" exceptions are for 高级工 and above, for an occupation the pilot evaluates. 越级 means
  the worker does not hold the certificate one level below (else there is nothing to skip).
  Only a 人社 reviewer decides, never the person who asked (also a DB constraint); a refusal
  needs a reason. One live (pending or approved) request per worker, occupation and level.
* A pass issues the certificate through the appraisal core's certificate service, in the same
  transaction; the certificate names the enterprise as issuer.

Errors: ``ValidationError`` (field-keyed, correctable), ``RuleViolation`` (a rule refuses),
``PermissionDenied``.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from appraisal.models import (
    Certificate,
    CertificateKind,
    DualOneException,
    EnterpriseEvaluation,
    Level,
    PilotChecklistItem,
    PilotEnterprise,
)
from appraisal.services.registrations import registration_check
from appraisal.services.results import certificate_issue, class_leading_to
from core import clock
from core.crypto import keyed_hash
from core.errors import RuleViolation
from core.models import County, User
from core.roles import Role
from core.services import audit_record
from core.validators import parse_resident_id
from training.models import Institution, Occupation, Worker

Item = PilotChecklistItem.Item
ExceptionStatus = DualOneException.Status

READER_ROLES = frozenset({Role.OFFICE, Role.AUDITOR, Role.REVIEWER})


# --------------------------------------------------------------------------------------------
# Who may
# --------------------------------------------------------------------------------------------


def _is(user: User, *roles: Role) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*roles))


def is_enterprise_user(user: User, pilot: PilotEnterprise) -> bool:
    """Staff of the pilot enterprise's own training institution."""
    return (
        user.is_authenticated
        and user.has_role(Role.INSTITUTION)
        and user.institution_id is not None
        and user.institution_id == pilot.institution_id
    )


def can_view_all_pilots(user: User) -> bool:
    return _is(user, *READER_ROLES)


def can_view_pilot(user: User, pilot: PilotEnterprise) -> bool:
    return can_view_all_pilots(user) or is_enterprise_user(user, pilot)


def can_manage_pilots(user: User) -> bool:
    """Designate and edit pilots: 人社."""
    return _is(user, Role.REVIEWER)


def can_act_for_pilot(user: User, pilot: PilotEnterprise) -> bool:
    """Upload the "四个一", record evaluations, request exceptions."""
    return _is(user, Role.OFFICE) or is_enterprise_user(user, pilot)


def can_decide_exception(user: User, exception: DualOneException) -> bool:
    """人社 decides a pending request; never the person who made it."""
    return (
        _is(user, Role.REVIEWER)
        and exception.status == ExceptionStatus.PENDING
        and exception.requested_by_id != user.pk
    )


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------


def _pilot_scope(user: User) -> QuerySet[PilotEnterprise]:
    if can_view_all_pilots(user):
        return PilotEnterprise.objects.all()
    if user.is_authenticated and user.has_role(Role.INSTITUTION) and user.institution_id:
        return PilotEnterprise.objects.filter(institution_id=user.institution_id)
    return PilotEnterprise.objects.none()


def _count_of(model, condition: Q | None = None) -> Coalesce:
    rows = model.objects.filter(pilot=OuterRef("pk"))
    if condition is not None:
        rows = rows.filter(condition)
    counted = rows.order_by().values("pilot").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def pilot_list(
    *, user: User, county: County | None = None, size_class: str | None = None
) -> QuerySet[PilotEnterprise]:
    """The pilots the user may see (every pilot for the office, auditor and reviewers; their own
    for an enterprise's staff), with county and institution joined and the counts the list
    shows annotated: checklist items, evaluations, passes, pending exceptions."""
    qs = _pilot_scope(user).select_related("county", "institution")
    if county is not None:
        qs = qs.filter(county=county)
    if size_class:
        qs = qs.filter(size_class=size_class)
    # Correlated counts rather than joins: three joined child tables would multiply rows.
    return qs.annotate(
        checklist_count=_count_of(PilotChecklistItem),
        evaluation_count=_count_of(EnterpriseEvaluation),
        passed_count=_count_of(EnterpriseEvaluation, Q(result=EnterpriseEvaluation.Result.PASSED)),
        pending_exceptions=_count_of(DualOneException, Q(status=ExceptionStatus.PENDING)),
    ).order_by("county__sort_order", "name")


def pilot_get_for_user(*, user: User, pk: int) -> PilotEnterprise:
    """The pilot, or Http404 when it does not exist or the user may not see it."""
    pilot = (
        _pilot_scope(user)
        .select_related("county", "institution")
        .prefetch_related("occupations")
        .filter(pk=pk)
        .first()
    )
    if pilot is None:
        raise Http404
    return pilot


@dataclass
class ChecklistRow:
    item: str
    label: str
    entry: PilotChecklistItem | None


def pilot_checklist(pilot: PilotEnterprise) -> list[ChecklistRow]:
    """The four items in the plan's order, each with its entry or None (one query)."""
    entries = {entry.item: entry for entry in pilot.checklist.select_related("uploaded_by")}
    return [ChecklistRow(value, str(label), entries.get(value)) for value, label in Item.choices]


def missing_items(pilot: PilotEnterprise) -> list[str]:
    present = set(pilot.checklist.values_list("item", flat=True))
    return [str(label) for value, label in Item.choices if value not in present]


def evaluation_list(*, pilot: PilotEnterprise) -> QuerySet[EnterpriseEvaluation]:
    """The pilot's evaluations, newest first, with worker, occupation and certificate."""
    return pilot.evaluations.select_related(
        "worker", "occupation", "certificate", "exception", "recorded_by"
    ).order_by("-evaluated_on", "-id")


def exception_list(
    *,
    user: User,
    status: str | None = None,
    kind: str | None = None,
    pilot: PilotEnterprise | None = None,
) -> QuerySet[DualOneException]:
    """Exceptions of the pilots the user may see, newest first, filtered."""
    qs = DualOneException.objects.filter(pilot__in=_pilot_scope(user)).select_related(
        "pilot", "worker", "occupation", "requested_by", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if pilot is not None:
        qs = qs.filter(pilot=pilot)
    return qs.order_by("-requested_at", "-id")


def exception_get_for_user(*, user: User, pk: int) -> DualOneException:
    found = exception_list(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def approved_exception(
    *, worker: Worker, occupation: Occupation, level: int
) -> DualOneException | None:
    """The approved "双一" exception for this worker, occupation and level, if any (at most one
    is live, by constraint)."""
    return DualOneException.objects.filter(
        worker=worker, occupation=occupation, level=level, status=ExceptionStatus.APPROVED
    ).first()


def worker_lookup(*, id_number: str, name: str) -> Worker:
    """The registered worker with this ID number and name. Raises ValidationError (keyed
    ``id_number``) for an invalid number, or one not registered under this name — the two are
    one message, so the form cannot be used to learn who is registered."""
    try:
        number = parse_resident_id(id_number, today=clock.today()).number
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None
    worker = Worker.objects.filter(id_number_hash=keyed_hash(number)).first()
    if worker is None or worker.name != name.strip():
        raise ValidationError(
            {"id_number": _("人力资源信息库中没有该身份证号码与姓名的劳动者，请先到报名点登记")}
        )
    return worker


# --------------------------------------------------------------------------------------------
# Pilots
# --------------------------------------------------------------------------------------------


@dataclass
class PilotInput:
    name: str
    county: County
    size_class: str
    designated_on: datetime.date
    occupations: list[Occupation]
    institution: Institution | None = None
    contact_person: str = ""
    contact_phone: str = ""


def _pilot_errors(data: PilotInput, *, exclude_pk: int | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _("请填写企业名称")
    else:
        clash = PilotEnterprise.objects.filter(name=name)
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["name"] = _("已有同名的试点企业")
    if data.size_class not in PilotEnterprise.SizeClass.values:
        errors["size_class"] = _("请选择企业规模")
    if data.designated_on > clock.today():
        errors["designated_on"] = _("确定为试点日期不能晚于今天")
    if not data.occupations:
        errors["occupations"] = _("请至少选择一个评价职业（工种）")
    if data.institution is not None and data.institution.kind != Institution.Kind.ENTERPRISE:
        errors["institution"] = _("只能选择企业培训机构")
    return errors


def _pilot_fields(data: PilotInput) -> dict:
    return {
        "name": data.name.strip(),
        "county": data.county,
        "size_class": data.size_class,
        "designated_on": data.designated_on,
        "institution": data.institution,
        "contact_person": data.contact_person.strip()[:64],
        "contact_phone": data.contact_phone.strip()[:32],
    }


def _save_pilot(pilot: PilotEnterprise) -> None:
    try:
        with transaction.atomic():
            pilot.save()
    except IntegrityError as exc:
        raise ValidationError({"name": _("已有同名的试点企业")}) from exc


@transaction.atomic
def pilot_create(*, data: PilotInput, actor: User) -> PilotEnterprise:
    """Designate an enterprise as an evaluation pilot. Side effect: AuditEvent
    ``appraisal.pilot_create``. Raises PermissionDenied (not 人社), ValidationError."""
    if not can_manage_pilots(actor):
        raise PermissionDenied
    errors = _pilot_errors(data)
    if errors:
        raise ValidationError(errors)
    pilot = PilotEnterprise(**_pilot_fields(data))
    _save_pilot(pilot)
    pilot.occupations.set(data.occupations)
    audit_record(
        actor=actor,
        action="appraisal.pilot_create",
        obj=pilot,
        changes={
            "size_class": pilot.size_class,
            "occupations": sorted(o.code for o in data.occupations),
            "institution": data.institution.name if data.institution else "",
        },
    )
    return pilot


@transaction.atomic
def pilot_update(*, pilot: PilotEnterprise, data: PilotInput, actor: User) -> PilotEnterprise:
    """Change a pilot's details. A new size class applies to evaluations from now on (those
    recorded keep the class they were made under). Side effect: AuditEvent
    ``appraisal.pilot_update`` with the changed fields (none when nothing changed). Raises
    PermissionDenied, ValidationError."""
    if not can_manage_pilots(actor):
        raise PermissionDenied
    locked = PilotEnterprise.objects.select_for_update().get(pk=pilot.pk)
    errors = _pilot_errors(data, exclude_pk=locked.pk)
    if errors:
        raise ValidationError(errors)
    changes = {}
    for field, value in _pilot_fields(data).items():
        before = getattr(locked, field)
        if before != value:
            changes[field] = [str(before or ""), str(value or "")]
            setattr(locked, field, value)
    before_codes = sorted(locked.occupations.values_list("code", flat=True))
    after_codes = sorted(o.code for o in data.occupations)
    if before_codes != after_codes:
        locked.occupations.set(data.occupations)
        changes["occupations"] = [before_codes, after_codes]
    # Saving the form unchanged is no action: no row without an outcome in the trail.
    if changes:
        _save_pilot(locked)
        audit_record(actor=actor, action="appraisal.pilot_update", obj=locked, changes=changes)
    return locked


@transaction.atomic
def checklist_item_submit(
    *,
    pilot: PilotEnterprise,
    item: str,
    document: UploadedFile,
    effective_on: datetime.date,
    actor: User,
) -> PilotChecklistItem:
    """Upload (or replace) one "四个一" item's document with the date it took effect. When all
    four are in place, the pilot's ``ready_on`` is the latest of their dates.

    The document must be .pdf/.doc/.docx/.xlsx/.jpg/.png, at most 10 MB, with content matching
    its extension; it is stored under a random name. Side effect: AuditEvent
    ``appraisal.pilot_checklist_submit`` (with the ready date when this completed the list).
    Raises PermissionDenied, ValidationError."""
    from training.services.classes import document_check

    locked = PilotEnterprise.objects.select_for_update().get(pk=pilot.pk)
    if not can_act_for_pilot(actor, locked):
        raise PermissionDenied
    if item not in Item.values:
        raise ValidationError({"item": _("请选择“四个一”项目")})
    label = str(Item(item).label)
    errors: dict[str, list[str]] = {}
    try:
        extension = document_check(document, label=label)
    except ValidationError as exc:
        errors["document"] = exc.messages
    if effective_on > clock.today():
        errors["effective_on"] = [_("日期不能晚于今天")]
    if errors:
        raise ValidationError(errors)
    document.name = f"{secrets.token_hex(16)}{extension}"
    entry = PilotChecklistItem.objects.filter(pilot=locked, item=item).first()
    replaced = entry is not None
    if entry is None:
        entry = PilotChecklistItem(pilot=locked, item=item)
    else:
        # The old file goes only once the new one is committed: a rollback keeps it.
        storage, old_name = entry.document.storage, entry.document.name
        transaction.on_commit(lambda: storage.delete(old_name))
    entry.document = document
    entry.effective_on = effective_on
    entry.uploaded_by = actor
    entry.save()
    dates = list(locked.checklist.values_list("effective_on", flat=True))
    ready_on = max(dates) if len(dates) == len(Item.values) else None
    before = locked.ready_on
    if ready_on != before:
        locked.ready_on = ready_on
        locked.save(update_fields=["ready_on", "updated_at"])
    audit_record(
        actor=actor,
        action="appraisal.pilot_checklist_submit",
        obj=locked,
        changes={
            "item": item,
            "effective_on": effective_on.isoformat(),
            "replaced": replaced,
            "ready_on": ready_on.isoformat() if ready_on else None,
        },
    )
    return entry


# --------------------------------------------------------------------------------------------
# "双一" exceptions
# --------------------------------------------------------------------------------------------


@dataclass
class ExceptionInput:
    worker: Worker
    occupation: Occupation
    level: int
    kind: str
    front_line_post: str
    performance: str
    justification: str


LIVE_DUPLICATE = "该劳动者%(occupation)s（%(level)s）已有待审批或已批准的“双一”申请"


@transaction.atomic
def exception_request(
    *, pilot: PilotEnterprise, data: ExceptionInput, actor: User
) -> DualOneException:
    """Ask 人社 to let a "双一" candidate be evaluated out of turn (破格) or skip a level (越级).

    Side effect: AuditEvent ``appraisal.exception_request`` with the justification. Raises
    PermissionDenied (not acting for this pilot), ValidationError (field-keyed: level not
    high-skilled, occupation not the pilot's, blank texts, 越级 while holding the level below),
    RuleViolation (already certified at this level; a live request exists)."""
    if not can_act_for_pilot(actor, pilot):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if data.level not in DualOneException.LEVELS:
        errors["level"] = _("“双一”破格/越级只适用于高级工、技师、高级技师")
    if data.kind not in DualOneException.Kind.values:
        errors["kind"] = _("请选择破格或越级")
    if not pilot.occupations.filter(pk=data.occupation.pk).exists():
        errors["occupation"] = _("该职业（工种）不在本企业的评价范围内")
    for field, message in (
        ("front_line_post", _("请填写一线岗位")),
        ("performance", _("请填写一流业绩")),
        ("justification", _("请填写书面理由")),
    ):
        if not getattr(data, field).strip():
            errors[field] = message
    if (
        "level" not in errors
        and data.kind == DualOneException.Kind.SKIP_LEVEL
        and Certificate.objects.filter(
            worker=data.worker, occupation=data.occupation, level=data.level + 1
        ).exists()
    ):
        errors["kind"] = _("该劳动者已持有低一级证书，按正常条件申报即可，无需越级")
    if errors:
        raise ValidationError(errors)
    level_label = str(Level(data.level).label)
    worker = Worker.objects.select_for_update().get(pk=data.worker.pk)
    if Certificate.objects.filter(
        worker=worker, occupation=data.occupation, level=data.level
    ).exists():
        raise RuleViolation(
            _("该劳动者已持有%(occupation)s（%(level)s）证书")
            % {"occupation": data.occupation.name, "level": level_label},
            code="certified",
        )
    params = {"occupation": data.occupation.name, "level": level_label}
    live = DualOneException.objects.filter(
        worker=worker,
        occupation=data.occupation,
        level=data.level,
        status__in=(ExceptionStatus.PENDING, ExceptionStatus.APPROVED),
    )
    if live.exists():
        raise RuleViolation(_(LIVE_DUPLICATE) % params, code="duplicate")
    exception = DualOneException(
        pilot=pilot,
        worker=worker,
        occupation=data.occupation,
        level=data.level,
        kind=data.kind,
        front_line_post=data.front_line_post.strip()[:128],
        performance=data.performance.strip(),
        justification=data.justification.strip(),
        requested_by=actor,
        requested_at=clock.now(),
    )
    try:
        with transaction.atomic():
            exception.save()
    except IntegrityError as exc:
        raise RuleViolation(_(LIVE_DUPLICATE) % params, code="duplicate") from exc
    audit_record(
        actor=actor,
        action="appraisal.exception_request",
        obj=exception,
        to_state=exception.status,
        changes={
            "pilot": pilot.name,
            "kind": exception.kind,
            "occupation": data.occupation.name,
            "level": level_label,
        },
        reason=exception.justification,
    )
    return exception


def _decide(
    *, exception: DualOneException, to_state: str, reason: str, actor: User
) -> DualOneException:
    locked = (
        DualOneException.objects.select_for_update(of=("self",))
        .select_related("worker", "occupation")
        .get(pk=exception.pk)
    )
    if locked.requested_by_id == actor.pk:
        # Maker-checker: whatever roles the requester holds.
        raise PermissionDenied
    if not _is(actor, Role.REVIEWER):
        raise PermissionDenied
    if to_state not in DualOneException.TRANSITIONS[locked.status]:
        raise RuleViolation(
            _("该申请已“%(status)s”，不能再审批") % {"status": locked.get_status_display()},
            code="transition",
        )
    before = locked.status
    locked.status = to_state
    locked.decided_by = actor
    locked.decided_at = clock.now()
    locked.decision_reason = reason.strip()
    locked.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
    )
    verb = "approve" if to_state == ExceptionStatus.APPROVED else "refuse"
    audit_record(
        actor=actor,
        action=f"appraisal.exception_{verb}",
        obj=locked,
        from_state=before,
        to_state=to_state,
        changes={"kind": locked.kind, "pilot_id": locked.pilot_id},
        reason=locked.decision_reason,
    )
    return locked


@transaction.atomic
def exception_approve(
    *, exception: DualOneException, reason: str = "", actor: User
) -> DualOneException:
    """Approve a pending "双一" request: the worker may now register or be evaluated for that
    occupation and level past the level rule. Side effect: AuditEvent
    ``appraisal.exception_approve``. Raises PermissionDenied (not 人社, or the requester),
    RuleViolation (already decided)."""
    return _decide(
        exception=exception, to_state=ExceptionStatus.APPROVED, reason=reason, actor=actor
    )


@transaction.atomic
def exception_refuse(*, exception: DualOneException, reason: str, actor: User) -> DualOneException:
    """Refuse a pending "双一" request, with the reason the enterprise will read. Side effect:
    AuditEvent ``appraisal.exception_refuse``. Raises PermissionDenied, ValidationError (no
    reason), RuleViolation (already decided)."""
    if not reason.strip():
        raise ValidationError({"reason": _("不批准时请填写理由")})
    return _decide(
        exception=exception, to_state=ExceptionStatus.REFUSED, reason=reason, actor=actor
    )


# --------------------------------------------------------------------------------------------
# Evaluations
# --------------------------------------------------------------------------------------------


@dataclass
class EvaluationInput:
    worker: Worker
    occupation: Occupation
    level: int
    result: str
    evaluated_on: datetime.date
    years_in_trade: int = 0


def _evaluation_errors(pilot: PilotEnterprise, data: EvaluationInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.level not in pilot.levels:
        errors["level"] = _("%(size)s只能评价%(levels)s") % {
            "size": pilot.get_size_class_display(),
            "levels": pilot.level_labels,
        }
    if not pilot.occupations.filter(pk=data.occupation.pk).exists():
        errors["occupation"] = _("该职业（工种）不在本企业的评价范围内")
    if data.result not in EnterpriseEvaluation.Result.values:
        errors["result"] = _("请选择评价结果")
    if data.evaluated_on > clock.today():
        errors["evaluated_on"] = _("评价日期不能晚于今天")
    elif data.evaluated_on < pilot.designated_on:
        errors["evaluated_on"] = _("评价日期不能早于确定为试点的日期")
    if not 0 <= data.years_in_trade <= 60:
        errors["years_in_trade"] = _("工作年限应在0到60之间")
    return errors


def pilot_issuer_code(pilot: PilotEnterprise) -> str:
    """The issuer part of a pilot's certificate numbers: "Q" (企业) and the pilot's id, so the
    numbers never collide with an appraisal body's (four digits)."""
    return f"Q{pilot.pk:03d}"


def _issue_certificate(
    *, pilot: PilotEnterprise, data: EvaluationInput, worker: Worker
) -> Certificate:
    return certificate_issue(
        worker=worker,
        occupation=data.occupation,
        level=data.level,
        kind=CertificateKind.QUALIFICATION,
        issued_on=data.evaluated_on,
        issuer_code=pilot_issuer_code(pilot),
        issuer_name=pilot.name,
        training_class=class_leading_to(worker, data.occupation),
    )


@transaction.atomic
def evaluation_record(
    *, pilot: PilotEnterprise, data: EvaluationInput, actor: User
) -> EnterpriseEvaluation:
    """Record one worker's evaluation by the pilot enterprise; a pass issues the certificate.

    Refused (RuleViolation) while the "四个一" are incomplete or for a day before they were
    all in place, and when the level rule is not met and no approved "双一" exception covers it
    (the message lists what is missing), or the worker already holds the certificate / has an
    open registration for it. ValidationError (field-keyed) for a level outside the size class's
    range, an occupation the pilot does not evaluate, a date in the future or before the pilot
    was designated. Side effect: AuditEvent ``appraisal.evaluation_record`` (with the
    certificate number on a pass). Raises PermissionDenied when the actor does not act for the
    pilot."""
    locked = (
        PilotEnterprise.objects.select_for_update().prefetch_related("occupations").get(pk=pilot.pk)
    )
    if not can_act_for_pilot(actor, locked):
        raise PermissionDenied
    errors = _evaluation_errors(locked, data)
    if errors:
        raise ValidationError(errors)
    if locked.ready_on is None:
        raise RuleViolation(
            _("“四个一”尚未完备（缺：%(missing)s），暂不能开展评价")
            % {"missing": "、".join(missing_items(locked))},
            code="checklist_incomplete",
        )
    if data.evaluated_on < locked.ready_on:
        raise RuleViolation(
            _("评价日期早于“四个一”完备日期（%(date)s）") % {"date": locked.ready_on.isoformat()},
            code="before_ready",
        )
    worker = Worker.objects.select_for_update().get(pk=data.worker.pk)
    check = registration_check(
        worker=worker,
        occupation=data.occupation,
        level=data.level,
        years_in_trade=data.years_in_trade,
    )
    if not check.allowed:
        raise RuleViolation("；".join(check.reasons), code="level_rule")
    exception = (
        approved_exception(worker=worker, occupation=data.occupation, level=data.level)
        if check.by_exception
        else None
    )
    evaluation = EnterpriseEvaluation(
        pilot=locked,
        worker=worker,
        occupation=data.occupation,
        level=data.level,
        size_class=locked.size_class,
        result=data.result,
        years_in_trade=data.years_in_trade,
        evaluated_on=data.evaluated_on,
        exception=exception,
        recorded_by=actor,
    )
    if data.result == EnterpriseEvaluation.Result.PASSED:
        evaluation.certificate = _issue_certificate(pilot=locked, data=data, worker=worker)
    evaluation.save()
    audit_record(
        actor=actor,
        action="appraisal.evaluation_record",
        obj=evaluation,
        to_state=evaluation.result,
        changes={
            "pilot": locked.name,
            "occupation": data.occupation.name,
            "level": str(Level(data.level).label),
            "evaluated_on": data.evaluated_on.isoformat(),
            "exception": exception.pk if exception else None,
            "certificate": evaluation.certificate.number if evaluation.certificate else "",
        },
    )
    return evaluation
