"""Claims by a training institution: entrusted training-subsidy claims for its trainees (ticked
in a list, or an xlsx of 身份证号码 / 姓名 / 班级编号), and the shortage high-skill subsidy for
its 技师 / 高级技师 graduates in 急需紧缺 occupations.

Decisions:

* The ticked list is per row: each trainee is its own claim in its own transaction, and the
  result lists who was claimed and, for the others, the exact reason (one ineligible trainee does
  not hold up the rest). The xlsx upload is all-or-nothing with row errors, like every upload.
* The payee is always the institution's basic account from the registry; without one on record
  every row is refused with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.crypto import keyed_hash
from core.errors import RuleViolation
from core.models import User
from core.validators import parse_resident_id
from core.xlsx import (
    ErrorCollector,
    SheetReader,
    XlsxError,
    cell_id_number,
    cell_text,
    open_workbook,
)
from subsidies import permissions as perms
from subsidies.models import Kind, SubsidyClaim
from subsidies.services.claims import create_claim, institution_payee
from subsidies.services.eligibility import eligibility_check
from training.models import Enrollment, Institution, Worker

UPLOAD_SHEET = "委托代领"
UPLOAD_HEADERS = ("身份证号码", "姓名", "班级编号")
MAX_UPLOAD_ROWS = 2000


@dataclass
class RowResult:
    label: str
    claim: SubsidyClaim | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.claim is not None


def _check_actor(actor: User, institution: Institution) -> None:
    if not perms.is_institution_staff(actor, institution.pk):
        raise PermissionDenied


def _one(**create_kwargs) -> SubsidyClaim:
    with transaction.atomic():
        return create_claim(**create_kwargs)


def institution_claims_submit(
    *, institution: Institution, enrollment_ids: list[int], actor: User
) -> list[RowResult]:
    """Claim the training subsidy for each ticked enrollment of a trainee who entrusted the
    institution. Per row: returns one RowResult per id (in the order given)."""
    _check_actor(actor, institution)
    if not enrollment_ids:
        raise RuleViolation("请至少勾选一名学员")
    institution_payee(institution)  # refuse the whole batch at once when no basic account
    enrollments = {
        e.pk: e
        for e in Enrollment.objects.filter(
            pk__in=enrollment_ids, training_class__institution=institution
        ).select_related("worker", "training_class")
    }
    results = []
    for pk in dict.fromkeys(enrollment_ids):
        enrollment = enrollments.get(pk)
        if enrollment is None:
            # Another institution's trainee or no such row: the same answer, nothing revealed.
            results.append(RowResult(label=f"#{pk}", error="不是本机构的学员"))
            continue
        label = f"{enrollment.worker.name}（{enrollment.training_class.code}）"
        try:
            claim = _one(
                worker=enrollment.worker,
                kind=Kind.TRAINING,
                channel=SubsidyClaim.Channel.INSTITUTION,
                actor=actor,
                enrollment=enrollment,
                institution=institution,
            )
        except RuleViolation as exc:
            results.append(RowResult(label=label, error=exc.message))
        else:
            results.append(RowResult(label=label, claim=claim))
    return results


@transaction.atomic
def institution_claims_upload(
    *, institution: Institution, file, filename: str, actor: User
) -> list[SubsidyClaim]:
    """All-or-nothing: every row is checked (ID, name, class of this institution, enrollment,
    entrustment and every eligibility rule); any problem → XlsxError listing every row's errors,
    and no claim is created."""
    _check_actor(actor, institution)
    institution_payee(institution)
    workbook = open_workbook(file, filename=filename)
    errors = ErrorCollector()
    planned = []
    try:
        reader = SheetReader(
            workbook,
            sheet=UPLOAD_SHEET,
            headers=UPLOAD_HEADERS,
            errors=errors,
            max_rows=MAX_UPLOAD_ROWS,
        )
        seen: dict[str, int] = {}
        for row in reader:
            number = errors.parse(row, "身份证号码", cell_id_number)
            name = errors.parse(row, "姓名", cell_text, max_length=64)
            code = errors.parse(row, "班级编号", cell_text, max_length=32)
            if number is None or name is None or code is None:
                continue
            try:
                identity = parse_resident_id(number)
            except ValidationError as exc:
                errors.add_for(row, "身份证号码", "；".join(exc.messages))
                continue
            worker = Worker.objects.filter(id_number_hash=keyed_hash(identity.number)).first()
            if worker is None:
                errors.add_for(row, "身份证号码", "人力资源信息库中没有该身份证号码")
                continue
            if worker.name != name:
                errors.add_for(row, "姓名", f"姓名与身份证号码登记的姓名不一致（{name}）")
                continue
            enrollment = (
                Enrollment.objects.filter(
                    worker=worker,
                    training_class__code=code,
                    training_class__institution=institution,
                )
                .select_related("training_class__occupation", "campaign")
                .first()
            )
            if enrollment is None:
                errors.add_for(row, "班级编号", f"该学员不在本机构的班级 {code} 中")
                continue
            key = f"{worker.pk}:{enrollment.pk}"
            if key in seen:
                errors.add_for(row, "身份证号码", f"与第{seen[key]}行重复")
                continue
            seen[key] = row.number
            check = eligibility_check(
                worker=worker, kind=Kind.TRAINING, enrollment=enrollment, institution=institution
            )
            if not check.eligible:
                errors.add_for(row, None, check.refusal())
                continue
            planned.append(enrollment)
        errors.raise_if_any()
    finally:
        workbook.close()
    if not planned:
        raise XlsxError("文件中没有学员数据")
    claims = []
    for enrollment in planned:
        try:
            claims.append(
                create_claim(
                    worker=enrollment.worker,
                    kind=Kind.TRAINING,
                    channel=SubsidyClaim.Channel.INSTITUTION,
                    actor=actor,
                    enrollment=enrollment,
                    institution=institution,
                )
            )
        except RuleViolation as exc:
            # A claim made between the check and now (another channel): refuse the whole file.
            raise XlsxError(f"{enrollment.worker.name}：{exc.message}") from None
    return claims


def shortage_claims_submit(
    *, institution: Institution, certificate_ids: list[int], actor: User
) -> list[RowResult]:
    """Claim the shortage high-skill subsidy for each ticked certificate of a graduate the
    institution trained. Per row, like ``institution_claims_submit``."""
    from appraisal.models import Certificate

    _check_actor(actor, institution)
    if not certificate_ids:
        raise RuleViolation("请至少勾选一名学员")
    institution_payee(institution)
    certificates = {
        c.pk: c
        for c in Certificate.objects.filter(
            pk__in=certificate_ids,
            worker__enrollments__training_class__institution=institution,
        )
        .distinct()
        .select_related("worker", "occupation")
    }
    results = []
    for pk in dict.fromkeys(certificate_ids):
        cert = certificates.get(pk)
        if cert is None:
            results.append(RowResult(label=f"#{pk}", error="不是本机构培训的学员"))
            continue
        label = f"{cert.worker.name}（{cert.number}）"
        try:
            claim = _one(
                worker=cert.worker,
                kind=Kind.SHORTAGE,
                channel=SubsidyClaim.Channel.INSTITUTION,
                actor=actor,
                certificate=cert,
                institution=institution,
            )
        except RuleViolation as exc:
            results.append(RowResult(label=label, error=exc.message))
        else:
            results.append(RowResult(label=label, claim=claim))
    return results
