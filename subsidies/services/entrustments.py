"""Entrustments (委托代领): a worker authorises the institution that trained them to claim the
training subsidy for one training and receive it into the institution's basic account.

Decisions: the entrusted institution is always the class's institution (the plan's 委托培训机构);
the signed document is required (PDF/JPG/PNG, at most 5 MB, content checked against the
extension); the worker records it themself, or the institution's staff record a paper one. An
entrustment is revocable only while no live claim rests on it, and cannot be created while the
worker has their own live claim for the training.
"""

from __future__ import annotations

import datetime
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core import clock
from core.errors import RuleViolation
from core.models import User
from core.services import audit_record
from subsidies import permissions as perms
from subsidies.models import (
    ENTRUSTMENT_EXTENSIONS,
    ENTRUSTMENT_MAX_BYTES,
    LIVE_STATUSES,
    Entrustment,
    SubsidyClaim,
)
from training.models import Enrollment, Worker

_MAGIC = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}


def entrustment_document_check(upload) -> None:
    """ValidationError (Chinese) unless the upload is a non-empty PDF/JPG/PNG of at most 5 MB
    whose content matches its extension."""
    if upload is None:
        raise ValidationError("请上传签署的委托书", code="required")
    extension = PurePath(upload.name or "").suffix.lower()
    if extension.lstrip(".") not in ENTRUSTMENT_EXTENSIONS:
        raise ValidationError("委托书只接受 PDF、JPG 或 PNG 格式", code="extension")
    if upload.size is not None and upload.size > ENTRUSTMENT_MAX_BYTES:
        raise ValidationError(
            f"委托书不能超过{ENTRUSTMENT_MAX_BYTES // (1024 * 1024)} MB"
            f"（当前{upload.size / (1024 * 1024):.1f} MB）",
            code="size",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head:
        raise ValidationError("委托书是空文件", code="empty")
    if not any(head.startswith(magic) for magic in _MAGIC[extension]):
        raise ValidationError("委托书文件内容与扩展名不符，请上传真实的 PDF 或图片", code="content")


@transaction.atomic
def entrustment_create(
    *,
    worker: Worker,
    enrollment: Enrollment,
    document,
    signed_on: datetime.date | None = None,
    actor: User,
) -> Entrustment:
    """Record the worker's entrustment of the class's institution for ``enrollment``."""
    enrollment = Enrollment.objects.select_related("training_class__institution").get(
        pk=enrollment.pk
    )
    institution = enrollment.training_class.institution
    if not (
        perms.can_act_for_worker(actor, worker) or perms.is_institution_staff(actor, institution.pk)
    ):
        raise PermissionDenied
    if enrollment.worker_id != worker.pk:
        raise PermissionDenied
    Worker.objects.select_for_update().get(pk=worker.pk)
    signed_on = signed_on or clock.today()
    if signed_on > clock.today():
        raise ValidationError({"signed_on": "签署日期不能晚于今天"})
    try:
        entrustment_document_check(document)
    except ValidationError as exc:
        raise ValidationError({"document": exc.messages}) from None
    own = SubsidyClaim.objects.filter(
        enrollment=enrollment,
        payee_kind=SubsidyClaim.PayeeKind.PERSON,
        status__in=LIVE_STATUSES,
    ).first()
    if own is not None:
        raise RuleViolation(
            f"该培训已由本人申请补贴（申请编号 {own.number}），不能再委托培训机构代领"
        )
    if Entrustment.objects.filter(enrollment=enrollment, status=Entrustment.Status.ACTIVE).exists():
        raise RuleViolation(f"该培训已委托{institution.name}代领，无需重复委托")
    entrustment = Entrustment(
        worker=worker,
        institution=institution,
        enrollment=enrollment,
        signed_on=signed_on,
        document=document,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            entrustment.save()
    except IntegrityError:
        raise RuleViolation(f"该培训已委托{institution.name}代领，无需重复委托") from None
    audit_record(
        actor=actor,
        action="subsidies.entrustment.create",
        obj=entrustment,
        changes={
            "institution": institution.name,
            "class": enrollment.training_class.code,
            "signed_on": str(signed_on),
        },
    )
    return entrustment


@transaction.atomic
def entrustment_revoke(*, entrustment: Entrustment, reason: str = "", actor: User) -> Entrustment:
    """Revoke an entrustment on which no live claim rests."""
    entrustment = (
        Entrustment.objects.select_for_update(of=("self",))
        .select_related("worker")
        .get(pk=entrustment.pk)
    )
    if not perms.can_act_for_worker(actor, entrustment.worker):
        raise PermissionDenied
    if entrustment.status != Entrustment.Status.ACTIVE:
        raise RuleViolation("该委托已撤销")
    live = SubsidyClaim.objects.filter(
        enrollment_id=entrustment.enrollment_id,
        payee_kind=SubsidyClaim.PayeeKind.INSTITUTION,
        status__in=LIVE_STATUSES,
    ).first()
    if live is not None:
        raise RuleViolation(
            f"已有依据该委托的补贴申请（申请编号 {live.number}，{live.get_status_display()}），"
            "不能撤销委托；如需撤销请先撤回申请"
        )
    entrustment.status = Entrustment.Status.REVOKED
    entrustment.revoked_at = clock.now()
    entrustment.revoked_by = actor
    entrustment.save(update_fields=["status", "revoked_at", "revoked_by", "updated_at"])
    audit_record(
        actor=actor,
        action="subsidies.entrustment.revoke",
        obj=entrustment,
        from_state="active",
        to_state="revoked",
        reason=reason,
    )
    return entrustment
