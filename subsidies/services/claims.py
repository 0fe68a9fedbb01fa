"""Subsidy claims: submission (worker or institution channel), account change, withdrawal,
resubmission, and the one transition helper every claim service uses.

Exactly once: a submission locks the worker row (``select_for_update``), re-runs the eligibility
check and inserts the claim inside a savepoint; the partial unique constraints on
``SubsidyClaim`` turn any race that slips through (another process, another channel) into
``RuleViolation("已申请：…（申请编号 …）")``, never a 500.

Decisions:

* The amount is the standard's amount at submission (a snapshot); input never sets it.
* Own account: the holder's name must equal the worker's name; the number must pass
  ``validate_bank_account`` (12–30 digits). A failed Luhn check is only a warning in the form.
* Entrusted claims (payee = institution) are paid into the institution's basic account from the
  registry; the claim keeps a masked copy for display, ``SubsidyClaim.payee_account()`` reads the
  registry at payment time. An entrusted claim's account cannot be changed.
* An account change after approval (公示中, 待拨付, 拨付失败) sends the claim back to 审核中.
* A returned claim is resubmitted with a reply; its rules are checked again except the claim
  window (it was lodged within one) and the amount stays the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from core import clock
from core.crypto import decrypt, encrypt, keyed_hash
from core.errors import RuleViolation
from core.models import User
from core.services import audit_record
from core.validators import mask_bank_account, normalize_bank_account, validate_bank_account
from subsidies import permissions as perms
from subsidies.models import (
    LIVE_STATUSES,
    ClaimCounter,
    ClaimStatusChange,
    Kind,
    SubsidyClaim,
)
from subsidies.services.eligibility import Eligibility, eligibility_check
from training.models import Enrollment, Institution, Worker

Status = SubsidyClaim.Status
NUMBER_PREFIX = "BT"


# --------------------------------------------------------------------------------------------
# Transitions
# --------------------------------------------------------------------------------------------


def claim_move(
    claim: SubsidyClaim,
    to_status: str,
    *,
    actor: User | None,
    reason: str = "",
    action: str = "",
    changes: dict | None = None,
) -> SubsidyClaim:
    """Move a locked claim to ``to_status``: checks ``TRANSITIONS``, saves the row, bumps the
    version and writes the status history row and the audit row. Call it inside the caller's
    transaction on a row fetched with ``select_for_update``."""
    from_status = claim.status
    if to_status not in SubsidyClaim.TRANSITIONS.get(from_status, frozenset()):
        raise RuleViolation(
            f"申请 {claim.number} 当前状态为“{claim.get_status_display()}”，"
            f"不能变为“{Status(to_status).label}”",
            code="transition",
        )
    claim.status = to_status
    claim.version = F("version") + 1
    claim.save()
    claim.refresh_from_db(fields=["version"])
    ClaimStatusChange.objects.create(
        claim=claim, from_status=from_status, to_status=to_status, reason=reason, actor=actor
    )
    audit_record(
        actor=actor,
        action=action or f"subsidies.claim.{to_status}",
        obj=claim,
        from_state=from_status,
        to_state=to_status,
        changes=changes,
        reason=reason,
    )
    return claim


def _locked(claim: SubsidyClaim) -> SubsidyClaim:
    return (
        SubsidyClaim.objects.select_for_update(of=("self",))
        .select_related("worker", "institution")
        .get(pk=claim.pk)
    )


# --------------------------------------------------------------------------------------------
# Numbers and payees
# --------------------------------------------------------------------------------------------


def _next_number(year: int) -> str:
    """The next dense serial of the year, taken under a row lock (rolled back with the claim)."""
    counter = ClaimCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                ClaimCounter.objects.create(year=year)
        except IntegrityError:
            pass  # another submission created it first
        counter = ClaimCounter.objects.select_for_update().get(year=year)
    counter.last_serial = F("last_serial") + 1
    counter.save(update_fields=["last_serial"])
    counter.refresh_from_db(fields=["last_serial"])
    return f"{NUMBER_PREFIX}-{year}-{counter.last_serial:06d}"


@dataclass(frozen=True)
class OwnAccount:
    """The worker's own bank account, as typed."""

    holder_name: str
    bank_name: str
    account: str


@dataclass(frozen=True)
class Payee:
    kind: str
    name: str
    bank_name: str
    account_encrypted: str
    account_masked: str
    account_hash: str


def own_account_payee(worker: Worker, own: OwnAccount) -> Payee:
    """Check the typed account (field-keyed ValidationError) and return the payee."""
    errors = {}
    holder = (own.holder_name or "").strip()
    if not holder:
        errors["holder_name"] = "请填写开户人姓名"
    elif holder != worker.name:
        errors["holder_name"] = f"开户人姓名须与申请人姓名（{worker.name}）一致"
    bank = (own.bank_name or "").strip()
    if not bank:
        errors["bank_name"] = "请填写开户银行"
    try:
        validate_bank_account(own.account)
    except ValidationError as exc:
        errors["account"] = exc.messages
    if errors:
        raise ValidationError(errors)
    number = normalize_bank_account(own.account)
    return Payee(
        kind=SubsidyClaim.PayeeKind.PERSON,
        name=holder,
        bank_name=bank[:128],
        account_encrypted=encrypt(number),
        account_masked=mask_bank_account(number),
        account_hash=keyed_hash(number),
    )


def institution_payee(institution: Institution) -> Payee:
    """The institution's basic account from the registry, or RuleViolation when none is held."""
    if not (institution.bank_account_encrypted and institution.bank_name):
        raise RuleViolation(
            f"培训机构“{institution.name}”在机构名录中没有登记基本账户，不能委托代领或代为申领；"
            "请机构先向人社部门登记基本账户",
            code="no_institution_account",
        )
    number = decrypt(institution.bank_account_encrypted)
    return Payee(
        kind=SubsidyClaim.PayeeKind.INSTITUTION,
        name=institution.bank_account_name or institution.name,
        bank_name=institution.bank_name,
        account_encrypted=institution.bank_account_encrypted,
        account_masked=institution.bank_account_masked or mask_bank_account(number),
        account_hash=keyed_hash(number),
    )


# --------------------------------------------------------------------------------------------
# Submission
# --------------------------------------------------------------------------------------------


def _already_claimed(worker, kind: str, *, enrollment=None, certificate=None, campaign=None):
    qs = SubsidyClaim.objects.filter(worker=worker, kind=kind, status__in=LIVE_STATUSES)
    if kind == Kind.TRAINING:
        same = qs.filter(enrollment=enrollment).first()
        return same or qs.filter(campaign=campaign).first()
    return qs.filter(occupation_id=certificate.occupation_id, level=certificate.level).first()


def _precheck_existing(worker, kind: str, **kwargs):
    """The live claim already made for the same thing, looked up under the worker lock (a test
    switches this off to prove the unique constraints hold on their own)."""
    return _already_claimed(worker, kind, **kwargs)


def _already_message(claim: SubsidyClaim) -> str:
    return (
        f"已申请：{claim.worker.name}的{claim.description()}已有申请"
        f"（申请编号 {claim.number}，{claim.get_status_display()}），不能重复申请"
    )


def create_claim(
    *,
    worker: Worker,
    kind: str,
    channel: str,
    actor: User,
    enrollment: Enrollment | None = None,
    certificate=None,
    institution: Institution | None = None,
    own_account: OwnAccount | None = None,
) -> SubsidyClaim:
    """The one path to a new claim (both channels). Must run inside a transaction; locks the
    worker row, re-checks eligibility and inserts under the unique constraints."""
    worker = Worker.objects.select_for_update().get(pk=worker.pk)
    if enrollment is not None:
        enrollment = Enrollment.objects.select_related(
            "training_class__occupation", "training_class__institution", "campaign"
        ).get(pk=enrollment.pk)
    # Under the lock, an existing claim is the answer at once (the common loser of a race).
    campaign = enrollment.campaign if enrollment is not None else None
    existing = _precheck_existing(
        worker, kind, enrollment=enrollment, certificate=certificate, campaign=campaign
    )
    if existing is not None:
        raise RuleViolation(_already_message(existing), code="already_claimed")
    by_institution = channel == SubsidyClaim.Channel.INSTITUTION
    check: Eligibility = eligibility_check(
        worker=worker,
        kind=kind,
        enrollment=enrollment,
        certificate=certificate,
        institution=institution if by_institution else None,
    )
    if not check.eligible:
        failed_codes = {rule.code for rule in check.failed}
        if check.live_claim is not None and failed_codes & {"no_open_claim", "not_subsidised"}:
            raise RuleViolation(_already_message(check.live_claim), code="already_claimed")
        raise RuleViolation(check.refusal(), code="ineligible")
    entrustment = None
    if kind == Kind.TRAINING:
        if own_account is not None and channel == SubsidyClaim.Channel.WORKER:
            payee = own_account_payee(worker, own_account)
            claim_institution = None
        else:
            # Entrusted: the worker chose it, or the institution claims on their behalf.
            from subsidies.models import Entrustment

            entrustment = (
                check.entrustment
                or Entrustment.objects.filter(
                    enrollment=enrollment, status=Entrustment.Status.ACTIVE
                ).first()
            )
            if entrustment is None:
                raise RuleViolation(
                    "没有有效的委托代领记录：请先上传签署的委托书，再选择委托培训机构代领",
                    code="no_entrustment",
                )
            claim_institution = entrustment.institution
            payee = institution_payee(claim_institution)
        occupation = enrollment.training_class.occupation
        level = check.certificate.level if check.certificate else None
    elif kind == Kind.APPRAISAL:
        if own_account is None:
            raise RuleViolation("一次性鉴定补贴须填写本人银行账户")
        payee = own_account_payee(worker, own_account)
        claim_institution = None
        occupation, level = certificate.occupation, certificate.level
    else:  # shortage: the institution claims and is paid (the government buying results)
        if institution is None or channel != SubsidyClaim.Channel.INSTITUTION:
            raise RuleViolation("急需紧缺高技能人才培训补贴由培训机构申领")
        payee = institution_payee(institution)
        claim_institution = institution
        occupation, level = certificate.occupation, certificate.level
        enrollment = check.enrollment
    now = clock.now()
    claim = SubsidyClaim(
        number=_next_number(now.year),
        kind=kind,
        campaign=check.campaign,
        worker=worker,
        enrollment=enrollment,
        certificate=check.certificate if kind == Kind.TRAINING else certificate,
        occupation=occupation,
        level=level,
        channel=channel,
        institution=claim_institution,
        entrustment=entrustment,
        payee_kind=payee.kind,
        payee_name=payee.name,
        bank_name=payee.bank_name,
        account_encrypted=payee.account_encrypted,
        account_masked=payee.account_masked,
        account_hash=payee.account_hash,
        amount=check.standard.amount,
        standard=check.standard,
        status=Status.SUBMITTED,
        submitted_at=now,
        submitted_by=actor,
    )
    try:
        with transaction.atomic():
            claim.save()
    except IntegrityError:
        existing = _already_claimed(
            worker, kind, enrollment=enrollment, certificate=certificate, campaign=check.campaign
        )
        if existing is None:
            raise
        raise RuleViolation(_already_message(existing), code="already_claimed") from None
    ClaimStatusChange.objects.create(
        claim=claim,
        from_status="",
        to_status=Status.SUBMITTED,
        reason=f"{SubsidyClaim.Channel(channel).label}，补贴金额 {claim.amount} 元",
        actor=actor,
    )
    audit_record(
        actor=actor,
        action="subsidies.claim.submit",
        obj=claim,
        to_state=Status.SUBMITTED,
        changes={
            "kind": kind,
            "channel": channel,
            "amount": str(claim.amount),
            "standard": claim.standard_id,
            "payee_kind": payee.kind,
            "account": payee.account_masked,
        },
    )
    return claim


@transaction.atomic
def claim_submit(
    *,
    worker: Worker,
    kind: str,
    enrollment: Enrollment | None = None,
    certificate=None,
    own_account: OwnAccount | None = None,
    entrust: bool = False,
    actor: User,
) -> SubsidyClaim:
    """A worker's own claim. ``own_account`` for payment to themself, or ``entrust=True`` for
    payment to the training institution they entrusted (an active entrustment must exist)."""
    if not perms.can_act_for_worker(actor, worker):
        raise PermissionDenied
    if entrust == (own_account is not None):
        raise RuleViolation("请选择收款方式：本人银行账户或委托培训机构代领（二选一）")
    if entrust and kind != Kind.TRAINING:
        raise RuleViolation("只有培训补贴可以委托培训机构代领")
    return create_claim(
        worker=worker,
        kind=kind,
        channel=SubsidyClaim.Channel.WORKER,
        actor=actor,
        enrollment=enrollment,
        certificate=certificate,
        own_account=own_account,
    )


# --------------------------------------------------------------------------------------------
# Changes by the applicant
# --------------------------------------------------------------------------------------------


@transaction.atomic
def claim_account_change(
    *, claim: SubsidyClaim, own_account: OwnAccount, actor: User
) -> SubsidyClaim:
    """Change the worker's own account. Before approval: in place. After approval
    (公示中, 待拨付, 拨付失败): the claim goes back to 审核中 for re-approval.
    Never while 拨付中 or after."""
    claim = _locked(claim)
    if not perms.can_act_for_worker(actor, claim.worker):
        raise PermissionDenied
    if claim.payee_kind == SubsidyClaim.PayeeKind.INSTITUTION:
        raise RuleViolation("委托代领的补贴只拨付至培训机构基本账户，不能改为其他账户")
    if claim.status not in SubsidyClaim.ACCOUNT_CHANGE_STATUSES:
        raise RuleViolation(f"申请当前状态为“{claim.get_status_display()}”，不能再变更收款账户")
    payee = own_account_payee(claim.worker, own_account)
    before = claim.account_masked
    claim.payee_name = payee.name
    claim.bank_name = payee.bank_name
    claim.account_encrypted = payee.account_encrypted
    claim.account_masked = payee.account_masked
    claim.account_hash = payee.account_hash
    changes = {"account": [before, payee.account_masked], "bank_name": payee.bank_name}
    if claim.status in SubsidyClaim.APPROVED_STATUSES:
        claim.decided_at = None
        claim.decided_by = None
        return claim_move(
            claim,
            Status.UNDER_REVIEW,
            actor=actor,
            reason="审核通过后变更收款账户，需重新审核",
            action="subsidies.claim.account_change",
            changes=changes,
        )
    claim.version = F("version") + 1
    claim.save()
    claim.refresh_from_db(fields=["version"])
    audit_record(actor=actor, action="subsidies.claim.account_change", obj=claim, changes=changes)
    return claim


@transaction.atomic
def claim_withdraw(*, claim: SubsidyClaim, reason: str = "", actor: User) -> SubsidyClaim:
    """Withdraw a claim not yet approved (the worker, or the institution that submitted it)."""
    claim = _locked(claim)
    if not perms.can_act_on_claim(actor, claim):
        raise PermissionDenied
    if claim.status not in SubsidyClaim.WITHDRAWABLE_STATUSES:
        raise RuleViolation(
            f"申请当前状态为“{claim.get_status_display()}”，已审核通过或已办结的申请不能撤回"
        )
    return claim_move(
        claim,
        Status.WITHDRAWN,
        actor=actor,
        reason=reason.strip() or "申请人撤回",
        action="subsidies.claim.withdraw",
    )


@transaction.atomic
def claim_resubmit(*, claim: SubsidyClaim, reply: str, actor: User) -> SubsidyClaim:
    """Resubmit a returned claim with the information asked for (returned → submitted)."""
    claim = _locked(claim)
    if not perms.can_act_on_claim(actor, claim):
        raise PermissionDenied
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError({"reply": "请填写补正说明"})
    if claim.status != Status.RETURNED:
        raise RuleViolation(f"只有退回补正的申请可以重新提交（当前：{claim.get_status_display()}）")
    Worker.objects.select_for_update().get(pk=claim.worker_id)
    check = eligibility_check(
        worker=claim.worker,
        kind=claim.kind,
        enrollment=claim.enrollment if claim.kind == Kind.TRAINING else None,
        certificate=claim.certificate if claim.kind != Kind.TRAINING else None,
        institution=claim.institution if claim.channel == "institution" else None,
        exclude_claim=claim,
    )
    failed = [rule for rule in check.failed if rule.code not in ("window", "standard")]
    if failed:
        raise RuleViolation(
            "不符合申领条件：" + "；".join(f"{r.title}—{r.explanation}" for r in failed)
        )
    claim.submitted_at = clock.now()
    return claim_move(
        claim, Status.SUBMITTED, actor=actor, reason=reply, action="subsidies.claim.resubmit"
    )
