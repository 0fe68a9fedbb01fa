"""Writes of sittings (考试场次), scheduling, results and certificates.

A body's staff set a sitting for an occupation and level the body is authorised for, schedule
registrations into it (same occupation and level, within capacity), and record theory and
practical scores — by hand or from an xlsx sheet, all-or-nothing either way. A pass (both scores
at or above the sitting's pass mark) issues the certificate in the same transaction; a worker
holds at most one certificate per occupation and level (a database constraint).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from appraisal import permissions as perms
from appraisal.models import (
    CERTIFICATE_KINDS,
    LEVEL_VALUES,
    AppraisalBody,
    BodyAuthorisation,
    Certificate,
    CertificateCounter,
    Level,
    Registration,
    Sitting,
)
from appraisal.services.registrations import check_transition
from core import clock
from core.crypto import decrypt, keyed_hash
from core.errors import RuleViolation
from core.models import User
from core.services import audit_record
from core.validators import parse_resident_id
from core.xlsx import (
    CellValueError,
    ErrorCollector,
    SheetReader,
    XlsxError,
    XlsxWriter,
    cell_decimal,
    cell_id_number,
    cell_text,
    open_workbook,
)
from training.models import Enrollment, Occupation, TrainingClass

RESULTS_SHEET = "成绩"
RESULTS_HEADERS = ("报名编号", "身份证号码", "姓名", "理论成绩", "实操成绩")
ABSENT_TEXT = "缺考"
SCORE_MIN = Decimal(0)
SCORE_MAX = Decimal(100)
# Scores are kept to one decimal (the model's field).
SCORE_PLACES = 1
_CODE = re.compile(r"(?:BM)?0*([0-9]{1,12})", re.IGNORECASE)
# Statuses that hold a seat in a sitting.
SEATED = ("scheduled", "passed", "failed", "absent")


# --------------------------------------------------------------------------------------------
# Sittings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SittingInput:
    occupation: Occupation
    level: int
    exam_date: datetime.date
    place: str
    capacity: int
    pass_mark: Decimal = Decimal("60.0")
    certificate_kind: str = "qualification"


def authorisation_covers(body: AppraisalBody, occupation: Occupation, level: int) -> bool:
    """Whether ``body`` may appraise ``occupation`` at ``level`` (its authorisation reaches it)."""
    return BodyAuthorisation.objects.filter(
        body=body, occupation=occupation, max_level__lte=level
    ).exists()


@transaction.atomic
def sitting_create(*, body: AppraisalBody, data: SittingInput, actor: User) -> Sitting:
    """Set a sitting of ``body``. Audit ``appraisal.sitting_create``.

    Raises PermissionDenied (not the body's staff), ValidationError (place, capacity, pass mark,
    certificate type, a date in the past), RuleViolation (the body is not in use, or not
    authorised for the occupation at that level)."""
    if not perms.can_create_sitting(actor, body):
        raise PermissionDenied
    errors: dict[str, str] = {}
    place = (data.place or "").strip()
    if not place:
        errors["place"] = _("请填写考试地点")
    elif len(place) > 255:
        errors["place"] = _("考试地点不能超过255个字")
    if data.level not in LEVEL_VALUES:
        errors["level"] = _("请选择等级")
    if not isinstance(data.capacity, int) or data.capacity <= 0:
        errors["capacity"] = _("考位数须大于0")
    elif data.capacity > 10_000:
        errors["capacity"] = _("考位数不能超过10000")
    if data.pass_mark is None or not SCORE_MIN <= data.pass_mark <= SCORE_MAX:
        errors["pass_mark"] = _("合格分数线应在0到100之间")
    elif data.pass_mark != data.pass_mark.quantize(Decimal("0.1")):
        errors["pass_mark"] = _("合格分数线最多保留1位小数")
    if data.certificate_kind not in CERTIFICATE_KINDS:
        errors["certificate_kind"] = _("请选择证书类型")
    if data.exam_date is None:
        errors["exam_date"] = _("请填写考试日期")
    elif data.exam_date < clock.today():
        errors["exam_date"] = _("考试日期不能早于今天")
    if errors:
        raise ValidationError(errors)
    body = AppraisalBody.objects.select_for_update().get(pk=body.pk)
    if not body.is_active:
        raise RuleViolation(_("该鉴定机构已停用，不能安排考试"), code="inactive")
    if not authorisation_covers(body, data.occupation, data.level):
        raise RuleViolation(
            _("本机构未获%(occupation)s（%(level)s）的鉴定授权")
            % {"occupation": data.occupation.name, "level": Level(data.level).label},
            code="not_authorised",
        )
    sitting = Sitting.objects.create(
        body=body,
        occupation=data.occupation,
        level=data.level,
        exam_date=data.exam_date,
        place=place,
        capacity=data.capacity,
        pass_mark=data.pass_mark,
        certificate_kind=data.certificate_kind,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="appraisal.sitting_create",
        obj=sitting,
        changes={
            "occupation": data.occupation.name,
            "level": str(Level(data.level).label),
            "exam_date": data.exam_date.isoformat(),
            "capacity": data.capacity,
        },
    )
    return sitting


def _lock_sitting(sitting: Sitting) -> Sitting:
    return (
        Sitting.objects.select_for_update(of=("self",))
        .select_related("body", "occupation")
        .get(pk=sitting.pk)
    )


def seats_taken(sitting: Sitting) -> int:
    return Registration.objects.filter(sitting=sitting, status__in=SEATED).count()


@transaction.atomic
def sitting_schedule(
    *, sitting: Sitting, registrations: Iterable[Registration], actor: User
) -> Sitting:
    """Put registrations into ``sitting`` (each 已报名 → 已安排考试). All or none.

    Audit ``appraisal.sitting_schedule`` with the registration numbers. Raises PermissionDenied,
    ValidationError (a registration of another occupation or level, or not waiting), RuleViolation
    (the exam day has passed; not enough seats left)."""
    if not perms.can_run_sitting(actor, sitting):
        raise PermissionDenied
    sitting = _lock_sitting(sitting)
    if sitting.exam_date < clock.today():
        raise RuleViolation(_("考试日期已过，不能再安排考生"), code="past")
    ids = sorted({r.pk for r in registrations})
    if not ids:
        raise ValidationError({"registrations": _("请选择要安排的报名")})
    locked = list(
        Registration.objects.select_for_update(of=("self",))
        .select_related("worker")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    errors = []
    if len(locked) != len(ids):
        errors.append(_("所选报名不存在"))
    for registration in locked:
        if (
            registration.occupation_id != sitting.occupation_id
            or registration.level != sitting.level
        ):
            errors.append(
                _("%(code)s %(name)s：报名的职业（工种）或等级与本场次不一致")
                % {"code": registration.code, "name": registration.worker.name}
            )
        elif registration.status != Registration.Status.REGISTERED:
            errors.append(
                _("%(code)s %(name)s：报名状态为“%(status)s”，不能安排")
                % {
                    "code": registration.code,
                    "name": registration.worker.name,
                    "status": registration.get_status_display(),
                }
            )
    if errors:
        raise ValidationError({"registrations": errors})
    free = sitting.capacity - seats_taken(sitting)
    if len(locked) > free:
        raise RuleViolation(
            _("考位不足：本场次还剩%(free)s个考位，所选%(n)s人") % {"free": free, "n": len(locked)},
            code="capacity",
        )
    for registration in locked:
        registration.status = Registration.Status.SCHEDULED
        registration.sitting = sitting
    Registration.objects.bulk_update(locked, ["status", "sitting", "updated_at"])
    audit_record(
        actor=actor,
        action="appraisal.sitting_schedule",
        obj=sitting,
        changes={"registrations": [r.code for r in locked]},
    )
    return sitting


@transaction.atomic
def sitting_unschedule(*, sitting: Sitting, registration: Registration, actor: User) -> Sitting:
    """Take a registration off ``sitting`` before the exam day (back to 已报名).
    Audit ``appraisal.sitting_unschedule``."""
    if not perms.can_run_sitting(actor, sitting):
        raise PermissionDenied
    sitting = _lock_sitting(sitting)
    registration = Registration.objects.select_for_update(of=("self",)).get(pk=registration.pk)
    if registration.sitting_id != sitting.pk:
        raise ValidationError({"registration": _("该报名不在本场次")})
    check_transition(registration, Registration.Status.REGISTERED)
    if sitting.exam_date <= clock.today():
        raise RuleViolation(_("考试当天及之后不能调整考生"), code="too_late")
    registration.status = Registration.Status.REGISTERED
    registration.sitting = None
    registration.save(update_fields=["status", "sitting", "updated_at"])
    audit_record(
        actor=actor,
        action="appraisal.sitting_unschedule",
        obj=sitting,
        changes={"registration": registration.code},
    )
    return sitting


# --------------------------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------------------------


def certificate_number_next(*, issuer_code: str, year: int) -> str:
    """The next certificate number of an issuer in a year: "XC" + year + issuer code + a
    6-digit serial (e.g. XC2014000300012 for body 3). Safe under concurrency: the issuer's
    counter row is locked until the caller's transaction ends. Call inside a transaction."""
    counter, _created = CertificateCounter.objects.get_or_create(issuer_code=issuer_code, year=year)
    counter = CertificateCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_serial += 1
    counter.save(update_fields=["last_serial"])
    return f"XC{year}{issuer_code}{counter.last_serial:06d}"


def body_issuer_code(body: AppraisalBody) -> str:
    return f"{body.pk:04d}"


def class_leading_to(worker, occupation: Occupation) -> TrainingClass | None:
    """The class that led to a certificate: the worker's latest passed enrollment in a closed
    class of the occupation."""
    enrollment = (
        Enrollment.objects.filter(
            worker=worker,
            result=Enrollment.Result.PASSED,
            training_class__status=TrainingClass.Status.CLOSED,
            training_class__occupation=occupation,
        )
        .select_related("training_class")
        .order_by("-training_class__end_date", "-pk")
        .first()
    )
    return enrollment.training_class if enrollment else None


def certificate_issue(
    *,
    worker,
    occupation: Occupation,
    level: int,
    kind: str,
    issued_on: datetime.date,
    issuer_code: str,
    issuer_name: str,
    body: AppraisalBody | None = None,
    registration: Registration | None = None,
    training_class: TrainingClass | None = None,
) -> Certificate:
    """Issue one certificate with a fresh number. Called from inside a service that has checked
    permission and writes the audit row (results here, enterprise evaluations in the pilots
    area). Raises RuleViolation when the worker already holds this occupation and level (also
    a database constraint, which decides under concurrency)."""
    held = Certificate.objects.filter(worker=worker, occupation=occupation, level=level).first()
    if held is not None:
        raise RuleViolation(
            _("已持有%(occupation)s（%(level)s）证书（编号%(number)s）")
            % {"occupation": occupation.name, "level": Level(level).label, "number": held.number},
            code="certificate_held",
        )
    number = certificate_number_next(issuer_code=issuer_code, year=issued_on.year)
    certificate = Certificate(
        number=number,
        kind=kind,
        worker=worker,
        occupation=occupation,
        level=level,
        issued_on=issued_on,
        body=body,
        issuer_name=issuer_name[:128],
        registration=registration,
        training_class=training_class,
    )
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as exc:
        raise RuleViolation(
            _("已持有%(occupation)s（%(level)s）证书")
            % {"occupation": occupation.name, "level": Level(level).label},
            code="certificate_held",
        ) from exc
    return certificate


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultEntry:
    """What was entered for one registration: both scores, or ``absent``."""

    theory: Decimal | None = None
    practical: Decimal | None = None
    absent: bool = False


def results_open(sitting: Sitting) -> bool:
    """Results are entered from the exam day on."""
    return clock.today() >= sitting.exam_date


def _check_results_open(sitting: Sitting) -> None:
    if not results_open(sitting):
        raise RuleViolation(
            _("考试日期（%(date)s）起才能录入成绩") % {"date": sitting.exam_date.isoformat()},
            code="too_early",
        )


def _score_error(value: Decimal | None, label: str) -> str | None:
    if value is None:
        return _("请填写%(label)s") % {"label": label}
    if not SCORE_MIN <= value <= SCORE_MAX:
        return _("%(label)s应在0到100之间") % {"label": label}
    if value != value.quantize(Decimal("0.1")):
        return _("%(label)s最多保留1位小数") % {"label": label}
    return None


def _passes(sitting: Sitting, entry: ResultEntry) -> bool:
    """Both scores at or above the sitting's pass mark."""
    return (
        not entry.absent
        and entry.theory >= sitting.pass_mark
        and entry.practical >= sitting.pass_mark
    )


def _entry_errors(entry: ResultEntry) -> list[str]:
    if entry.absent:
        if entry.theory is not None or entry.practical is not None:
            return [_("缺考的考生不应填写成绩")]
        return []
    return [
        message
        for message in (
            _score_error(entry.theory, _("理论成绩")),
            _score_error(entry.practical, _("实操成绩")),
        )
        if message
    ]


def _held_certificates(sitting: Sitting, registrations: Iterable[Registration]) -> dict[int, str]:
    """Worker id → number of a certificate already held for the sitting's occupation and level."""
    worker_ids = [r.worker_id for r in registrations]
    return dict(
        Certificate.objects.filter(
            worker_id__in=worker_ids, occupation_id=sitting.occupation_id, level=sitting.level
        ).values_list("worker_id", "number")
    )


def _write_results(
    *, sitting: Sitting, entries: Mapping[Registration, ResultEntry], actor: User, source: str
) -> dict[str, int]:
    """Apply checked entries: statuses, scores, certificates; one audit row. Inside the caller's
    transaction, after every check passed."""
    now = clock.now()
    today = clock.today()
    summary = {"passed": 0, "failed": 0, "absent": 0}
    details = {}
    issuer_code = body_issuer_code(sitting.body)
    for registration, entry in entries.items():
        if entry.absent:
            target = Registration.Status.ABSENT
        elif _passes(sitting, entry):
            target = Registration.Status.PASSED
        else:
            target = Registration.Status.FAILED
        check_transition(registration, target)
        registration.status = target
        if not entry.absent:
            registration.theory_score = entry.theory
            registration.practical_score = entry.practical
        registration.result_recorded_at = now
        registration.result_recorded_by = actor
        registration.save(
            update_fields=[
                "status",
                "theory_score",
                "practical_score",
                "result_recorded_at",
                "result_recorded_by",
                "updated_at",
            ]
        )
        summary[registration.status] += 1
        line = {"status": registration.status}
        if registration.status == Registration.Status.PASSED:
            certificate = certificate_issue(
                worker=registration.worker,
                occupation=sitting.occupation,
                level=sitting.level,
                kind=sitting.certificate_kind,
                issued_on=today,
                issuer_code=issuer_code,
                issuer_name=sitting.body.name,
                body=sitting.body,
                registration=registration,
                training_class=registration.training_class
                or class_leading_to(registration.worker, sitting.occupation),
            )
            line["certificate"] = certificate.number
        details[registration.code] = line
    audit_record(
        actor=actor,
        action="appraisal.results_record",
        obj=sitting,
        changes={"source": source, "counts": summary, "results": details},
    )
    return summary


def _locked_scheduled(sitting: Sitting, ids: Iterable[int]) -> dict[int, Registration]:
    return {
        r.pk: r
        for r in Registration.objects.select_for_update(of=("self",))
        .select_related("worker", "training_class")
        .filter(pk__in=list(ids), sitting=sitting)
    }


@transaction.atomic
def results_record(
    *, sitting: Sitting, entries: Mapping[int, ResultEntry], actor: User
) -> dict[str, int]:
    """Record results by hand: ``entries`` maps registration id → scores or absent. All or
    nothing: any error and nothing is written.

    A pass issues the certificate. Results once recorded are final. Writes one
    ``appraisal.results_record`` audit row; returns counts by outcome. Raises PermissionDenied,
    RuleViolation (before the exam day), ValidationError keyed ``result_<id>`` (a registration not
    in this sitting or already recorded, a score missing, out of 0–100 or with more than one
    decimal, a certificate already held)."""
    if not perms.can_run_sitting(actor, sitting):
        raise PermissionDenied
    sitting = _lock_sitting(sitting)
    _check_results_open(sitting)
    if not entries:
        raise ValidationError({"results": _("请至少录入一名考生的成绩")})
    registrations = _locked_scheduled(sitting, entries)
    held = _held_certificates(sitting, registrations.values())
    errors: dict[str, list[str]] = {}
    for registration_id, entry in entries.items():
        key = f"result_{registration_id}"
        registration = registrations.get(registration_id)
        if registration is None:
            errors[key] = [_("该报名不在本场次")]
            continue
        if registration.status != Registration.Status.SCHEDULED:
            errors[key] = [
                _("成绩已录入，不能修改")
                if registration.status in SEATED
                else _("该报名不在本场次")
            ]
            continue
        problems = _entry_errors(entry)
        if not problems and _passes(sitting, entry) and registration.worker_id in held:
            problems.append(
                _("已持有该职业（工种）该等级证书（编号%(number)s）")
                % {"number": held[registration.worker_id]}
            )
        if problems:
            errors[key] = problems
    if errors:
        raise ValidationError(errors)
    return _write_results(
        sitting=sitting,
        entries={registrations[pk]: entry for pk, entry in entries.items()},
        actor=actor,
        source="manual",
    )


def _registration_id(value) -> int:
    text = cell_text(value, max_length=20)
    match = _CODE.fullmatch(text.strip())
    if not match:
        raise CellValueError(_("报名编号格式不正确（如 BM00000012）"))
    return int(match.group(1))


def _score_cell(value) -> Decimal | str | None:
    if isinstance(value, str) and value.strip() == ABSENT_TEXT:
        return ABSENT_TEXT
    return cell_decimal(value, places=SCORE_PLACES, min_value=SCORE_MIN, max_value=SCORE_MAX)


@transaction.atomic
def results_upload(
    *, sitting: Sitting, fileobj: IO[bytes], filename: str, actor: User
) -> dict[str, int]:
    """Record results from an xlsx file: sheet “成绩”, columns 报名编号, 身份证号码, 姓名,
    理论成绩, 实操成绩 (both score cells “缺考” for an absent candidate).

    All or nothing. Each of these is a row error naming row and column, and nothing is written:
    an unknown registration number, a registration of another sitting or already recorded, an ID
    number or name that does not match the registration, a score missing, not a number, outside
    0–100 or with more than one decimal, a registration listed twice, a certificate already held.
    Audit ``appraisal.results_record`` (source ``upload``). Raises PermissionDenied,
    RuleViolation (before the exam day), XlsxError (every problem found)."""
    if not perms.can_run_sitting(actor, sitting):
        raise PermissionDenied
    sitting = _lock_sitting(sitting)
    _check_results_open(sitting)
    workbook = open_workbook(fileobj, filename=filename)
    parsed = []
    errors = ErrorCollector()
    try:
        reader = SheetReader(workbook, sheet=RESULTS_SHEET, headers=RESULTS_HEADERS, errors=errors)
        for row in reader:
            registration_id = errors.parse(row, "报名编号", _registration_id)
            id_number = errors.parse(row, "身份证号码", cell_id_number)
            name = errors.parse(row, "姓名", cell_text, max_length=64)
            theory = errors.parse(row, "理论成绩", _score_cell)
            practical = errors.parse(row, "实操成绩", _score_cell)
            parsed.append((row, registration_id, id_number, name, theory, practical))
    finally:
        workbook.close()
    if not parsed and not errors:
        errors.raise_if_any()
        raise XlsxError(_("文件中没有成绩数据"))

    ids = {p[1] for p in parsed if p[1] is not None}
    registrations = {
        r.pk: r
        for r in Registration.objects.select_for_update(of=("self",))
        .select_related("worker", "training_class")
        .filter(pk__in=ids)
    }
    held = _held_certificates(
        sitting, [r for r in registrations.values() if r.sitting_id == sitting.pk]
    )
    seen: dict[int, int] = {}
    entries: dict[Registration, ResultEntry] = {}
    for row, registration_id, id_number, name, theory, practical in parsed:
        if registration_id is None:
            continue
        if registration_id in seen:
            errors.add_for(row, "报名编号", _("与第%(row)s行重复") % {"row": seen[registration_id]})
            continue
        seen[registration_id] = row.number
        registration = registrations.get(registration_id)
        if registration is None:
            errors.add_for(row, "报名编号", _("报名编号不存在"))
            continue
        if registration.sitting_id != sitting.pk:
            errors.add_for(row, "报名编号", _("该报名不在本场次"))
            continue
        if registration.status != Registration.Status.SCHEDULED:
            errors.add_for(row, "报名编号", _("成绩已录入，不能修改"))
            continue
        worker = registration.worker
        if id_number is not None:
            try:
                number = parse_resident_id(id_number, today=clock.today()).number
            except ValidationError as exc:
                errors.add_for(row, "身份证号码", "；".join(exc.messages))
            else:
                if keyed_hash(number) != worker.id_number_hash:
                    errors.add_for(row, "身份证号码", _("身份证号码与报名信息不一致"))
        if name is not None and name != worker.name:
            errors.add_for(row, "姓名", _("姓名与报名信息不一致"))
        absent_marks = (theory == ABSENT_TEXT, practical == ABSENT_TEXT)
        if any(absent_marks) and not all(absent_marks):
            errors.add_for(row, "实操成绩", _("缺考须在理论成绩和实操成绩中都填写“缺考”"))
        elif (
            worker.pk in held
            and not any(absent_marks)
            and theory is not None
            and practical is not None
            and _passes(sitting, ResultEntry(theory=theory, practical=practical))
        ):
            errors.add_for(
                row,
                "报名编号",
                _("已持有该职业（工种）该等级证书（编号%(number)s）") % {"number": held[worker.pk]},
            )
        if not errors.row_ok(row) or theory is None or practical is None:
            continue
        if all(absent_marks):
            entries[registration] = ResultEntry(absent=True)
        else:
            entries[registration] = ResultEntry(theory=theory, practical=practical)
    errors.raise_if_any()
    return _write_results(sitting=sitting, entries=entries, actor=actor, source="upload")


def results_template_write(target: IO[bytes], *, sitting: Sitting) -> None:
    """The results sheet for a sitting, pre-filled with its scheduled candidates (full ID
    numbers: the body checks them against the candidates' papers on the day)."""
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(RESULTS_SHEET, RESULTS_HEADERS, widths=(14, 24, 12, 10, 10))
        for registration in (
            Registration.objects.filter(sitting=sitting, status=Registration.Status.SCHEDULED)
            .select_related("worker")
            .order_by("pk")
        ):
            writer.append(
                sheet,
                [
                    registration.code,
                    decrypt(registration.worker.id_number_encrypted),
                    registration.worker.name,
                    None,
                    None,
                ],
            )
        writer.save(target)
