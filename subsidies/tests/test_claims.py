"""claim_submit, the payee rules, account change, withdrawal and resubmission."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.crypto import decrypt
from core.errors import RuleViolation
from core.models import AuditEvent
from subsidies.models import ClaimStatusChange, Kind, SubsidyClaim, SubsidyStandard
from subsidies.services import claims as svc
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    ACCOUNT,
    INSTITUTION_ACCOUNT,
    OTHER_ACCOUNT,
    entrust,
    frozen,
    give_account,
    institution,
    make_worker,
    media,
    other_occupation,
    own,
    set_status,
    submit_own,
    trainee,
)

pytestmark = pytest.mark.django_db


def test_submit_to_own_account_snapshots_the_standard_and_encrypts_the_account(plan):
    enrollment = trainee(plan)
    claim = submit_own(enrollment)
    standard = SubsidyStandard.objects.get(kind="training", training_kind="employment")
    assert claim.number == "BT-2014-000001"
    assert claim.amount == standard.amount
    assert claim.standard == standard
    assert claim.status == "submitted"
    assert claim.channel == "worker"
    assert claim.payee_kind == "person"
    assert claim.payee_name == enrollment.worker.name
    assert ACCOUNT not in claim.account_encrypted
    assert decrypt(claim.account_encrypted) == ACCOUNT
    assert claim.account_masked == "6222****0128"
    assert claim.payee_account() == (enrollment.worker.name, claim.bank_name, ACCOUNT)
    assert claim.occupation == enrollment.training_class.occupation
    change = ClaimStatusChange.objects.get(claim=claim)
    assert (change.from_status, change.to_status) == ("", "submitted")
    assert AuditEvent.objects.for_object(claim).filter(action="subsidies.claim.submit").exists()


def test_numbers_are_sequential(plan):
    first = submit_own(trainee(plan))
    second = submit_own(trainee(plan))
    assert (first.number, second.number) == ("BT-2014-000001", "BT-2014-000002")


def test_later_change_of_the_standard_does_not_change_a_submitted_amount(plan):
    claim = submit_own(trainee(plan))
    SubsidyStandard.objects.filter(pk=claim.standard_id).update(amount="999.00")
    claim.refresh_from_db()
    assert claim.amount != 999


def test_second_claim_for_the_same_training_says_already_claimed(plan):
    enrollment = trainee(plan)
    first = submit_own(enrollment)
    with pytest.raises(RuleViolation) as exc:
        submit_own(enrollment)
    assert exc.value.message.startswith("已申请")
    assert first.number in exc.value.message
    assert SubsidyClaim.objects.count() == 1


def test_ineligible_submission_names_every_failed_rule(plan):
    from training.models import Enrollment

    enrollment = trainee(plan, attended=1, result=Enrollment.Result.FAILED)
    with pytest.raises(RuleViolation) as exc:
        submit_own(enrollment)
    assert "到课率" in exc.value.message
    assert "合格" in exc.value.message
    assert not SubsidyClaim.objects.exists()


def test_holder_name_must_be_the_workers(plan):
    enrollment = trainee(plan)
    worker = enrollment.worker
    with pytest.raises(ValidationError) as exc:
        svc.claim_submit(
            worker=worker,
            kind=Kind.TRAINING,
            enrollment=enrollment,
            own_account=own(worker, holder="王五"),
            actor=worker.user,
        )
    assert "holder_name" in exc.value.message_dict
    assert not SubsidyClaim.objects.exists()


@pytest.mark.parametrize("bad", ["62220212345", "6222a21234567890128", ""])
def test_bad_account_number_is_a_field_error(plan, bad):
    enrollment = trainee(plan)
    with pytest.raises(ValidationError) as exc:
        submit_own(enrollment, account=bad)
    assert "account" in exc.value.message_dict


def test_only_the_worker_themself_may_submit(plan):
    enrollment = trainee(plan)
    stranger = make_worker(with_login=True)
    with pytest.raises(PermissionDenied):
        svc.claim_submit(
            worker=enrollment.worker,
            kind=Kind.TRAINING,
            enrollment=enrollment,
            own_account=own(enrollment.worker),
            actor=stranger.user,
        )


def test_entrusted_claim_pays_the_registry_account_never_a_typed_one(plan):
    inst = give_account(institution())
    enrollment = trainee(plan, inst=inst)
    entrust(enrollment)
    claim = svc.claim_submit(
        worker=enrollment.worker,
        kind=Kind.TRAINING,
        enrollment=enrollment,
        entrust=True,
        actor=enrollment.worker.user,
    )
    assert claim.payee_kind == "institution"
    assert claim.institution == inst
    assert claim.entrustment is not None
    assert claim.payee_account()[2] == INSTITUTION_ACCOUNT
    # The registry is read at payment time: a corrected registry account is what is paid.
    give_account(inst, OTHER_ACCOUNT)
    claim.refresh_from_db()
    assert claim.payee_account()[2] == OTHER_ACCOUNT
    with pytest.raises(RuleViolation):
        svc.claim_account_change(
            claim=claim, own_account=own(enrollment.worker), actor=enrollment.worker.user
        )


def test_entrust_without_an_entrustment_is_refused(plan):
    enrollment = trainee(plan, inst=give_account(institution()))
    with pytest.raises(RuleViolation) as exc:
        svc.claim_submit(
            worker=enrollment.worker,
            kind=Kind.TRAINING,
            enrollment=enrollment,
            entrust=True,
            actor=enrollment.worker.user,
        )
    assert "委托书" in exc.value.message


def test_entrust_to_an_institution_without_a_basic_account_is_refused(plan):
    inst = institution()
    inst.bank_account_encrypted = ""
    inst.save()
    enrollment = trainee(plan, inst=inst)
    entrust(enrollment)
    with pytest.raises(RuleViolation) as exc:
        svc.claim_submit(
            worker=enrollment.worker,
            kind=Kind.TRAINING,
            enrollment=enrollment,
            entrust=True,
            actor=enrollment.worker.user,
        )
    assert "没有登记基本账户" in exc.value.message


def test_appraisal_claim(plan):
    enrollment = trainee(plan)
    cert = enrollment.worker.certificates.get()
    claim = svc.claim_submit(
        worker=enrollment.worker,
        kind=Kind.APPRAISAL,
        certificate=cert,
        own_account=own(enrollment.worker),
        actor=enrollment.worker.user,
    )
    assert (claim.kind, claim.level, claim.certificate) == ("appraisal", cert.level, cert)
    # The training subsidy for the same course is a different thing and still open to claim.
    submit_own(enrollment)
    with pytest.raises(RuleViolation, match="已申请"):
        svc.claim_submit(
            worker=enrollment.worker,
            kind=Kind.APPRAISAL,
            certificate=cert,
            own_account=own(enrollment.worker),
            actor=enrollment.worker.user,
        )


# --------------------------------------------------------------------------------------------
# Account change, withdrawal, resubmission
# --------------------------------------------------------------------------------------------


def test_account_change_before_approval_keeps_the_status(plan):
    enrollment = trainee(plan)
    claim = submit_own(enrollment)
    changed = svc.claim_account_change(
        claim=claim, own_account=own(enrollment.worker, OTHER_ACCOUNT), actor=enrollment.worker.user
    )
    assert changed.status == "submitted"
    assert changed.payee_account()[2] == OTHER_ACCOUNT
    assert changed.version == 2
    assert (
        AuditEvent.objects.for_object(claim)
        .filter(action="subsidies.claim.account_change")
        .exists()
    )


@pytest.mark.parametrize("status", ["in_notice", "ready", "failed"])
def test_account_change_after_approval_sends_the_claim_back_for_review(plan, status):
    enrollment = trainee(plan)
    claim = set_status(submit_own(enrollment), status)
    changed = svc.claim_account_change(
        claim=claim, own_account=own(enrollment.worker, OTHER_ACCOUNT), actor=enrollment.worker.user
    )
    assert changed.status == "under_review"
    last = ClaimStatusChange.objects.filter(claim=claim).last()
    assert (last.from_status, last.to_status) == (status, "under_review")
    assert "重新审核" in last.reason


@pytest.mark.parametrize("status", ["in_payment", "paid", "withdrawn", "refused"])
def test_account_change_is_refused_while_paying_or_after(plan, status):
    enrollment = trainee(plan)
    claim = set_status(submit_own(enrollment), status)
    with pytest.raises(RuleViolation):
        svc.claim_account_change(
            claim=claim,
            own_account=own(enrollment.worker, OTHER_ACCOUNT),
            actor=enrollment.worker.user,
        )
    claim.refresh_from_db()
    assert claim.payee_account()[2] == ACCOUNT


def test_withdraw_frees_the_training_for_a_new_claim(plan):
    enrollment = trainee(plan)
    claim = submit_own(enrollment)
    svc.claim_withdraw(claim=claim, reason="填错了", actor=enrollment.worker.user)
    claim.refresh_from_db()
    assert claim.status == "withdrawn"
    again = submit_own(enrollment)
    assert again.status == "submitted"


@pytest.mark.parametrize("status", ["in_notice", "ready", "paid"])
def test_approved_claims_cannot_be_withdrawn(plan, status):
    enrollment = trainee(plan)
    claim = set_status(submit_own(enrollment), status)
    with pytest.raises(RuleViolation):
        svc.claim_withdraw(claim=claim, actor=enrollment.worker.user)


def test_resubmit_a_returned_claim(plan):
    enrollment = trainee(plan)
    claim = set_status(submit_own(enrollment), "returned")
    with pytest.raises(ValidationError):
        svc.claim_resubmit(claim=claim, reply=" ", actor=enrollment.worker.user)
    svc.claim_resubmit(claim=claim, reply="已补充证书复印件", actor=enrollment.worker.user)
    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert ClaimStatusChange.objects.filter(claim=claim).last().reason == "已补充证书复印件"


def test_resubmit_only_from_returned(plan):
    enrollment = trainee(plan)
    claim = submit_own(enrollment)
    with pytest.raises(RuleViolation):
        svc.claim_resubmit(claim=claim, reply="x", actor=enrollment.worker.user)


def test_claim_move_refuses_a_transition_not_in_the_table(plan):
    claim = set_status(submit_own(trainee(plan)), "paid")
    with pytest.raises(RuleViolation, match="不能变为"):
        svc.claim_move(claim, "in_payment", actor=None)


def test_transition_table_covers_every_status():
    assert set(SubsidyClaim.TRANSITIONS) == set(SubsidyClaim.Status.values)
    for targets in SubsidyClaim.TRANSITIONS.values():
        assert targets <= set(SubsidyClaim.Status.values)
