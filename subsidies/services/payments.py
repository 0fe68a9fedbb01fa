"""Paying subsidy claims (财政, Role.FINANCE) on the shared ``core.payments`` batches.

Decisions:

* A batch is built from claims 待拨付 (ready) or 拨付失败 (failed, after the account was fixed);
  they move to 拨付中 in the same transaction. ``core.payments`` refuses a claim already in a live
  batch or already paid, and its partial unique constraint backs that under concurrency.
* The payee is read at batch time by ``SubsidyClaim.payee_account()``: an entrusted claim pays the
  institution's basic account from the registry, never an account typed into the claim. A claim
  whose institution has no basic account on file is refused by name.
* A failed claim may only be paid again after its account changed: the worker's account change
  sends it back to 审核中 (re-approval), or — for an entrusted claim — the registry account must
  differ from the one that failed.
* Callbacks (inside the transaction recording the bank's result): paid → 已发放 with ``paid_at``;
  failed → 拨付失败 with the bank's reason; a cancelled draft batch puts its claims back to 待拨付.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from core import clock, crypto
from core.errors import RuleViolation
from core.models import PaymentBatch, PaymentLine, User
from core.payments import PaymentLineInput, batch_create
from core.roles import Role
from subsidies.models import SubsidyClaim
from subsidies.services.claims import claim_move

PAYMENT_KIND = "subsidies"
Status = SubsidyClaim.Status
PAYABLE_STATUSES = (Status.READY, Status.FAILED)


def is_finance(user: User) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.has_role(Role.FINANCE))
    )


def _last_failed_account(claim: SubsidyClaim) -> str | None:
    from django.contrib.contenttypes.models import ContentType

    line = (
        PaymentLine.objects.filter(
            content_type=ContentType.objects.get_for_model(SubsidyClaim),
            object_id=claim.pk,
            status=PaymentLine.Status.FAILED,
        )
        .order_by("-result_recorded_at", "-pk")
        .first()
    )
    return crypto.decrypt(line.account_encrypted) if line else None


@transaction.atomic
def claims_batch_create(*, claim_ids: list[int], actor: User) -> PaymentBatch:
    """Build a draft payment batch of the given claims (待拨付 / 拨付失败) and move them to 拨付中.

    Raises PermissionDenied for a non-finance actor; RuleViolation when the list is empty, a claim
    is not payable (naming it), an institution has no basic account, a failed claim's account is
    unchanged, or a claim is already in a live batch (from ``core.payments``).
    """
    if not is_finance(actor):
        raise PermissionDenied("只有财政部门可以生成拨付批次。")
    ids = sorted(set(claim_ids))
    if not ids:
        raise RuleViolation("请选择要拨付的补贴申请。", code="batch_empty")
    claims = list(
        SubsidyClaim.objects.select_for_update(of=("self",))
        .select_related("worker", "institution")
        .filter(pk__in=ids)
        .order_by("number")
    )
    if len(claims) != len(ids):
        raise RuleViolation("所选申请有的不存在，请刷新后重试。", code="batch_stale")
    lines = []
    for claim in claims:
        if claim.status not in PAYABLE_STATUSES:
            raise RuleViolation(
                f"申请 {claim.number} 当前状态为“{claim.get_status_display()}”，不能拨付。",
                code="claim_not_payable",
            )
        name, bank, account = claim.payee_account()
        if not account or not bank:
            raise RuleViolation(
                f"申请 {claim.number} 的收款机构“{claim.institution}”未登记基本账户，不能拨付。",
                code="institution_no_account",
            )
        if claim.status == Status.FAILED and _last_failed_account(claim) == account:
            raise RuleViolation(
                f"申请 {claim.number} 上次拨付失败，收款账户尚未更正，不能重新拨付。",
                code="account_unchanged",
            )
        lines.append(
            PaymentLineInput(
                obj=claim,
                reference=claim.number,
                payee_kind=claim.payee_kind,
                payee_name=name,
                bank_name=bank,
                account=account,
                amount=claim.amount,
            )
        )
    batch = batch_create(kind=PAYMENT_KIND, lines=lines, actor=actor)
    for claim in claims:
        claim_move(
            claim,
            Status.IN_PAYMENT,
            actor=actor,
            reason=f"列入拨付批次 {batch.number}",
            action="subsidies.claim.in_payment",
        )
    return batch


def on_paid(claim: SubsidyClaim, line: PaymentLine, actor: User | None) -> None:
    claim.paid_at = clock.now()
    claim_move(
        claim,
        Status.PAID,
        actor=line.result_recorded_by,
        reason=f"已拨付（批次 {line.batch.number}）",
        action="subsidies.claim.paid",
    )


def on_failed(claim: SubsidyClaim, line: PaymentLine, actor: User | None) -> None:
    claim_move(
        claim,
        Status.FAILED,
        actor=line.result_recorded_by,
        reason=f"拨付失败：{line.failure_reason}（批次 {line.batch.number}）。请核对收款账户。",
        action="subsidies.claim.payment_failed",
    )


def on_cancelled(claim: SubsidyClaim, line: PaymentLine, actor: User | None) -> None:
    """``actor``: the finance user who cancelled the batch."""
    if claim.status != Status.IN_PAYMENT:
        return
    reason = f"拨付批次 {line.batch.number} 已作废，待重新生成批次。"
    # Nothing went to the bank: the claim is back on the ready list for a new batch.
    claim_move(
        claim, Status.READY, actor=actor, reason=reason, action="subsidies.claim.batch_cancelled"
    )


def register_money() -> None:
    """Register the notice kind, the payment kind and the home-page panel (from
    ``SubsidiesConfig.ready``)."""
    from core import payments
    from dashboard.panels import register_panel
    from subsidies.selectors.reports import home_panel
    from subsidies.services.notices import register_notice_kind

    register_notice_kind()
    payments.register_payment_kind(
        PAYMENT_KIND,
        on_paid=on_paid,
        on_failed=on_failed,
        on_cancelled=on_cancelled,
        label="补贴",
        preparers={Role.FINANCE},
        approvers={Role.FINANCE},
    )
    register_panel(
        "subsidies",
        title="补贴资金",
        template="subsidies/_home_panel.html",
        roles={Role.OFFICE, Role.AUDITOR, Role.FINANCE, Role.REVIEWER},
        context=home_panel,
        order=30,
    )
