"""Writes of the "1688" programme: facilities, their steps and evidence files.

One service per transition (``facility_start_construction``, ``facility_complete``,
``facility_accept``), each locking the facility row, checking ``Facility.TRANSITIONS``, recording
the step's date and writing an ``AuditEvent``. Who may: the office or a clerk of the target's lead
department.

Decisions made here where the plan is silent:

* Each step's date is the day it really happened: not in the future, not before the previous
  step's date (the database checks the order too).
* Completing and accepting need evidence (竣工材料, 验收报告): a file uploaded with the step, or
  one uploaded earlier for that step. Starting construction may be recorded without one.
* Evidence files: PDF, Word, Excel or images up to 10 MB whose content matches the extension
  (the class documents' check), stored under a random name.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import clock
from core.errors import RuleViolation
from core.models import County, Department, User
from core.services import audit_record
from training.models import Campaign, Facility, FacilityEvidence, FacilityTarget
from training.permissions import facilities as perms
from training.services.classes import document_check

Status = Facility.Status
# The step each status follows, for the date check.
_PREVIOUS = {
    Status.UNDER_CONSTRUCTION: Status.PLANNED,
    Status.COMPLETED: Status.UNDER_CONSTRUCTION,
    Status.ACCEPTED: Status.COMPLETED,
}
_NEEDS_EVIDENCE = frozenset({Status.COMPLETED, Status.ACCEPTED})


@dataclass
class FacilityInput:
    name: str
    county: County
    planned_on: datetime.date
    address: str = ""
    notes: str = ""


def _store_evidence(
    facility: Facility, *, status: str, upload: UploadedFile, description: str, actor: User
) -> FacilityEvidence:
    extension = document_check(upload, label=_("证明材料"))
    upload.name = f"{secrets.token_hex(16)}{extension}"
    return FacilityEvidence.objects.create(
        facility=facility,
        status=status,
        file=upload,
        description=description.strip()[:200],
        uploaded_by=actor,
    )


@transaction.atomic
def facility_create(*, target: FacilityTarget, data: FacilityInput, actor: User) -> Facility:
    """Register a facility of ``target`` (status 规划中).

    Writes ``facility.create``. Raises PermissionDenied, ValidationError (empty name, a name
    already used for this target, a date in the future)."""
    if not perms.can_manage_facility(actor, target):
        raise PermissionDenied
    errors = {}
    name = data.name.strip()
    if not name:
        errors["name"] = _("请填写名称")
    if data.planned_on > clock.today():
        errors["planned_on"] = _("立项日期不能晚于今天")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            facility = Facility.objects.create(
                target=target,
                name=name,
                county=data.county,
                address=data.address.strip(),
                planned_on=data.planned_on,
                notes=data.notes.strip(),
            )
    except IntegrityError:
        raise ValidationError(
            {
                "name": _("“%(name)s”已登记为%(kind)s")
                % {"name": name, "kind": target.get_kind_display()}
            }
        ) from None
    audit_record(
        actor=actor,
        action="facility.create",
        obj=facility,
        to_state=facility.status,
        changes={
            "kind": target.get_kind_display(),
            "county": data.county.name,
            "planned_on": data.planned_on.isoformat(),
        },
    )
    return facility


def _advance(
    *,
    facility: Facility,
    to: str,
    on: datetime.date,
    evidence: UploadedFile | None,
    description: str,
    actor: User,
) -> Facility:
    if not perms.can_manage_facility(actor, facility.target):
        raise PermissionDenied
    facility = (
        Facility.objects.select_for_update(of=("self",))
        .select_related("target")
        .get(pk=facility.pk)
    )
    if to not in Facility.TRANSITIONS[facility.status]:
        raise RuleViolation(
            _("该项目当前为“%(status)s”，不能改为“%(to)s”")
            % {"status": facility.get_status_display(), "to": Status(to).label},
            code="transition",
        )
    previous_date = getattr(facility, Facility.DATE_FIELDS[_PREVIOUS[to]])
    label = Status(to).label
    if on > clock.today():
        raise ValidationError({"on": _("%(label)s日期不能晚于今天") % {"label": label}})
    if on < previous_date:
        raise ValidationError(
            {
                "on": _("%(label)s日期不能早于%(previous)s日期（%(date)s）")
                % {"label": label, "previous": Status(_PREVIOUS[to]).label, "date": previous_date}
            }
        )
    if evidence is not None:
        try:
            _store_evidence(
                facility, status=to, upload=evidence, description=description, actor=actor
            )
        except ValidationError as exc:
            raise ValidationError({"evidence": exc.messages}) from None
    elif to in _NEEDS_EVIDENCE and not facility.evidence.filter(status=to).exists():
        raise ValidationError({"evidence": _("“%(label)s”须上传证明材料") % {"label": label}})
    from_state = facility.status
    facility.status = to
    setattr(facility, Facility.DATE_FIELDS[to], on)
    facility.save()
    audit_record(
        actor=actor,
        action=f"facility.{to}",
        obj=facility,
        from_state=from_state,
        to_state=to,
        changes={Facility.DATE_FIELDS[to]: on.isoformat(), "evidence": evidence is not None},
    )
    return facility


@transaction.atomic
def facility_start_construction(
    *,
    facility: Facility,
    on: datetime.date,
    evidence: UploadedFile | None = None,
    description: str = "",
    actor: User,
) -> Facility:
    """规划中 → 在建 on ``on``. Writes ``facility.under_construction``. Raises PermissionDenied,
    RuleViolation (not planned), ValidationError (date in the future or before 立项日期; file)."""
    return _advance(
        facility=facility,
        to=Status.UNDER_CONSTRUCTION,
        on=on,
        evidence=evidence,
        description=description,
        actor=actor,
    )


@transaction.atomic
def facility_complete(
    *,
    facility: Facility,
    on: datetime.date,
    evidence: UploadedFile | None = None,
    description: str = "",
    actor: User,
) -> Facility:
    """在建 → 已建成 on ``on`` (now counted towards the target). Needs evidence. Writes
    ``facility.completed``. Errors as ``facility_start_construction``."""
    return _advance(
        facility=facility,
        to=Status.COMPLETED,
        on=on,
        evidence=evidence,
        description=description,
        actor=actor,
    )


@transaction.atomic
def facility_accept(
    *,
    facility: Facility,
    on: datetime.date,
    evidence: UploadedFile | None = None,
    description: str = "",
    actor: User,
) -> Facility:
    """已建成 → 已验收 on ``on``. Needs evidence (验收报告). Writes ``facility.accepted``."""
    return _advance(
        facility=facility,
        to=Status.ACCEPTED,
        on=on,
        evidence=evidence,
        description=description,
        actor=actor,
    )


TRANSITION_SERVICES = {
    Status.UNDER_CONSTRUCTION: facility_start_construction,
    Status.COMPLETED: facility_complete,
    Status.ACCEPTED: facility_accept,
}


@transaction.atomic
def facility_evidence_add(
    *, facility: Facility, upload: UploadedFile, description: str = "", actor: User
) -> FacilityEvidence:
    """Attach a file to the facility's current step. Writes ``facility.evidence_add``.
    Raises PermissionDenied, ValidationError (file type, size or content)."""
    if not perms.can_manage_facility(actor, facility.target):
        raise PermissionDenied
    facility = Facility.objects.select_for_update(of=("self",)).get(pk=facility.pk)
    try:
        item = _store_evidence(
            facility, status=facility.status, upload=upload, description=description, actor=actor
        )
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    audit_record(
        actor=actor,
        action="facility.evidence_add",
        obj=facility,
        changes={"status": facility.status, "description": item.description},
    )
    return item


# --------------------------------------------------------------------------------------------
# The plan's targets (load_plan section "facility_targets")
# --------------------------------------------------------------------------------------------


def load_facility_targets(*, campaign: Campaign, data: dict, result) -> None:
    """Upsert the programme's four targets by (campaign, kind). Idempotent."""
    from training.services.plan import upsert

    raw_targets = data.get("facility_targets", [])
    if not raw_targets:
        return
    departments = {d.code: d for d in Department.objects.all()}
    for order, raw in enumerate(raw_targets, start=1):
        if raw["kind"] not in FacilityTarget.Kind.values:
            raise ValueError(f"unknown facility kind {raw['kind']!r}")
        if raw["department"] not in departments:
            raise ValueError(
                f"facility target {raw['kind']}: unknown department {raw['department']}"
            )
        _, c, u = upsert(
            FacilityTarget,
            {"campaign": campaign, "kind": raw["kind"]},
            {
                "figure": raw["figure"],
                "due_date": raw["due_date"],
                "department": departments[raw["department"]],
                "sort_order": order,
            },
        )
        result.count("facility_targets", created=c, updated=u)
