"""Review of subsidy claims by 人社 (Role.REVIEWER): start, approve, refuse, return.

Decisions:

* Every decision carries a reason the applicant sees (``decision_reason`` and the status history);
  refusing or returning needs one, approving defaults to "审核通过".
* A reviewer never decides their own claim (as the worker or the submitter) nor a claim of their own
  institution (``User.institution``: the claiming institution or the class's institution). The
  queue hides such claims (``subsidies.selectors.review``); the services refuse them too.
* Approve, refuse and return accept a claim still 已提交: the review is started first (two history
  rows), so the reviewer need not click twice.
* Approval re-runs the eligibility check (except the claim window and the standard, which held when
  the claim was lodged and fixed its amount): the records may have changed since submission.
* Approval moves the claim to 公示中 (in_notice); it is published on the next notice
  (``subsidies.services.notices``), and moves on to 待拨付 when that notice closes without an upheld
  objection.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core import clock
from core.errors import RuleViolation
from core.models import User
from core.roles import Role
from subsidies.models import Kind, SubsidyClaim
from subsidies.services.claims import claim_move
from subsidies.services.eligibility import eligibility_check

Status = SubsidyClaim.Status
REVIEW_STATUSES = (Status.SUBMITTED, Status.UNDER_REVIEW)
# Rules that held at submission and are not re-judged at approval.
_SUBMISSION_ONLY_RULES = ("window", "standard")


def is_reviewer(user: User) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.has_role(Role.REVIEWER))
    )


def conflict_of_interest(user: User, claim: SubsidyClaim) -> str:
    """Why ``user`` may not decide ``claim`` ("" when they may). Reads only loaded fields
    (``claim.worker`` and ``claim.enrollment.training_class`` when present)."""
    if claim.submitted_by_id == user.pk or claim.worker.user_id == user.pk:
        return "不能审核本人提交或本人的补贴申请。"
    if user.institution_id:
        institutions = {claim.institution_id}
        if claim.enrollment_id is not None:
            institutions.add(claim.enrollment.training_class.institution_id)
        if user.institution_id in institutions:
            return "不能审核本人所在培训机构的补贴申请。"
    return ""


def _locked(claim: SubsidyClaim) -> SubsidyClaim:
    return (
        SubsidyClaim.objects.select_for_update(of=("self",))
        .select_related("worker", "institution", "enrollment__training_class", "certificate")
        .get(pk=claim.pk)
    )


def _check_reviewer(claim: SubsidyClaim, actor: User) -> None:
    if not is_reviewer(actor):
        raise PermissionDenied("只有人社审核人员可以审核补贴申请。")
    reason = conflict_of_interest(actor, claim)
    if reason:
        raise PermissionDenied(reason)


def _start(claim: SubsidyClaim, actor: User) -> SubsidyClaim:
    if claim.status == Status.SUBMITTED:
        claim = claim_move(
            claim,
            Status.UNDER_REVIEW,
            actor=actor,
            reason="开始审核",
            action="subsidies.claim.review_start",
        )
    if claim.status != Status.UNDER_REVIEW:
        raise RuleViolation(
            f"申请 {claim.number} 当前状态为“{claim.get_status_display()}”，不在审核环节。",
            code="not_in_review",
        )
    return claim


def _required_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [f"请填写{what}理由，申请人将看到这一理由。"]})
    return reason


def _decide(claim: SubsidyClaim, actor: User, reason: str) -> None:
    claim.decided_at = clock.now()
    claim.decided_by = actor
    claim.decision_reason = reason


@transaction.atomic
def claim_review_start(*, claim: SubsidyClaim, actor: User) -> SubsidyClaim:
    """已提交 → 审核中. Raises PermissionDenied for a non-reviewer or a conflict of interest,
    RuleViolation when the claim is not 已提交."""
    claim = _locked(claim)
    _check_reviewer(claim, actor)
    if claim.status != Status.SUBMITTED:
        raise RuleViolation(
            f"申请 {claim.number} 当前状态为“{claim.get_status_display()}”，不能开始审核。",
            code="not_submitted",
        )
    return _start(claim, actor)


@transaction.atomic
def claim_approve(*, claim: SubsidyClaim, reason: str = "", actor: User) -> SubsidyClaim:
    """审核中 (or 已提交) → 公示中. Re-checks eligibility first; RuleViolation names every rule
    that now fails. Writes the status history and an audit row."""
    claim = _locked(claim)
    _check_reviewer(claim, actor)
    claim = _start(claim, actor)
    check = eligibility_check(
        worker=claim.worker,
        kind=claim.kind,
        enrollment=claim.enrollment if claim.kind == Kind.TRAINING else None,
        certificate=claim.certificate if claim.kind != Kind.TRAINING else None,
        institution=claim.institution if claim.channel == "institution" else None,
        exclude_claim=claim,
    )
    failed = [rule for rule in check.failed if rule.code not in _SUBMISSION_ONLY_RULES]
    if failed:
        raise RuleViolation(
            "不能审核通过，以下条件不满足："
            + "；".join(f"{rule.title}—{rule.explanation}" for rule in failed),
            code="not_eligible",
        )
    reason = (reason or "").strip() or "审核通过，进入公示。"
    _decide(claim, actor, reason)
    return claim_move(
        claim, Status.IN_NOTICE, actor=actor, reason=reason, action="subsidies.claim.approve"
    )


@transaction.atomic
def claim_refuse(*, claim: SubsidyClaim, reason: str, actor: User) -> SubsidyClaim:
    """审核中 (or 已提交) → 不予补贴, with the reason the applicant sees."""
    claim = _locked(claim)
    _check_reviewer(claim, actor)
    reason = _required_reason(reason, "不予补贴")
    claim = _start(claim, actor)
    _decide(claim, actor, reason)
    return claim_move(
        claim, Status.REFUSED, actor=actor, reason=reason, action="subsidies.claim.refuse"
    )


@transaction.atomic
def claim_return(*, claim: SubsidyClaim, reason: str, actor: User) -> SubsidyClaim:
    """审核中 (or 已提交) → 退回补正: the applicant adds what the reason asks for and resubmits."""
    claim = _locked(claim)
    _check_reviewer(claim, actor)
    reason = _required_reason(reason, "退回补正")
    claim = _start(claim, actor)
    _decide(claim, actor, reason)
    return claim_move(
        claim, Status.RETURNED, actor=actor, reason=reason, action="subsidies.claim.return"
    )
