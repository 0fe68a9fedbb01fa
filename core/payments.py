"""Payment batches (拨付): shared by subsidies and awards.

An app registers a payment *kind* with its callbacks (``register_payment_kind``) and builds a
batch from its own "ready for payment" list with ``batch_create``. A second finance user approves
it (maker-checker: the preparer may never approve, held by a CHECK constraint too); the bank file
is then downloadable; finance records the bank's result per line (or uploads them), and the
batch closes when every line has one. The kind's ``on_paid`` / ``on_failed`` run inside the
transaction recording the result.

Exactly once: a partial UniqueConstraint lets a thing sit in at most one pending line and be paid
at most once; a failed or cancelled line frees it for a new batch.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Sum

from core import clock, crypto
from core.errors import RuleViolation
from core.models import PaymentBatch, PaymentLine, User
from core.roles import Role
from core.services import audit_record
from core.validators import mask_bank_account, normalize_bank_account, validate_bank_account
from core.xlsx import (
    CHINA_TZ,
    ErrorCollector,
    SheetReader,
    TextCell,
    XlsxWriter,
    cell_text,
    open_workbook,
)

CENT = Decimal("0.01")

# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------

# (object, line, actor): the actor is the person whose action ran the callback.
LineCallback = Callable[[Any, PaymentLine, "User | None"], None]


@dataclass(frozen=True)
class PaymentKind:
    kind: str
    on_paid: LineCallback
    on_failed: LineCallback
    on_cancelled: LineCallback | None
    label: str
    preparers: frozenset[Role]
    approvers: frozenset[Role]


_KINDS: dict[str, PaymentKind] = {}


def register_payment_kind(
    kind: str,
    *,
    on_paid: LineCallback,
    on_failed: LineCallback,
    on_cancelled: LineCallback | None = None,
    label: str = "",
    preparers: Iterable[Role] = (Role.FINANCE,),
    approvers: Iterable[Role] = (Role.FINANCE,),
) -> PaymentKind:
    """Register (or replace) an app's payment kind; call from ``AppConfig.ready``.

    ``on_paid(obj, line, actor)`` / ``on_failed(obj, line, actor)`` run in the transaction that
    records the bank's result; ``on_cancelled(obj, line, actor)`` in the one that cancels a draft
    batch (so the app can put the object back on its ready list). Objects are passed locked;
    ``actor`` is the finance user who acted, for the app's own audit rows.
    """
    registration = PaymentKind(
        kind=kind,
        on_paid=on_paid,
        on_failed=on_failed,
        on_cancelled=on_cancelled,
        label=label or kind,
        preparers=frozenset(preparers),
        approvers=frozenset(approvers),
    )
    _KINDS[kind] = registration
    return registration


def payment_kind(kind: str) -> PaymentKind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise LookupError(f"payment kind {kind!r} is not registered") from None


def payment_kinds() -> list[PaymentKind]:
    """The registered kinds, by code (for filters)."""
    return sorted(_KINDS.values(), key=lambda registration: registration.kind)


def payment_kind_label(kind: str) -> str:
    registration = _KINDS.get(kind)
    return registration.label if registration else kind


def _has_any_role(user: User | None, roles: Iterable[Role]) -> bool:
    return bool(
        user is not None and user.is_authenticated and (user.is_superuser or user.has_role(*roles))
    )


def may_prepare(user: User | None, kind: str) -> bool:
    return _has_any_role(user, payment_kind(kind).preparers)


def may_approve(user: User | None, kind: str) -> bool:
    return _has_any_role(user, payment_kind(kind).approvers)


# --------------------------------------------------------------------------------------------
# Creating, approving, cancelling
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentLineInput:
    """One payment to make. ``account`` is the plain number; it is stored encrypted."""

    obj: models.Model
    reference: str
    payee_kind: str
    payee_name: str
    bank_name: str
    account: str
    amount: Decimal


def _next_number(today: datetime.date) -> str:
    prefix = f"BT{today:%Y%m}"
    last = (
        PaymentBatch.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _live_conflict(content_type: ContentType, object_ids: list[int]) -> PaymentLine | None:
    return (
        PaymentLine.objects.filter(
            content_type=content_type,
            object_id__in=object_ids,
            status__in=PaymentLine.LIVE_STATUSES,
        )
        .select_related("batch")
        .order_by("pk")
        .first()
    )


def _conflict_error(line: PaymentLine) -> RuleViolation:
    if line.status == PaymentLine.Status.PAID:
        return RuleViolation(
            f"{line.reference} 已拨付，不能重复拨付。", code="payment_already_paid"
        )
    return RuleViolation(
        f"{line.reference} 已在拨付批次 {line.batch.number} 中。", code="payment_in_batch"
    )


@transaction.atomic
def batch_create(*, kind: str, lines: list[PaymentLineInput], actor: User) -> PaymentBatch:
    """Create a draft batch of ``lines`` prepared by ``actor``.

    Raises PermissionDenied unless the actor is one of the kind's preparers; RuleViolation for
    an empty list, a duplicate, a non-positive amount, an invalid account, or an object already in
    a live batch or already paid (checked first, and backed by the database constraint).
    Writes one audit row for the batch.
    """
    registration = payment_kind(kind)
    if not _has_any_role(actor, registration.preparers):
        raise PermissionDenied
    if not lines:
        raise RuleViolation("拨付名单为空，不能生成批次。", code="batch_empty")

    prepared = []
    seen: set[tuple[int, int]] = set()
    references: set[str] = set()
    by_type: dict[ContentType, list[int]] = {}
    for line in lines:
        content_type = ContentType.objects.get_for_model(line.obj)
        key = (content_type.pk, line.obj.pk)
        if key in seen or line.reference in references:
            raise RuleViolation(f"{line.reference} 在名单中重复。", code="batch_duplicate")
        seen.add(key)
        references.add(line.reference)
        amount = Decimal(line.amount).quantize(CENT, rounding=ROUND_HALF_UP)
        if amount <= 0:
            raise RuleViolation(f"{line.reference} 金额必须大于0。", code="batch_amount")
        if line.payee_kind not in PaymentLine.PayeeKind.values:
            raise RuleViolation(f"{line.reference} 收款类型无效。", code="batch_payee_kind")
        account = normalize_bank_account(line.account or "")
        try:
            validate_bank_account(account)
        except ValidationError as exc:
            raise RuleViolation(
                f"{line.reference} 收款账号无效：{exc.messages[0]}", code="batch_account"
            ) from None
        if not (line.payee_name or "").strip() or not (line.bank_name or "").strip():
            raise RuleViolation(
                f"{line.reference} 缺少收款人或开户银行。", code="batch_payee_missing"
            )
        by_type.setdefault(content_type, []).append(line.obj.pk)
        prepared.append((content_type, line, amount, account))

    for content_type, object_ids in by_type.items():
        conflict = _live_conflict(content_type, object_ids)
        if conflict is not None:
            raise _conflict_error(conflict)

    total = sum((amount for _ct, _line, amount, _acc in prepared), Decimal("0.00"))
    today = clock.today()
    batch = None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                batch = PaymentBatch.objects.create(
                    kind=kind,
                    number=_next_number(today),
                    prepared_by=actor,
                    line_count=len(prepared),
                    total_amount=total,
                )
            break
        except IntegrityError:
            # Two batches numbered at the same moment: take the next number.
            continue
    if batch is None:
        raise RuleViolation("批次号生成冲突，请稍后重试。", code="batch_number")

    try:
        with transaction.atomic():
            PaymentLine.objects.bulk_create(
                [
                    PaymentLine(
                        batch=batch,
                        content_type=content_type,
                        object_id=line.obj.pk,
                        reference=line.reference,
                        payee_kind=line.payee_kind,
                        payee_name=line.payee_name.strip(),
                        bank_name=line.bank_name.strip(),
                        account_encrypted=crypto.encrypt(account),
                        account_masked=mask_bank_account(account),
                        amount=amount,
                    )
                    for content_type, line, amount, account in prepared
                ]
            )
    except IntegrityError:
        # A concurrent batch took one of the objects between the check and the insert.
        for content_type, object_ids in by_type.items():
            conflict = _live_conflict(content_type, object_ids)
            if conflict is not None:
                raise _conflict_error(conflict) from None
        raise RuleViolation(
            "名单中有对象已进入其他拨付批次，请刷新后重试。", code="payment_in_batch"
        ) from None

    audit_record(
        actor=actor,
        action="payment.batch_create",
        obj=batch,
        to_state=batch.status,
        changes={"kind": kind, "lines": batch.line_count, "total": str(total)},
    )
    return batch


def _check_totals(batch: PaymentBatch) -> None:
    figures = batch.lines.exclude(status=PaymentLine.Status.CANCELLED).aggregate(
        count=Count("pk"), total=Sum("amount")
    )
    if figures["count"] != batch.line_count or (figures["total"] or 0) != batch.total_amount:
        raise RuleViolation(
            f"批次 {batch.number} 的明细与合计不符，请作废后重新生成。", code="batch_totals"
        )


@transaction.atomic
def batch_approve(*, batch: PaymentBatch, actor: User) -> PaymentBatch:
    """Approve a draft batch (复核): the bank file becomes available.

    Raises PermissionDenied unless the actor is an approver of the kind; RuleViolation when the
    actor prepared the batch ("制单人不能复核本批次"), the batch is not a draft, or its lines do
    not add up to its totals. Writes an audit row.
    """
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    registration = payment_kind(batch.kind)
    if not _has_any_role(actor, registration.approvers):
        raise PermissionDenied
    if batch.status != PaymentBatch.Status.DRAFT:
        raise RuleViolation("只有待复核的批次可以复核。", code="batch_not_draft")
    if batch.prepared_by_id == actor.pk:
        raise RuleViolation("制单人不能复核本批次。", code="batch_maker_checker")
    _check_totals(batch)
    batch.status = PaymentBatch.Status.APPROVED
    batch.approved_by = actor
    # Whole seconds: the bank file's document date is this moment, and must be reproducible.
    batch.approved_at = clock.now().replace(microsecond=0)
    batch.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    audit_record(
        actor=actor,
        action="payment.batch_approve",
        obj=batch,
        from_state=PaymentBatch.Status.DRAFT,
        to_state=batch.status,
    )
    return batch


def _locked_objects(lines: list[PaymentLine]) -> dict[int, Any]:
    """line pk → the line's target object, locked; one query per content type."""
    by_type: dict[int, list[PaymentLine]] = {}
    for line in lines:
        by_type.setdefault(line.content_type_id, []).append(line)
    result = {}
    for content_type_id, type_lines in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        objects = model._default_manager.select_for_update().in_bulk(
            [line.object_id for line in type_lines]
        )
        for line in type_lines:
            result[line.pk] = objects.get(line.object_id)
    return result


@transaction.atomic
def batch_cancel(*, batch: PaymentBatch, actor: User, reason: str) -> PaymentBatch:
    """Cancel a draft batch; its lines are cancelled and their objects freed for a new batch
    (the kind's ``on_cancelled`` runs for each). Raises PermissionDenied for a non-finance actor,
    ValidationError without a reason, RuleViolation unless the batch is a draft."""
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    registration = payment_kind(batch.kind)
    if not _has_any_role(actor, registration.preparers | registration.approvers):
        raise PermissionDenied
    if batch.status != PaymentBatch.Status.DRAFT:
        raise RuleViolation("只有待复核的批次可以作废。", code="batch_not_draft")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写作废原因。"]})
    lines = list(batch.lines.select_for_update().order_by("pk"))
    objects = _locked_objects(lines)
    for line in lines:
        line.status = PaymentLine.Status.CANCELLED
        line.save(update_fields=["status", "updated_at"])
        if registration.on_cancelled is not None and objects.get(line.pk) is not None:
            registration.on_cancelled(objects[line.pk], line, actor)
    batch.status = PaymentBatch.Status.CANCELLED
    batch.cancelled_reason = reason
    batch.save(update_fields=["status", "cancelled_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="payment.batch_cancel",
        obj=batch,
        from_state=PaymentBatch.Status.DRAFT,
        to_state=batch.status,
        reason=reason,
    )
    return batch


# --------------------------------------------------------------------------------------------
# The bank file
# --------------------------------------------------------------------------------------------

BANK_FILE_HEADERS = ("序号", "收款人", "收款类型", "开户银行", "账号", "金额（元）", "业务编号")
BANK_FILE_WIDTHS = (8, 24, 10, 28, 28, 14, 20)
_CORE_XML = "docProps/core.xml"
_DCTERMS = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _deterministic_zip(data: bytes, moment: datetime.datetime) -> bytes:
    """Rewrite an xlsx so that the same content gives the same bytes: every zip entry gets
    ``moment`` as its timestamp and the document's created/modified dates are ``moment``."""
    local = moment.astimezone(CHINA_TZ)
    date_time = (local.year, local.month, local.day, local.hour, local.minute, local.second)
    stamp = moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == _CORE_XML:
                content = _DCTERMS.sub(lambda m: m.group(1) + stamp + m.group(3), content)
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, content)
    return out.getvalue()


def batch_bank_file(*, batch: PaymentBatch) -> bytes:
    """The bank file (xlsx) of an approved or closed batch: a title row, one row per line with
    the FULL account number (finance only), and a total row.

    Deterministic: the same batch always gives the same bytes (document dates and zip
    timestamps are the approval time). Raises RuleViolation for a draft or cancelled batch, or
    when the lines do not add up to the batch's total. Constant queries: one for the lines.
    """
    if batch.status not in (PaymentBatch.Status.APPROVED, PaymentBatch.Status.CLOSED):
        raise RuleViolation("批次复核后方可导出银行文件。", code="batch_not_approved")
    lines = list(
        batch.lines.exclude(status=PaymentLine.Status.CANCELLED)
        .order_by("pk")
        .values_list(
            "reference", "payee_kind", "payee_name", "bank_name", "account_encrypted", "amount"
        )
    )
    total = sum((line[5] for line in lines), Decimal("0.00"))
    if total != batch.total_amount or len(lines) != batch.line_count:
        raise RuleViolation(
            f"批次 {batch.number} 的明细与合计不符，不能导出。", code="batch_totals"
        )
    payee_labels = dict(PaymentLine.PayeeKind.choices)
    title = f"{payment_kind_label(batch.kind)}拨付批次 {batch.number}（共{len(lines)}笔）"
    buffer = io.BytesIO()
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(
            "拨付明细",
            [title] + [""] * (len(BANK_FILE_HEADERS) - 1),
            widths=BANK_FILE_WIDTHS,
            freeze="A3",
        )
        writer.append(sheet, BANK_FILE_HEADERS)
        for index, (reference, payee_kind, name, bank, encrypted, amount) in enumerate(lines, 1):
            writer.append(
                sheet,
                [
                    index,
                    name,
                    str(payee_labels.get(payee_kind, payee_kind)),
                    bank,
                    TextCell(crypto.decrypt(encrypted)),
                    amount,
                    TextCell(reference),
                ],
            )
        writer.append(sheet, ["合计", None, None, None, f"共{len(lines)}笔", total, None])
        writer.save(buffer)
    return _deterministic_zip(buffer.getvalue(), batch.approved_at or batch.created_at)


@transaction.atomic
def batch_bank_file_download(*, batch: PaymentBatch, actor: User) -> bytes:
    """The bank file for a finance user, with an audit row: it carries full account numbers.
    Raises PermissionDenied for anyone but the kind's preparers and approvers."""
    registration = payment_kind(batch.kind)
    if not _has_any_role(actor, registration.preparers | registration.approvers):
        raise PermissionDenied
    data = batch_bank_file(batch=batch)
    audit_record(
        actor=actor,
        action="payment.bank_file_download",
        obj=batch,
        changes={"lines": batch.line_count, "total": str(batch.total_amount)},
    )
    return data


def bank_file_name(batch: PaymentBatch) -> str:
    return f"拨付批次_{batch.number}.xlsx"


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _maybe_close(batch: PaymentBatch, actor: User | None) -> None:
    if batch.status != PaymentBatch.Status.APPROVED:
        return
    if batch.lines.filter(status=PaymentLine.Status.PENDING).exists():
        return
    batch.status = PaymentBatch.Status.CLOSED
    batch.closed_at = clock.now()
    batch.save(update_fields=["status", "closed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="payment.batch_close",
        obj=batch,
        from_state=PaymentBatch.Status.APPROVED,
        to_state=batch.status,
    )


def _record(
    *, line: PaymentLine, batch: PaymentBatch, paid: bool, reason: str, actor: User, target: Any
) -> PaymentLine:
    registration = payment_kind(batch.kind)
    if line.status != PaymentLine.Status.PENDING:
        raise RuleViolation(f"{line.reference} 已登记拨付结果。", code="line_has_result")
    reason = (reason or "").strip()
    if not paid and not reason:
        raise ValidationError({"reason": [f"{line.reference} 拨付失败须填写失败原因。"]})
    line.status = PaymentLine.Status.PAID if paid else PaymentLine.Status.FAILED
    line.failure_reason = "" if paid else reason[:200]
    line.result_recorded_by = actor
    line.result_recorded_at = clock.now()
    line.save(
        update_fields=[
            "status",
            "failure_reason",
            "result_recorded_by",
            "result_recorded_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="payment.line_result",
        obj=line,
        from_state=PaymentLine.Status.PENDING,
        to_state=line.status,
        reason=line.failure_reason,
        changes={"batch": batch.number, "reference": line.reference},
    )
    if target is not None:
        if paid:
            registration.on_paid(target, line, actor)
        else:
            registration.on_failed(target, line, actor)
    return line


@transaction.atomic
def line_record_result(
    *, line: PaymentLine, paid: bool, reason: str = "", actor: User
) -> PaymentLine:
    """Record the bank's result for one line (paid, or failed with a reason); the kind's
    ``on_paid`` / ``on_failed`` runs here. Closes the batch when it was the last pending line.

    Raises PermissionDenied for a non-finance actor; RuleViolation unless the batch is approved
    and the line still pending; ValidationError for a failure without a reason.
    """
    batch = PaymentBatch.objects.select_for_update().get(pk=line.batch_id)
    registration = payment_kind(batch.kind)
    if not _has_any_role(actor, registration.preparers | registration.approvers):
        raise PermissionDenied
    if batch.status != PaymentBatch.Status.APPROVED:
        raise RuleViolation("批次复核后、完成前方可登记拨付结果。", code="batch_not_approved")
    line = PaymentLine.objects.select_for_update().get(pk=line.pk)
    target = _locked_objects([line]).get(line.pk)
    _record(line=line, batch=batch, paid=paid, reason=reason, actor=actor, target=target)
    _maybe_close(batch, actor)
    return line


RESULT_HEADERS = ("业务编号", "结果", "失败原因")
RESULT_SHEET = "拨付结果"
RESULT_PAID = "成功"
RESULT_FAILED = "失败"


def result_template(*, batch: PaymentBatch) -> bytes:
    """An xlsx to fill in with the bank's results: one row per pending line."""
    buffer = io.BytesIO()
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(RESULT_SHEET, RESULT_HEADERS, widths=(22, 10, 40))
        for reference in (
            batch.lines.filter(status=PaymentLine.Status.PENDING)
            .order_by("pk")
            .values_list("reference", flat=True)
        ):
            writer.append(sheet, [TextCell(reference), None, None])
        writer.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def batch_record_results_upload(
    *, batch: PaymentBatch, file: IO[bytes], actor: User, filename: str | None = None
) -> int:
    """Record results from an xlsx (sheet 拨付结果: 业务编号, 结果 成功/失败, 失败原因).

    All or nothing: every row is checked first (unknown or repeated 业务编号, a line that already
    has a result, an unknown result, a failure without a reason) and ``XlsxError`` lists every
    problem; only then are the results recorded, in one transaction. Returns the number of lines
    recorded.
    """
    batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    registration = payment_kind(batch.kind)
    if not _has_any_role(actor, registration.preparers | registration.approvers):
        raise PermissionDenied
    if batch.status != PaymentBatch.Status.APPROVED:
        raise RuleViolation("批次复核后、完成前方可登记拨付结果。", code="batch_not_approved")
    lines = {line.reference: line for line in batch.lines.select_for_update().order_by("pk")}
    workbook = open_workbook(file, filename=filename or getattr(file, "name", "") or "")
    prepared: list[tuple[PaymentLine, bool, str]] = []
    try:
        errors = ErrorCollector()
        reader = SheetReader(
            workbook, sheet=RESULT_SHEET, headers=RESULT_HEADERS, errors=errors, max_rows=20_000
        )
        seen: set[str] = set()
        for row in reader:
            reference = errors.parse(row, "业务编号", cell_text, max_length=64)
            result = errors.parse(row, "结果", cell_text, max_length=8)
            reason = errors.parse(row, "失败原因", cell_text, required=False, max_length=200)
            if not errors.row_ok(row):
                continue
            line = lines.get(reference)
            if line is None:
                errors.add_for(row, "业务编号", f"本批次没有业务编号 {reference}")
                continue
            if reference in seen:
                errors.add_for(row, "业务编号", f"业务编号 {reference} 重复")
                continue
            seen.add(reference)
            if line.status != PaymentLine.Status.PENDING:
                errors.add_for(row, "业务编号", f"{reference} 已登记过结果")
                continue
            if result not in (RESULT_PAID, RESULT_FAILED):
                errors.add_for(row, "结果", f"应为“{RESULT_PAID}”或“{RESULT_FAILED}”")
                continue
            if result == RESULT_FAILED and not reason:
                errors.add_for(row, "失败原因", "结果为失败时须填写失败原因")
                continue
            prepared.append((line, result == RESULT_PAID, reason or ""))
        errors.raise_if_any()
    finally:
        workbook.close()
    if not prepared:
        raise RuleViolation("文件中没有拨付结果。", code="results_empty")
    targets = _locked_objects([line for line, _paid, _reason in prepared])
    for line, paid, reason in prepared:
        _record(
            line=line,
            batch=batch,
            paid=paid,
            reason=reason,
            actor=actor,
            target=targets.get(line.pk),
        )
    _maybe_close(batch, actor)
    return len(prepared)


def batch_totals_by_status(batch: PaymentBatch) -> dict[str, dict[str, Any]]:
    """Count and amount per line status, for the detail page (one query)."""
    rows = batch.lines.values("status").annotate(count=Count("pk"), total=Sum("amount"))
    return {row["status"]: {"count": row["count"], "total": row["total"]} for row in rows}


__all__ = [
    "BANK_FILE_HEADERS",
    "PaymentLineInput",
    "bank_file_name",
    "batch_approve",
    "batch_bank_file",
    "batch_bank_file_download",
    "batch_cancel",
    "batch_create",
    "batch_record_results_upload",
    "batch_totals_by_status",
    "line_record_result",
    "may_approve",
    "may_prepare",
    "payment_kind",
    "register_payment_kind",
    "result_template",
]
