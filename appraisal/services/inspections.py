"""Employment-access inspections (就业准入执法检查): who may record and read them, the reads, and
the two writes — recording an inspection and following it up.

The plan: 人社 and market regulation inspect employers who put workers without a qualification
certificate into technical posts, order them to have those workers trained and certified by a
deadline, and check again. Decisions made here:

* 人社 reviewers and the leading-group office (seated in 人社局) record and follow up; the
  superior auditor reads. The person recording is the inspector of record.
* Nothing found → the inspection is closed as compliant, with no deadline. Something found →
  a description of the violation and a deadline after the inspection day are required.
* A follow-up may find the workers certified (→ rectified, final) or not yet (the inspection
  stays open; past its deadline it reads as overdue). Each follow-up is an audit row; the
  inspection keeps the latest date and note.
* Overdue is never stored: it is "open and ``core.clock.today()`` after the deadline".

Errors: ``ValidationError`` (field-keyed), ``RuleViolation``, ``PermissionDenied``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from appraisal.models import EmploymentInspection
from core import clock
from core.errors import RuleViolation
from core.models import County, User
from core.roles import Role
from core.services import audit_record

Status = EmploymentInspection.Status

RECORDER_ROLES = frozenset({Role.REVIEWER, Role.OFFICE})
READER_ROLES = frozenset({Role.REVIEWER, Role.OFFICE, Role.AUDITOR})


# --------------------------------------------------------------------------------------------
# Who may
# --------------------------------------------------------------------------------------------


def _is(user: User, roles) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*roles))


def can_view_inspections(user: User) -> bool:
    return _is(user, READER_ROLES)


def can_record_inspection(user: User) -> bool:
    return _is(user, RECORDER_ROLES)


def can_follow_up_inspection(user: User, inspection: EmploymentInspection) -> bool:
    return can_record_inspection(user) and inspection.status == Status.OPEN


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------

# Filter values of the list page: the stored statuses plus the calendar's "overdue".
STATE_COMPLIANT = "compliant"
STATE_OPEN = "open"
STATE_OVERDUE = "overdue"
STATE_RECTIFIED = "rectified"
STATE_CHOICES = (
    (STATE_OPEN, _("限期整改中")),
    (STATE_OVERDUE, _("逾期未整改")),
    (STATE_RECTIFIED, _("已整改")),
    (STATE_COMPLIANT, _("未发现违规")),
)


def _state_q(state: str, today: datetime.date) -> Q:
    if state == STATE_OVERDUE:
        return Q(status=Status.OPEN, deadline__lt=today)
    if state == STATE_OPEN:
        return Q(status=Status.OPEN, deadline__gte=today)
    return Q(status=state)


def inspection_list(
    *,
    user: User,
    county: County | None = None,
    state: str | None = None,
    year: int | None = None,
    employer: str = "",
) -> QuerySet[EmploymentInspection]:
    """Inspections the user may read (all for readers, none otherwise), newest first, filtered
    by county, state (``STATE_*``; overdue judged on ``core.clock.today()``), inspection year and
    a part of the employer's name. County and inspector are joined."""
    if not can_view_inspections(user):
        return EmploymentInspection.objects.none()
    qs = EmploymentInspection.objects.select_related("county", "inspector")
    if county is not None:
        qs = qs.filter(county=county)
    if state:
        qs = qs.filter(_state_q(state, clock.today()))
    if year:
        qs = qs.filter(inspected_on__year=year)
    if employer.strip():
        qs = qs.filter(employer__icontains=employer.strip())
    return qs.order_by("-inspected_on", "-id")


def inspection_summary(*, user: User) -> dict[str, int]:
    """How many inspections are in each state, and the uncertified workers found, in one query."""
    if not can_view_inspections(user):
        return {}
    today = clock.today()
    totals = EmploymentInspection.objects.aggregate(
        total=Count("pk"),
        uncertified=Coalesce(Sum("uncertified_found"), 0),
        **{state: Count("pk", filter=_state_q(state, today)) for state, _label in STATE_CHOICES},
    )
    return totals


def inspection_get_for_user(*, user: User, pk: int) -> EmploymentInspection:
    """The inspection, or Http404 when it does not exist or the user may not read it."""
    if not can_view_inspections(user):
        raise Http404
    found = EmploymentInspection.objects.select_related("county", "inspector").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------


@dataclass
class InspectionInput:
    """An inspection as typed (parsed, not yet checked)."""

    employer: str
    county: County
    inspected_on: datetime.date
    posts_checked: str
    workers_checked: int
    uncertified_found: int
    violations: str = ""
    deadline: datetime.date | None = None


def _input_errors(data: InspectionInput, today: datetime.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.employer.strip():
        errors["employer"] = _("请填写用人单位")
    if not data.posts_checked.strip():
        errors["posts_checked"] = _("请填写检查的技术工种岗位")
    if data.inspected_on > today:
        errors["inspected_on"] = _("检查日期不能晚于今天")
    if data.workers_checked < 0:
        errors["workers_checked"] = _("人数不能为负数")
    if data.uncertified_found < 0:
        errors["uncertified_found"] = _("人数不能为负数")
    elif data.uncertified_found > data.workers_checked:
        errors["uncertified_found"] = _("未持证上岗人数不能多于检查岗位人数")
    if data.uncertified_found > 0:
        if not data.violations.strip():
            errors["violations"] = _("发现未持证上岗的，请填写违规情况")
        if data.deadline is None:
            errors["deadline"] = _("发现未持证上岗的，请规定限期培训取证日期")
        elif data.deadline <= data.inspected_on:
            errors["deadline"] = _("限期培训取证日期应晚于检查日期")
    elif data.deadline is not None:
        errors["deadline"] = _("未发现违规的检查不设整改期限")
    return errors


@transaction.atomic
def inspection_record(*, data: InspectionInput, actor: User) -> EmploymentInspection:
    """Record an inspection done by ``actor``: compliant when nobody uncertified was found, else
    open with its deadline. Side effect: AuditEvent ``appraisal.inspection_record``.
    Raises PermissionDenied, ValidationError (field-keyed)."""
    if not can_record_inspection(actor):
        raise PermissionDenied
    errors = _input_errors(data, clock.today())
    if errors:
        raise ValidationError(errors)
    found = data.uncertified_found
    inspection = EmploymentInspection.objects.create(
        employer=data.employer.strip(),
        county=data.county,
        inspected_on=data.inspected_on,
        inspector=actor,
        posts_checked=data.posts_checked.strip(),
        workers_checked=data.workers_checked,
        uncertified_found=found,
        violations=data.violations.strip(),
        deadline=data.deadline if found else None,
        status=Status.OPEN if found else Status.COMPLIANT,
    )
    audit_record(
        actor=actor,
        action="appraisal.inspection_record",
        obj=inspection,
        to_state=inspection.status,
        changes={
            "county": data.county.code,
            "workers_checked": data.workers_checked,
            "uncertified_found": found,
            "deadline": inspection.deadline.isoformat() if inspection.deadline else None,
        },
    )
    return inspection


@transaction.atomic
def inspection_follow_up(
    *,
    inspection: EmploymentInspection,
    followed_up_on: datetime.date,
    note: str,
    rectified: bool,
    actor: User,
) -> EmploymentInspection:
    """Record a follow-up visit of an open inspection. ``rectified`` → status rectified (final);
    otherwise it stays open with the new date and note. Side effect: AuditEvent
    ``appraisal.inspection_rectify`` or ``appraisal.inspection_follow_up`` (whether it was
    overdue at the visit is in the row). Raises PermissionDenied, ValidationError (field-keyed),
    RuleViolation when the inspection is not open."""
    if not can_record_inspection(actor):
        raise PermissionDenied
    locked = EmploymentInspection.objects.select_for_update().get(pk=inspection.pk)
    if Status.RECTIFIED not in EmploymentInspection.TRANSITIONS[locked.status]:
        raise RuleViolation(
            _("该检查已是“%(status)s”，不能再复查") % {"status": locked.get_status_display()},
            code="not_open",
        )
    errors: dict[str, str] = {}
    if followed_up_on < locked.inspected_on:
        errors["followed_up_on"] = _("复查日期不能早于检查日期")
    elif followed_up_on > clock.today():
        errors["followed_up_on"] = _("复查日期不能晚于今天")
    if not note.strip():
        errors["note"] = _("请填写复查情况")
    if errors:
        raise ValidationError(errors)
    overdue = followed_up_on > locked.deadline
    locked.followed_up_on = followed_up_on
    locked.follow_up_note = note.strip()
    to_state = Status.RECTIFIED if rectified else Status.OPEN
    locked.status = to_state
    locked.save(update_fields=["followed_up_on", "follow_up_note", "status", "updated_at"])
    audit_record(
        actor=actor,
        action="appraisal.inspection_rectify" if rectified else "appraisal.inspection_follow_up",
        obj=locked,
        from_state=Status.OPEN,
        to_state=to_state,
        changes={"followed_up_on": followed_up_on.isoformat(), "after_deadline": overdue},
        reason=locked.follow_up_note,
    )
    return locked
