"""Review services (人社): start, approve, refuse, return; conflicts of interest; re-check."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import RuleViolation
from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role
from subsidies.models import SubsidyClaim
from subsidies.services import review as services
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    frozen,
    institution,
    media,
    reviewer,
    set_status,
    trainee,
)
from subsidies.tests.money import finance, submitted

pytestmark = pytest.mark.django_db
Status = SubsidyClaim.Status


def test_review_start_moves_submitted_to_under_review(plan):
    claim = submitted(plan)
    started = services.claim_review_start(claim=claim, actor=reviewer())
    assert started.status == Status.UNDER_REVIEW
    with pytest.raises(RuleViolation, match="不能开始审核"):
        services.claim_review_start(claim=claim, actor=reviewer())


def test_approve_from_submitted_records_two_steps_and_reason(plan):
    claim = submitted(plan)
    actor = reviewer()
    approved = services.claim_approve(claim=claim, actor=actor)
    assert approved.status == Status.IN_NOTICE
    assert approved.decided_by == actor
    assert approved.decided_at is not None
    assert approved.decision_reason == "审核通过，进入公示。"
    steps = list(approved.status_changes.values_list("to_status", flat=True))
    assert steps[-2:] == [Status.UNDER_REVIEW, Status.IN_NOTICE]
    assert AuditEvent.objects.for_object(approved).filter(action="subsidies.claim.approve").exists()


@pytest.mark.parametrize("service", [services.claim_refuse, services.claim_return])
def test_refuse_and_return_need_a_reason_the_applicant_sees(plan, service):
    claim = submitted(plan)
    with pytest.raises(ValidationError):
        service(claim=claim, reason="  ", actor=reviewer())
    assert SubsidyClaim.objects.get(pk=claim.pk).status == Status.SUBMITTED
    decided = service(claim=claim, reason="证书复印件不清晰", actor=reviewer())
    assert decided.decision_reason == "证书复印件不清晰"
    assert decided.status_changes.last().reason == "证书复印件不清晰"
    assert decided.status in (Status.REFUSED, Status.RETURNED)


@pytest.mark.parametrize("role", [Role.FINANCE, Role.OFFICE, Role.WORKER, Role.INSTITUTION])
def test_only_reviewers_decide(plan, role):
    claim = submitted(plan)
    with pytest.raises(PermissionDenied):
        services.claim_approve(claim=claim, actor=user_with_role(role))
    assert SubsidyClaim.objects.get(pk=claim.pk).status == Status.SUBMITTED


def test_finance_cannot_approve(plan):
    with pytest.raises(PermissionDenied):
        services.claim_approve(claim=submitted(plan), actor=finance())


def test_reviewer_never_decides_own_claim(plan):
    claim = submitted(plan)
    own = claim.worker.user
    from django.contrib.auth.models import Group

    own.groups.add(Group.objects.get_or_create(name=Role.REVIEWER.value)[0])
    own.__dict__.pop("role_names", None)
    with pytest.raises(PermissionDenied, match="本人"):
        services.claim_approve(claim=claim, actor=own)


def test_reviewer_never_decides_own_institutions_claim(plan):
    enrollment = trainee(plan)
    from subsidies.tests.factories import submit_own

    claim = submit_own(enrollment)
    colleague = reviewer(institution=enrollment.training_class.institution)
    with pytest.raises(PermissionDenied, match="本人所在培训机构"):
        services.claim_refuse(claim=claim, reason="x", actor=colleague)
    assert services.conflict_of_interest(reviewer(), claim) == ""


def test_approve_rechecks_eligibility(plan):
    claim = submitted(plan)
    enrollment = claim.enrollment
    enrollment.sessions_attended = 1
    enrollment.save()
    with pytest.raises(RuleViolation, match="不能审核通过"):
        services.claim_approve(claim=claim, actor=reviewer())
    assert SubsidyClaim.objects.get(pk=claim.pk).status == Status.SUBMITTED


@pytest.mark.parametrize(
    "status", [Status.RETURNED, Status.REFUSED, Status.IN_NOTICE, Status.PAID, Status.WITHDRAWN]
)
def test_decisions_refused_outside_review(plan, status):
    claim = set_status(submitted(plan), status)
    with pytest.raises(RuleViolation):
        services.claim_approve(claim=claim, actor=reviewer())
    assert SubsidyClaim.objects.get(pk=claim.pk).status == status
