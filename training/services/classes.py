"""Writes of training delivery: classes (培训班) and their opening approval (开班审批), the random
spot checks (随机抽查), attendance, results, job referrals (介绍一个就业岗位) and the "三定" orders.

Every function is ``<entity>_<verb>(*, ..., actor)``: it checks permission first, runs in one
transaction, checks state transitions against ``TrainingClass.TRANSITIONS`` on a row locked with
``select_for_update`` and writes one ``AuditEvent`` per change. Errors: ``ValidationError``
(field-keyed, the user can correct it), ``RuleViolation`` (a campaign rule refuses it, with a
Chinese message), ``PermissionDenied``.

Decisions this module makes (documented here because the plan leaves them open):

* Specialty industries: a class may name a specialty of another county than its institution's
  only when it is an on-site class (上门培训), i.e. taught where the industry is.
* A "三定" order linked to a class must be the same institution's, of the same campaign and of the
  same occupation.
* A class is approved only before its start date has passed: approving later would mean it had
  started without approval. The approver refuses it instead and the institution moves the dates.
* Spot-check days are drawn at approval: ``campaign.min_inspections_per_class`` distinct days
  between the start and end dates (inclusive). A class with fewer days than that minimum gets
  one check per day, the shortfall is recorded in the audit row, and closing it needs one check
  per day (``inspections_required``).
* Attendance is entered either per session (the detailed register) or as an uploaded summary
  sheet; a class uses one or the other, so that ``sessions_attended`` always equals the present
  records of a per-session class.
* Results may be entered on or after the end date, or earlier once every planned session is held.
* Only a trainee who passed gets a job referral (the plan's "介绍一个就业岗位" follows passing).
"""

from __future__ import annotations

import datetime
import random
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core import clock
from core.crypto import decrypt, keyed_hash
from core.errors import RuleViolation
from core.models import User
from core.services import audit_record
from core.validators import parse_resident_id
from core.xlsx import (
    CellError,
    ErrorCollector,
    SheetReader,
    XlsxWriter,
    cell_id_number,
    cell_int,
    cell_text,
    open_workbook,
)
from training.models import (
    AttendanceRecord,
    Campaign,
    CooperationOrder,
    Enrollment,
    Inspection,
    Institution,
    JobReferral,
    Occupation,
    SpecialtyIndustry,
    TrainingCategory,
    TrainingClass,
)
from training.permissions import classes as perms

Status = TrainingClass.Status

# --------------------------------------------------------------------------------------------
# Uploaded documents (开班审批表, 教学计划)
# --------------------------------------------------------------------------------------------

ALLOWED_EXTENSIONS = (".pdf", ".doc", ".docx", ".xlsx", ".jpg", ".png")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# What each allowed kind of file starts with: a renamed executable or page is refused.
_MAGIC = {
    ".pdf": (b"%PDF-",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".jpg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}
DOCUMENT_FIELDS = {"approval_form": _("开班审批表"), "teaching_plan": _("教学计划")}


def document_check(upload: UploadedFile, *, label: str) -> str:
    """Check an uploaded document and return its extension (lower case).

    Raises ValidationError (a Chinese message naming ``label``) for another extension, a file
    over 10 MB, an empty file, or content that does not match the extension."""
    extension = PurePath(upload.name or "").suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("%(label)s只接受以下格式：%(allowed)s")
            % {"label": label, "allowed": "、".join(ALLOWED_EXTENSIONS)},
            code="extension",
        )
    if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            _("%(label)s不能超过10 MB（当前%(size).1f MB）")
            % {"label": label, "size": upload.size / (1024 * 1024)},
            code="size",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head:
        raise ValidationError(_("%(label)s是空文件") % {"label": label}, code="empty")
    if not any(head.startswith(magic) for magic in _MAGIC[extension]):
        raise ValidationError(
            _("%(label)s的内容与扩展名（%(ext)s）不符，请上传真实的文件")
            % {"label": label, "ext": extension},
            code="content",
        )
    return extension


def _attach_document(training_class: TrainingClass, field: str, upload: UploadedFile) -> None:
    extension = document_check(upload, label=str(DOCUMENT_FIELDS[field]))
    # Stored under a random name: media may be served directly in some deployments, and the
    # uploader's file name may carry personal data. People download it through class_file.
    upload.name = f"{secrets.token_hex(16)}{extension}"
    setattr(training_class, field, upload)


# --------------------------------------------------------------------------------------------
# Classes
# --------------------------------------------------------------------------------------------


@dataclass
class ClassInput:
    """A class's fields as the institution typed them (parsed, not yet checked)."""

    name: str
    category: TrainingCategory
    occupation: Occupation
    kind: str
    start_date: datetime.date
    end_date: datetime.date
    planned_sessions: int
    capacity: int
    teachers: str
    specialty: SpecialtyIndustry | None = None
    order: CooperationOrder | None = None
    on_site: bool = False
    subsidised: bool = True

    FIELDS = (
        "name",
        "category",
        "occupation",
        "kind",
        "start_date",
        "end_date",
        "planned_sessions",
        "capacity",
        "teachers",
        "specialty",
        "order",
        "on_site",
        "subsidised",
    )


def _class_input_errors(
    *, campaign: Campaign, institution: Institution, data: ClassInput
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = _("请填写班级名称")
    if not data.teachers.strip():
        errors["teachers"] = _("请填写授课教师")
    if data.category.campaign_id != campaign.pk:
        errors["category"] = _("培训类别不属于本期专项活动")
    if data.kind not in TrainingClass.Kind.values:
        errors["kind"] = _("请选择培训类型")
    if data.end_date < data.start_date:
        errors["end_date"] = _("结业日期不能早于开班日期")
    if data.planned_sessions <= 0:
        errors["planned_sessions"] = _("计划课次应大于0")
    if data.capacity <= 0:
        errors["capacity"] = _("计划人数应大于0")
    if data.specialty is not None:
        if data.specialty.campaign_id != campaign.pk:
            errors["specialty"] = _("特色产业不属于本期专项活动")
        elif (
            not data.on_site
            and institution.county_id is not None
            and data.specialty.county_id != institution.county_id
        ):
            errors["specialty"] = _(
                "特色产业“%(name)s”不在本机构所在县（市、区），只有上门培训才能选择"
            ) % {"name": data.specialty}
    if data.order is not None:
        if data.order.institution_id != institution.pk or data.order.campaign_id != campaign.pk:
            errors["order"] = _("只能选择本机构本期的“三定”订单")
        elif data.order.occupation_id != data.occupation.pk:
            errors["order"] = _("订单的职业（工种）“%(order)s”与班级的“%(class)s”不一致") % {
                "order": data.order.occupation,
                "class": data.occupation,
            }
    return errors


def _check_may_open(institution: Institution) -> None:
    if not institution.may_open_classes:
        raise RuleViolation(_("机构已被取消定点资格，不能开班"), code="revoked")


def _next_code(campaign: Campaign) -> str:
    """The next class code of the year, e.g. ``2014-000123``.

    Allocation is serialised by locking the campaign row: two institutions saving at the same
    instant would otherwise both read the same last code (the unique constraint would then refuse
    one of them with an error instead of a code)."""
    Campaign.objects.select_for_update().only("pk").get(pk=campaign.pk)
    prefix = f"{clock.today().year}-"
    last = (
        TrainingClass.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:06d}"


def _lock(training_class: TrainingClass) -> TrainingClass:
    return (
        TrainingClass.objects.select_for_update(of=("self",))
        .select_related("campaign", "institution", "category")
        .get(pk=training_class.pk)
    )


def _check_transition(training_class: TrainingClass, target: str, message: str) -> None:
    if target not in TrainingClass.TRANSITIONS[training_class.status]:
        raise RuleViolation(
            message % {"status": training_class.get_status_display()}, code="transition"
        )


@transaction.atomic
def class_create(
    *,
    campaign: Campaign,
    institution: Institution,
    data: ClassInput,
    approval_form: UploadedFile | None = None,
    teaching_plan: UploadedFile | None = None,
    actor: User,
) -> TrainingClass:
    """Create a draft class for ``institution`` with a new unique code.

    Writes one ``class.create`` audit row. Raises PermissionDenied unless the actor is staff of
    the institution, RuleViolation when the institution is revoked, ValidationError (keyed by
    field) for bad fields or documents."""
    if not perms.is_staff_of_institution(actor, institution.pk):
        raise PermissionDenied
    _check_may_open(institution)
    errors = _class_input_errors(campaign=campaign, institution=institution, data=data)
    training_class = TrainingClass(campaign=campaign, institution=institution)
    for name in ClassInput.FIELDS:
        setattr(training_class, name, getattr(data, name))
    for field, upload in (("approval_form", approval_form), ("teaching_plan", teaching_plan)):
        if upload is not None:
            try:
                _attach_document(training_class, field, upload)
            except ValidationError as exc:
                errors[field] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    training_class.code = _next_code(campaign)
    training_class.save()
    audit_record(
        actor=actor,
        action="class.create",
        obj=training_class,
        to_state=training_class.status,
        changes=_describe(training_class, ClassInput.FIELDS),
    )
    return training_class


def _describe(training_class: TrainingClass, fields: Iterable[str]) -> dict[str, str]:
    return {name: _plain(getattr(training_class, name)) for name in fields}


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


@transaction.atomic
def class_update(
    *,
    training_class: TrainingClass,
    data: ClassInput,
    approval_form: UploadedFile | None = None,
    teaching_plan: UploadedFile | None = None,
    actor: User,
) -> TrainingClass:
    """Change a draft or refused class (a refused one stays refused until resubmitted).

    A changed "subsidised" flag is copied to the class's enrollments. Writes one ``class.update``
    audit row with the changed fields. Raises PermissionDenied (not the institution's staff),
    RuleViolation (not draft/refused, revoked institution, a trainee already subsidised this
    campaign), ValidationError (fields, documents)."""
    if not perms.can_run_class(actor, training_class):
        raise PermissionDenied
    training_class = _lock(training_class)
    if training_class.status not in (Status.DRAFT, Status.REFUSED):
        raise RuleViolation(
            _("班级%(status)s，不能修改") % {"status": training_class.get_status_display()},
            code="transition",
        )
    _check_may_open(training_class.institution)
    errors = _class_input_errors(
        campaign=training_class.campaign, institution=training_class.institution, data=data
    )
    before = _describe(training_class, ClassInput.FIELDS)
    for name in ClassInput.FIELDS:
        setattr(training_class, name, getattr(data, name))
    for field, upload in (("approval_form", approval_form), ("teaching_plan", teaching_plan)):
        if upload is not None:
            try:
                _attach_document(training_class, field, upload)
            except ValidationError as exc:
                errors[field] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    after = _describe(training_class, ClassInput.FIELDS)
    changes = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    for field, upload in (("approval_form", approval_form), ("teaching_plan", teaching_plan)):
        if upload is not None:
            changes[field] = ["", "新文件"]
    training_class.save()
    if "subsidised" in changes:
        try:
            with transaction.atomic():
                Enrollment.objects.filter(training_class=training_class).update(
                    subsidised=training_class.subsidised
                )
        except IntegrityError:
            raise RuleViolation(
                _("花名册中有学员本期已参加过享受补贴的培训，不能改为享受培训补贴"),
                code="already_subsidised",
            ) from None
    # The state it is left in is the outcome even of a save that changed no field.
    audit_record(
        actor=actor,
        action="class.update",
        obj=training_class,
        to_state=training_class.status,
        changes=changes,
    )
    return training_class


def class_days(training_class: TrainingClass) -> int:
    return (training_class.end_date - training_class.start_date).days + 1


def inspections_required(training_class: TrainingClass) -> int:
    """Spot checks a class needs before it may close: the campaign's minimum, or one per day for
    a class shorter than that (see the module docstring)."""
    return min(training_class.campaign.min_inspections_per_class, class_days(training_class))


def inspection_days(
    seed: int, start: datetime.date, end: datetime.date, n: int
) -> list[datetime.date]:
    """The spot-check days drawn for a class: ``n`` distinct days between ``start`` and ``end``
    (inclusive), in order; every day when there are no more than ``n``.

    Deterministic in ``seed``: an auditor calls it again with the class's ``inspection_seed``
    and dates and must get the same days."""
    days = [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]
    if len(days) <= n:
        return days
    # Unpredictable to the institution because the seed is fresh and secret; the generator
    # itself only has to be reproducible, which is why it is not a cryptographic one.
    return sorted(random.Random(seed).sample(days, n))  # noqa: S311


@transaction.atomic
def class_submit(*, training_class: TrainingClass, actor: User) -> TrainingClass:
    """Send a draft (or a corrected refused) class for opening approval.

    Needs both documents, a roster of at least one trainee and no more than the capacity, and a
    start date not in the past. Writes ``class.submit``. Raises PermissionDenied (not the
    institution's staff) or RuleViolation listing every unmet condition."""
    if not perms.can_run_class(actor, training_class):
        raise PermissionDenied
    training_class = _lock(training_class)
    _check_transition(training_class, Status.SUBMITTED, _("班级%(status)s，不能提交开班审批"))
    _check_may_open(training_class.institution)
    problems = []
    if not training_class.approval_form:
        problems.append(_("请上传开班审批表"))
    if not training_class.teaching_plan:
        problems.append(_("请上传教学计划"))
    enrolled = training_class.enrollments.count()
    if enrolled == 0:
        problems.append(_("请先上传学员花名册"))
    elif enrolled > training_class.capacity:
        problems.append(
            _("学员人数超过计划人数（花名册%(n)s人，计划%(cap)s人）")
            % {"n": enrolled, "cap": training_class.capacity}
        )
    if training_class.start_date < clock.today():
        problems.append(
            _("开班日期（%(date)s）已过，请修改开班日期后再提交")
            % {"date": training_class.start_date.isoformat()}
        )
    if problems:
        raise RuleViolation("；".join(problems), code="submit")
    previous = training_class.status
    training_class.status = Status.SUBMITTED
    training_class.submitted_at = clock.now()
    training_class.decided_at = None
    training_class.decided_by = None
    training_class.decision_reason = ""
    training_class.save()
    audit_record(
        actor=actor,
        action="class.submit",
        obj=training_class,
        from_state=previous,
        to_state=training_class.status,
        changes={"enrollments": enrolled},
    )
    return training_class


def _check_decider(actor: User, training_class: TrainingClass) -> None:
    if not perms.can_decide_class(actor, training_class):
        raise PermissionDenied


@transaction.atomic
def class_approve(*, training_class: TrainingClass, actor: User, reason: str = "") -> TrainingClass:
    """Approve a submitted class and plan its spot checks.

    The approver is a clerk of the department owning the class's category or a 人社 reviewer,
    never a user of the class's institution. Draws the check days with a fresh seed stored in
    ``inspection_seed`` (see ``inspection_days``) and creates one unassigned Inspection per day.
    Writes ``class.approve`` with the seed, the days and any shortfall. Raises PermissionDenied,
    or RuleViolation (not submitted, institution revoked, start date passed)."""
    _check_decider(actor, training_class)
    training_class = _lock(training_class)
    _check_decider(actor, training_class)
    _check_transition(training_class, Status.APPROVED, _("班级%(status)s，不能批准开班"))
    _check_may_open(training_class.institution)
    if training_class.start_date < clock.today():
        raise RuleViolation(
            _("开班日期（%(date)s）已过，不能批准；请退回机构修改开班日期")
            % {"date": training_class.start_date.isoformat()},
            code="start_passed",
        )
    minimum = training_class.campaign.min_inspections_per_class
    seed = secrets.randbits(62)
    days = inspection_days(seed, training_class.start_date, training_class.end_date, minimum)
    Inspection.objects.bulk_create(
        Inspection(training_class=training_class, planned_date=day) for day in days
    )
    previous = training_class.status
    training_class.status = Status.APPROVED
    training_class.inspection_seed = seed
    training_class.decided_at = clock.now()
    training_class.decided_by = actor
    training_class.decision_reason = reason.strip()
    training_class.save()
    changes: dict = {
        "inspection_seed": seed,
        "inspection_days": [day.isoformat() for day in days],
    }
    if len(days) < minimum:
        changes["warning"] = _("班期只有%(days)s天，少于最少抽查次数%(min)s次，按每天一次安排") % {
            "days": len(days),
            "min": minimum,
        }
    audit_record(
        actor=actor,
        action="class.approve",
        obj=training_class,
        from_state=previous,
        to_state=training_class.status,
        changes=changes,
        reason=training_class.decision_reason,
    )
    return training_class


@transaction.atomic
def class_refuse(*, training_class: TrainingClass, reason: str, actor: User) -> TrainingClass:
    """Refuse a submitted class with a reason; the institution may correct and resubmit it.
    Writes ``class.refuse``. Raises PermissionDenied, ValidationError (no reason),
    RuleViolation (not submitted)."""
    _check_decider(actor, training_class)
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("请填写不予批准的理由")})
    training_class = _lock(training_class)
    _check_decider(actor, training_class)
    _check_transition(training_class, Status.REFUSED, _("班级%(status)s，不能作出不予批准决定"))
    previous = training_class.status
    training_class.status = Status.REFUSED
    training_class.decided_at = clock.now()
    training_class.decided_by = actor
    training_class.decision_reason = reason.strip()
    training_class.save()
    audit_record(
        actor=actor,
        action="class.refuse",
        obj=training_class,
        from_state=previous,
        to_state=training_class.status,
        reason=training_class.decision_reason,
    )
    return training_class


@transaction.atomic
def class_close(*, training_class: TrainingClass, actor: User) -> TrainingClass:
    """Close (结业) an approved class: it needs its spot checks done (``inspections_required``)
    and a result for every trainee. Writes ``class.close``. Raises PermissionDenied or
    RuleViolation naming what is missing."""
    if not perms.can_run_class(actor, training_class):
        raise PermissionDenied
    training_class = _lock(training_class)
    _check_transition(training_class, Status.CLOSED, _("班级%(status)s，不能结业"))
    problems = []
    done = Inspection.objects.filter(training_class=training_class, done_at__isnull=False).count()
    required = inspections_required(training_class)
    if done < required:
        problems.append(
            _("抽查次数不足（已完成%(done)s次，至少%(min)s次）") % {"done": done, "min": required}
        )
    pending = training_class.enrollments.filter(result=Enrollment.Result.PENDING).count()
    if pending:
        problems.append(_("尚有%(n)s名学员未录入结业考核结果") % {"n": pending})
    if problems:
        raise RuleViolation("；".join(problems), code="close")
    previous = training_class.status
    training_class.status = Status.CLOSED
    training_class.closed_at = clock.now()
    training_class.save()
    audit_record(
        actor=actor,
        action="class.close",
        obj=training_class,
        from_state=previous,
        to_state=training_class.status,
        changes={"inspections_done": done},
    )
    return training_class


def _check_running(training_class: TrainingClass, what: str) -> None:
    """Nothing happens in a class before its opening is approved (nor after it closed)."""
    if training_class.status != Status.APPROVED:
        raise RuleViolation(
            _("班级%(status)s，不能%(what)s")
            % {"status": training_class.get_status_display(), "what": what},
            code="not_running",
        )


def _check_started(training_class: TrainingClass) -> None:
    if clock.today() < training_class.start_date:
        raise RuleViolation(
            _("尚未开班（开班日期%(date)s）") % {"date": training_class.start_date.isoformat()},
            code="not_started",
        )


# --------------------------------------------------------------------------------------------
# Inspections (随机抽查)
# --------------------------------------------------------------------------------------------


def _lock_inspection(inspection: Inspection) -> Inspection:
    return (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("training_class__campaign", "training_class__institution")
        .get(pk=inspection.pk)
    )


@transaction.atomic
def inspection_assign(*, inspection: Inspection, inspector: User, actor: User) -> Inspection:
    """The office sends ``inspector`` (office, reviewer or department staff, not of the class's
    institution) to a planned spot check. Writes ``inspection.assign``. Raises PermissionDenied
    (not the office) or RuleViolation (class not running, check already done, unsuitable
    inspector)."""
    if not perms.can_assign_inspectors(actor):
        raise PermissionDenied
    inspection = _lock_inspection(inspection)
    training_class = inspection.training_class
    _check_running(training_class, _("安排抽查"))
    if inspection.done_at is not None:
        raise RuleViolation(_("该次抽查已完成，不能改派检查人"), code="done")
    if perms.belongs_to_institution(inspector, training_class.institution_id):
        raise RuleViolation(_("检查人不能是本班所属培训机构的人员"), code="own_institution")
    if not perms.may_inspect(inspector, training_class):
        raise RuleViolation(
            _("检查人须为领导小组办公室、人社审核员或责任单位人员"), code="inspector_role"
        )
    previous = str(inspection.inspector) if inspection.inspector_id else ""
    inspection.inspector = inspector
    inspection.save(update_fields=["inspector", "updated_at"])
    audit_record(
        actor=actor,
        action="inspection.assign",
        obj=inspection,
        changes={"inspector": [previous, str(inspector)]},
    )
    return inspection


@dataclass
class InspectionInput:
    teaching_progress: str
    content: str
    teacher_present: bool | None
    students_present: int | None
    findings: str
    verdict: str


@transaction.atomic
def inspection_record(*, inspection: Inspection, data: InspectionInput, actor: User) -> Inspection:
    """The assigned inspector records a spot check on or after its planned day.

    Writes ``inspection.record``. Raises PermissionDenied (not the assigned inspector, or one of
    the class's institution), RuleViolation (class not running, already recorded, day not yet
    come), ValidationError (fields; more students present than on the roster)."""
    inspection = _lock_inspection(inspection)
    if not perms.can_record_inspection(actor, inspection):
        raise PermissionDenied
    training_class = inspection.training_class
    _check_running(training_class, _("登记抽查"))
    if inspection.done_at is not None:
        raise RuleViolation(_("该次抽查已登记，不能重复登记"), code="done")
    if clock.today() < inspection.planned_date:
        raise RuleViolation(
            _("抽查日期（%(date)s）未到") % {"date": inspection.planned_date.isoformat()},
            code="not_yet",
        )
    on_roster = training_class.enrollments.count()
    errors: dict[str, str] = {}
    if not data.teaching_progress.strip():
        errors["teaching_progress"] = _("请填写教学进度")
    if not data.content.strip():
        errors["content"] = _("请填写教学内容")
    if data.teacher_present is None:
        errors["teacher_present"] = _("请选择教师是否在岗")
    if data.students_present is None or data.students_present < 0:
        errors["students_present"] = _("请填写实到人数")
    elif data.students_present > on_roster:
        errors["students_present"] = _("实到人数不能超过花名册人数（%(n)s人）") % {"n": on_roster}
    if data.verdict not in Inspection.Verdict.values:
        errors["verdict"] = _("请选择检查结论")
    elif data.verdict != Inspection.Verdict.GOOD and not data.findings.strip():
        errors["findings"] = _("结论为存在问题或严重违规时，请填写检查发现")
    if errors:
        raise ValidationError(errors)
    inspection.teaching_progress = data.teaching_progress.strip()
    inspection.content = data.content.strip()
    inspection.teacher_present = data.teacher_present
    inspection.students_present = data.students_present
    inspection.students_on_roster = on_roster
    inspection.findings = data.findings.strip()
    inspection.verdict = data.verdict
    inspection.done_at = clock.now()
    inspection.save()
    audit_record(
        actor=actor,
        action="inspection.record",
        obj=inspection,
        to_state=inspection.verdict,
        changes={
            "students_present": inspection.students_present,
            "students_on_roster": on_roster,
            "teacher_present": inspection.teacher_present,
        },
        reason=inspection.findings,
    )
    return inspection


# --------------------------------------------------------------------------------------------
# Attendance
# --------------------------------------------------------------------------------------------


def _uses_summary_upload(training_class: TrainingClass) -> bool:
    """Sessions are held but no per-session record exists: attendance came from a summary."""
    return (
        training_class.sessions_held > 0
        and not AttendanceRecord.objects.filter(enrollment__training_class=training_class).exists()
    )


@transaction.atomic
def attendance_record_session(
    *,
    training_class: TrainingClass,
    session_number: int,
    present: Iterable[int],
    actor: User,
) -> TrainingClass:
    """Record who attended one session (``present``: enrollment ids; everyone else is absent).

    Re-entering a session updates it. Each trainee's ``sessions_attended`` moves by F() by the
    change, and ``sessions_held`` becomes the highest session recorded, so attended never
    exceeds held. Writes ``class.attendance``. Raises PermissionDenied, RuleViolation (class not
    approved or not started, attendance kept as an uploaded summary), ValidationError (session
    out of range, a trainee not of this class)."""
    if not perms.can_run_class(actor, training_class):
        raise PermissionDenied
    training_class = _lock(training_class)
    _check_running(training_class, _("登记考勤"))
    _check_started(training_class)
    if not 1 <= session_number <= training_class.planned_sessions:
        raise ValidationError(
            {"session_number": _("课次应在1至%(n)s之间") % {"n": training_class.planned_sessions}}
        )
    if _uses_summary_upload(training_class):
        raise RuleViolation(
            _("本班考勤已按汇总表上传，请继续上传汇总表，不能再按课次登记"), code="summary_mode"
        )
    enrollment_ids = set(training_class.enrollments.values_list("pk", flat=True))
    present_ids = set(present)
    if not present_ids <= enrollment_ids:
        raise ValidationError({"present": _("所选学员不属于本班")})
    existing = {
        record.enrollment_id: record
        for record in AttendanceRecord.objects.filter(
            enrollment__training_class=training_class, session_number=session_number
        )
    }
    gained, lost, changed, created = [], [], [], []
    for enrollment_id in enrollment_ids:
        is_present = enrollment_id in present_ids
        record = existing.get(enrollment_id)
        if record is None:
            created.append(
                AttendanceRecord(
                    enrollment_id=enrollment_id, session_number=session_number, present=is_present
                )
            )
            if is_present:
                gained.append(enrollment_id)
        elif record.present != is_present:
            record.present = is_present
            changed.append(record)
            (gained if is_present else lost).append(enrollment_id)
    AttendanceRecord.objects.bulk_create(created)
    if changed:
        AttendanceRecord.objects.bulk_update(changed, ["present", "updated_at"])
    if gained:
        Enrollment.objects.filter(pk__in=gained).update(
            sessions_attended=F("sessions_attended") + 1
        )
    if lost:
        Enrollment.objects.filter(pk__in=lost).update(sessions_attended=F("sessions_attended") - 1)
    held_before = training_class.sessions_held
    if session_number > held_before:
        training_class.sessions_held = session_number
        training_class.save(update_fields=["sessions_held", "updated_at"])
    audit_record(
        actor=actor,
        action="class.attendance",
        obj=training_class,
        changes={
            "session": session_number,
            "present": len(present_ids),
            "absent": len(enrollment_ids) - len(present_ids),
            "re_entered": bool(existing),
            "sessions_held": [held_before, training_class.sessions_held],
        },
    )
    return training_class


ATTENDANCE_SHEET = "考勤"
ATTENDANCE_HEADERS = ("身份证号码", "姓名", "出勤课次")


def _cell_resident_id(value) -> str:
    return parse_resident_id(cell_id_number(value), today=clock.today()).number


@transaction.atomic
def attendance_upload(
    *,
    training_class: TrainingClass,
    fileobj: IO[bytes],
    filename: str,
    sessions_held: int,
    actor: User,
) -> TrainingClass:
    """Set every trainee's sessions attended from a summary sheet (sheet 考勤: 身份证号码, 姓名,
    出勤课次) and the class's sessions held from ``sessions_held``.

    All or nothing: every row is checked (valid ID, on this roster, name as on the roster, no
    duplicate, attended ≤ held) and every trainee of the roster must appear; any problem raises
    one XlsxError listing them all and nothing is written. Writes ``class.attendance_upload``.
    Raises PermissionDenied, RuleViolation (class not running or not started, or attendance
    already kept per session), ValidationError (sessions held out of range), XlsxError."""
    if not perms.can_run_class(actor, training_class):
        raise PermissionDenied
    training_class = _lock(training_class)
    _check_running(training_class, _("上传考勤"))
    _check_started(training_class)
    if AttendanceRecord.objects.filter(enrollment__training_class=training_class).exists():
        raise RuleViolation(
            _("本班已按课次登记考勤，请继续按课次登记，不能再上传汇总表"), code="session_mode"
        )
    if not 1 <= sessions_held <= training_class.planned_sessions:
        raise ValidationError(
            {
                "sessions_held": _("已上课次应在1至%(n)s之间")
                % {"n": training_class.planned_sessions}
            }
        )
    enrollments = {
        enrollment.worker.id_number_hash: enrollment
        for enrollment in training_class.enrollments.select_related("worker")
    }
    workbook = open_workbook(fileobj, filename=filename)
    errors = ErrorCollector()
    found: dict[str, int] = {}
    values: dict[int, int] = {}
    try:
        reader = SheetReader(
            workbook,
            sheet=ATTENDANCE_SHEET,
            headers=ATTENDANCE_HEADERS,
            max_rows=max(len(enrollments), 1) + 100,
            errors=errors,
        )
        for row in reader:
            number = errors.parse(row, "身份证号码", _cell_resident_id)
            name = errors.parse(row, "姓名", cell_text, max_length=64)
            attended = errors.parse(row, "出勤课次", cell_int, min_value=0)
            if attended is not None and attended > sessions_held:
                errors.add_for(
                    row,
                    "出勤课次",
                    _("出勤课次（%(n)s）不能超过已上课次（%(m)s）")
                    % {"n": attended, "m": sessions_held},
                )
            if number is None:
                continue
            digest = keyed_hash(number)
            if digest in found:
                errors.add_for(row, "身份证号码", _("与第%(row)s行重复") % {"row": found[digest]})
                continue
            found[digest] = row.number
            enrollment = enrollments.get(digest)
            if enrollment is None:
                errors.add_for(row, "身份证号码", _("该学员不在本班花名册中"))
                continue
            if name is not None and name != enrollment.worker.name:
                errors.add_for(
                    row,
                    "姓名",
                    _("姓名与花名册不一致（花名册为“%(name)s”）")
                    % {"name": enrollment.worker.name},
                )
            if errors.row_ok(row) and attended is not None:
                values[enrollment.pk] = attended
        for digest, enrollment in enrollments.items():
            if digest not in found:
                errors.add(
                    CellError(
                        ATTENDANCE_SHEET,
                        None,
                        None,
                        _("花名册学员“%(name)s（%(id)s）”未出现在文件中")
                        % {
                            "name": enrollment.worker.name,
                            "id": enrollment.worker.id_number_masked,
                        },
                    )
                )
        errors.raise_if_any()
    finally:
        workbook.close()
    updated = []
    for enrollment in enrollments.values():
        enrollment.sessions_attended = values[enrollment.pk]
        updated.append(enrollment)
    Enrollment.objects.bulk_update(updated, ["sessions_attended", "updated_at"])
    held_before = training_class.sessions_held
    training_class.sessions_held = sessions_held
    training_class.save(update_fields=["sessions_held", "updated_at"])
    audit_record(
        actor=actor,
        action="class.attendance_upload",
        obj=training_class,
        changes={
            "rows": len(updated),
            "sessions_held": [held_before, sessions_held],
            "file": filename[:100],
        },
    )
    return training_class


def attendance_template_write(target: IO[bytes], *, training_class: TrainingClass) -> None:
    """The summary attendance sheet, pre-filled with the class's roster (full ID numbers: the
    institution supplied them in its roster) and the sessions attended so far."""
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(ATTENDANCE_SHEET, ATTENDANCE_HEADERS, widths=(24, 14, 10))
        for enrollment in training_class.enrollments.select_related("worker").order_by("pk"):
            writer.append(
                sheet,
                [
                    decrypt(enrollment.worker.id_number_encrypted),
                    enrollment.worker.name,
                    enrollment.sessions_attended,
                ],
            )
        writer.save(target)


# --------------------------------------------------------------------------------------------
# Results and job referrals
# --------------------------------------------------------------------------------------------


def results_open(training_class: TrainingClass) -> bool:
    """Results are entered at the end: from the end date, or once every session is held."""
    return (
        clock.today() >= training_class.end_date
        or training_class.sessions_held >= training_class.planned_sessions
    )


@transaction.atomic
def results_record(
    *, training_class: TrainingClass, results: Mapping[int, str], actor: User
) -> TrainingClass:
    """Record 合格 / 不合格 (or back to 未考核) per enrollment id.

    Writes one ``class.results`` audit row with the changes. Raises PermissionDenied,
    RuleViolation (class not running, before the end, a referred trainee set to failed),
    ValidationError (an enrollment of another class, an unknown result)."""
    if not perms.can_run_class(actor, training_class):
        raise PermissionDenied
    training_class = _lock(training_class)
    _check_running(training_class, _("录入结业考核结果"))
    if not results_open(training_class):
        raise RuleViolation(
            _("结业考核结果须在结业日期（%(date)s）起或全部课次上完后录入")
            % {"date": training_class.end_date.isoformat()},
            code="too_early",
        )
    enrollments = {e.pk: e for e in training_class.enrollments.select_related("worker", "referral")}
    unknown = set(results) - set(enrollments)
    if unknown:
        raise ValidationError({"results": _("所选学员不属于本班")})
    errors = {}
    changed = []
    now = clock.now()
    summary = {}
    for enrollment_id, result in results.items():
        if result not in Enrollment.Result.values:
            errors[f"result_{enrollment_id}"] = _("请选择考核结果")
            continue
        enrollment = enrollments[enrollment_id]
        if enrollment.result == result:
            continue
        if result != Enrollment.Result.PASSED and hasattr(enrollment, "referral"):
            errors[f"result_{enrollment_id}"] = _(
                "%(name)s已登记就业推荐，不能改为不合格或未考核"
            ) % {"name": enrollment.worker.name}
            continue
        summary[enrollment.worker.id_number_masked] = [enrollment.result, result]
        enrollment.result = result
        enrollment.result_recorded_at = now if result != Enrollment.Result.PENDING else None
        changed.append(enrollment)
    if errors:
        raise ValidationError(errors)
    Enrollment.objects.bulk_update(changed, ["result", "result_recorded_at", "updated_at"])
    if changed:
        audit_record(
            actor=actor, action="class.results", obj=training_class, changes={"results": summary}
        )
    return training_class


def _lock_enrollment(enrollment: Enrollment) -> Enrollment:
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("training_class__institution", "worker")
        .get(pk=enrollment.pk)
    )


def _check_referral_class(training_class: TrainingClass) -> None:
    if training_class.status not in (Status.APPROVED, Status.CLOSED):
        raise RuleViolation(
            _("班级%(status)s，不能登记就业推荐") % {"status": training_class.get_status_display()},
            code="not_running",
        )


@transaction.atomic
def referral_create(
    *,
    enrollment: Enrollment,
    employer: str,
    post: str,
    referred_on: datetime.date,
    actor: User,
) -> JobReferral:
    """Record the job a passed trainee was referred to (one per trainee).

    Writes ``referral.create``. Raises PermissionDenied (not the class's institution),
    RuleViolation (class not approved/closed, trainee not passed, already referred),
    ValidationError (fields, date before the class started or in the future)."""
    if not perms.can_run_class(actor, enrollment.training_class):
        raise PermissionDenied
    enrollment = _lock_enrollment(enrollment)
    training_class = enrollment.training_class
    _check_referral_class(training_class)
    if enrollment.result != Enrollment.Result.PASSED:
        raise RuleViolation(
            _("只有考核合格的学员才能登记就业推荐（%(name)s：%(result)s）")
            % {"name": enrollment.worker.name, "result": enrollment.get_result_display()},
            code="not_passed",
        )
    if JobReferral.objects.filter(enrollment=enrollment).exists():
        raise RuleViolation(_("该学员已登记就业推荐"), code="duplicate")
    errors = {}
    if not employer.strip():
        errors["employer"] = _("请填写推荐单位")
    if not post.strip():
        errors["post"] = _("请填写推荐岗位")
    if referred_on > clock.today():
        errors["referred_on"] = _("推荐日期不能晚于今天")
    elif referred_on < training_class.start_date:
        errors["referred_on"] = _("推荐日期不能早于开班日期")
    if errors:
        raise ValidationError(errors)
    referral = JobReferral.objects.create(
        enrollment=enrollment,
        employer=employer.strip(),
        post=post.strip(),
        referred_on=referred_on,
    )
    audit_record(
        actor=actor,
        action="referral.create",
        obj=referral,
        to_state=referral.outcome,
        changes={"employer": referral.employer, "post": referral.post},
    )
    return referral


@transaction.atomic
def referral_update_outcome(
    *,
    referral: JobReferral,
    outcome: str,
    outcome_on: datetime.date | None,
    actor: User,
) -> JobReferral:
    """Record what came of a referral (已就业 / 自主创业 / 未就业) and when.

    Writes ``referral.outcome``. Raises PermissionDenied, ValidationError (no outcome, date
    missing, before the referral or in the future)."""
    enrollment = referral.enrollment
    if not perms.can_run_class(actor, enrollment.training_class):
        raise PermissionDenied
    referral = (
        JobReferral.objects.select_for_update(of=("self",))
        .select_related("enrollment__worker", "enrollment__training_class")
        .get(pk=referral.pk)
    )
    errors = {}
    decided = {c for c in JobReferral.Outcome.values if c != JobReferral.Outcome.PENDING}
    if outcome not in decided:
        errors["outcome"] = _("请选择就业结果")
    if outcome_on is None:
        errors["outcome_on"] = _("请填写结果日期")
    elif outcome_on < referral.referred_on:
        errors["outcome_on"] = _("结果日期不能早于推荐日期")
    elif outcome_on > clock.today():
        errors["outcome_on"] = _("结果日期不能晚于今天")
    if errors:
        raise ValidationError(errors)
    previous = referral.outcome
    referral.outcome = outcome
    referral.outcome_on = outcome_on
    referral.save(update_fields=["outcome", "outcome_on", "updated_at"])
    audit_record(
        actor=actor,
        action="referral.outcome",
        obj=referral,
        from_state=previous,
        to_state=outcome,
        changes={"outcome_on": outcome_on.isoformat()},
    )
    return referral


# --------------------------------------------------------------------------------------------
# "三定" orders
# --------------------------------------------------------------------------------------------


@dataclass
class OrderInput:
    enterprise: str
    institution: Institution
    kind: str
    occupation: Occupation
    year: int
    yearly_target: int


def _order_errors(campaign: Campaign, data: OrderInput) -> dict[str, str]:
    errors = {}
    if not data.enterprise.strip():
        errors["enterprise"] = _("请填写合作企业")
    if data.kind not in CooperationOrder.Kind.values:
        errors["kind"] = _("请选择订单类型")
    first, last = campaign.start_date.year, campaign.end_date.year
    if not first <= data.year <= last:
        errors["year"] = _("年度应在%(first)s至%(last)s年之间") % {"first": first, "last": last}
    if data.yearly_target <= 0:
        errors["yearly_target"] = _("年度目标人数应大于0")
    return errors


def _save_order(order: CooperationOrder) -> None:
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        raise ValidationError(
            {"enterprise": _("该企业与本机构在该年度已有同一职业（工种）的订单")}
        ) from None


@transaction.atomic
def order_create(*, campaign: Campaign, data: OrderInput, actor: User) -> CooperationOrder:
    """Create a school–enterprise order: the office for any institution, institution staff for
    their own. Writes ``order.create``. Raises PermissionDenied or ValidationError."""
    if not perms.can_manage_order(actor, data.institution.pk):
        raise PermissionDenied
    errors = _order_errors(campaign, data)
    if errors:
        raise ValidationError(errors)
    order = CooperationOrder(
        campaign=campaign,
        enterprise=data.enterprise.strip(),
        institution=data.institution,
        kind=data.kind,
        occupation=data.occupation,
        year=data.year,
        yearly_target=data.yearly_target,
    )
    _save_order(order)
    audit_record(
        actor=actor,
        action="order.create",
        obj=order,
        changes={"yearly_target": order.yearly_target, "institution": str(order.institution)},
    )
    return order


@transaction.atomic
def order_update(*, order: CooperationOrder, data: OrderInput, actor: User) -> CooperationOrder:
    """Change an order. Its institution and occupation are fixed once a class is linked to it.
    Writes ``order.update`` when something changed. Raises PermissionDenied, RuleViolation,
    ValidationError."""
    if not perms.can_manage_order(actor, order.institution_id) or not perms.can_manage_order(
        actor, data.institution.pk
    ):
        raise PermissionDenied
    order = CooperationOrder.objects.select_for_update().get(pk=order.pk)
    errors = _order_errors(order.campaign, data)
    if errors:
        raise ValidationError(errors)
    moves = order.institution_id != data.institution.pk or order.occupation_id != data.occupation.pk
    if moves and order.classes.exists():
        raise RuleViolation(
            _("已有培训班关联该订单，不能更改培训机构或职业（工种）"), code="linked"
        )
    before = {
        "enterprise": order.enterprise,
        "institution": str(order.institution),
        "kind": order.kind,
        "occupation": str(order.occupation),
        "year": str(order.year),
        "yearly_target": str(order.yearly_target),
    }
    order.enterprise = data.enterprise.strip()
    order.institution = data.institution
    order.kind = data.kind
    order.occupation = data.occupation
    order.year = data.year
    order.yearly_target = data.yearly_target
    _save_order(order)
    after = {
        "enterprise": order.enterprise,
        "institution": str(order.institution),
        "kind": order.kind,
        "occupation": str(order.occupation),
        "year": str(order.year),
        "yearly_target": str(order.yearly_target),
    }
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:  # saving the form unchanged is no change to record
        audit_record(actor=actor, action="order.update", obj=order, changes=changes)
    return order


@transaction.atomic
def order_delete(*, order: CooperationOrder, actor: User) -> None:
    """Delete an order no class is linked to. Writes ``order.delete``. Raises PermissionDenied
    or RuleViolation."""
    if not perms.can_manage_order(actor, order.institution_id):
        raise PermissionDenied
    order = CooperationOrder.objects.select_for_update().get(pk=order.pk)
    if order.classes.exists():
        raise RuleViolation(_("已有培训班关联该订单，不能删除"), code="linked")
    # The row keeps what the order was: nothing else will once it is gone.
    audit_record(
        actor=actor,
        action="order.delete",
        obj=order,
        changes={
            "enterprise": order.enterprise,
            "institution": str(order.institution),
            "occupation": str(order.occupation),
            "year": order.year,
            "yearly_target": order.yearly_target,
        },
    )
    order.delete()
