""" "双一" exceptions (破格 / 越级): the request, 人社's decision, maker-checker, and the hook that
lets an approved exception through the registration level rule. Time: 15 June 2014."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from appraisal.models import DualOneException, Level, Registration
from appraisal.services import pilots as svc
from appraisal.services import registrations as registrations_svc
from appraisal.tests.test_pilots_support import (
    at,
    ensure_level_rules,
    enterprise_institution,
    make_certificate,
    make_pilot,
    make_worker,
    occupation,
    office,
    reviewer,
    staff_of,
)
from core.errors import RuleViolation
from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def level_rules(db):
    ensure_level_rules()


Kind = DualOneException.Kind
Status = DualOneException.Status


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 6, 15, 10), tick=False)


@pytest.fixture
def world(plan):
    institution = enterprise_institution()
    pilot = make_pilot(institution=institution, occupations=[occupation("ZY017")])
    return {
        "pilot": pilot,
        "staff": staff_of(institution),
        "reviewer": reviewer(),
        "office": office(),
    }


def data(worker, **overrides) -> svc.ExceptionInput:
    values = {
        "worker": worker,
        "occupation": occupation("ZY017"),
        "level": Level.TECHNICIAN,
        "kind": Kind.SKIP_LEVEL,
        "front_line_post": "变压器装配一线",
        "performance": "连续三年班组产量第一，获省技术能手",
        "justification": "长期在生产一线，技能突出，申请越级评价技师",
    }
    values.update(overrides)
    return svc.ExceptionInput(**values)


def request(world, worker=None, actor=None, **overrides):
    return svc.exception_request(
        pilot=world["pilot"],
        data=data(worker or make_worker(), **overrides),
        actor=actor or world["staff"],
    )


# ---- the request ---------------------------------------------------------------------------


def test_request_is_pending_and_audited_with_the_justification(world):
    exception = request(world)
    assert exception.status == Status.PENDING
    assert exception.requested_by == world["staff"]
    event = AuditEvent.objects.for_object(exception).get()
    assert event.action == "appraisal.exception_request"
    assert "越级评价技师" in event.reason


def test_office_may_request_for_an_enterprise(world):
    assert request(world, actor=world["office"]).requested_by == world["office"]


@pytest.mark.parametrize("who", ["reviewer", "other_staff", "worker", "auditor"])
def test_others_may_not_request(world, who):
    actor = {
        "reviewer": world["reviewer"],
        "other_staff": staff_of(enterprise_institution()),
        "worker": user_with_role(Role.WORKER),
        "auditor": user_with_role(Role.AUDITOR),
    }[who]
    with pytest.raises(PermissionDenied):
        request(world, actor=actor)


def test_exceptions_are_for_senior_worker_and_above(world):
    with pytest.raises(ValidationError) as caught:
        request(world, level=Level.INTERMEDIATE, kind=Kind.OUT_OF_TURN)
    assert "level" in caught.value.message_dict
    assert request(world, level=Level.SENIOR, kind=Kind.OUT_OF_TURN).level == 3


def test_database_keeps_exceptions_to_high_skilled_levels(world):
    exception = request(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        DualOneException.objects.filter(pk=exception.pk).update(level=4)


def test_skip_level_is_refused_when_the_level_below_is_held(world):
    worker = make_worker()
    make_certificate(worker, occupation("ZY017"), Level.SENIOR)
    with pytest.raises(ValidationError) as caught:
        request(world, worker=worker, kind=Kind.SKIP_LEVEL)
    assert "kind" in caught.value.message_dict
    # Out of turn (e.g. too few years in the trade) still makes sense for this worker.
    assert request(world, worker=worker, kind=Kind.OUT_OF_TURN).kind == Kind.OUT_OF_TURN


def test_request_only_for_the_pilots_occupations(world):
    with pytest.raises(ValidationError) as caught:
        request(world, occupation=occupation("ZY010"))
    assert "occupation" in caught.value.message_dict


@pytest.mark.parametrize("field", ["front_line_post", "performance", "justification"])
def test_request_needs_the_written_case(world, field):
    with pytest.raises(ValidationError) as caught:
        request(world, **{field: "  "})
    assert field in caught.value.message_dict


def test_no_request_for_a_level_already_certified(world):
    worker = make_worker()
    make_certificate(worker, occupation("ZY017"), Level.TECHNICIAN)
    with pytest.raises(RuleViolation) as caught:
        request(world, worker=worker, kind=Kind.OUT_OF_TURN)
    assert caught.value.code == "certified"


def test_one_live_request_per_worker_occupation_and_level(world):
    worker = make_worker()
    first = request(world, worker=worker)
    with pytest.raises(RuleViolation) as caught:
        request(world, worker=worker, kind=Kind.OUT_OF_TURN)
    assert caught.value.code == "duplicate"
    svc.exception_refuse(exception=first, reason="业绩材料不足", actor=world["reviewer"])
    # After a refusal a better-argued request may follow.
    assert request(world, worker=worker).status == Status.PENDING


def test_database_holds_one_live_request(world):
    first = request(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        DualOneException.objects.create(
            pilot=first.pilot,
            worker=first.worker,
            occupation=first.occupation,
            level=first.level,
            kind=Kind.OUT_OF_TURN,
            front_line_post="x",
            performance="x",
            justification="x",
            requested_by=world["office"],
            requested_at=at(2014, 6, 15, 11),
        )


# ---- the decision --------------------------------------------------------------------------


def test_reviewer_approves_with_an_audit_row(world):
    exception = svc.exception_approve(
        exception=request(world), reason="同意", actor=world["reviewer"]
    )
    assert exception.status == Status.APPROVED
    assert exception.decided_by == world["reviewer"]
    assert exception.decided_at == at(2014, 6, 15, 10)
    event = AuditEvent.objects.for_object(exception).filter(action="appraisal.exception_approve")
    assert event.get().from_state == Status.PENDING


def test_refusal_needs_a_reason(world):
    exception = request(world)
    with pytest.raises(ValidationError):
        svc.exception_refuse(exception=exception, reason=" ", actor=world["reviewer"])
    refused = svc.exception_refuse(exception=exception, reason="材料不足", actor=world["reviewer"])
    assert refused.status == Status.REFUSED
    assert AuditEvent.objects.for_object(refused).filter(action="appraisal.exception_refuse")


def test_requester_never_decides_their_own_request_whatever_their_roles(world):
    from django.contrib.auth.models import Group

    both = staff_of(world["pilot"].institution)
    both.groups.add(Group.objects.get_or_create(name=Role.REVIEWER.value)[0])
    both.__dict__.pop("role_names", None)
    exception = request(world, actor=both)
    assert not svc.can_decide_exception(both, exception)
    with pytest.raises(PermissionDenied):
        svc.exception_approve(exception=exception, actor=both)
    with pytest.raises(PermissionDenied):
        svc.exception_refuse(exception=exception, reason="x", actor=both)
    assert svc.can_decide_exception(world["reviewer"], exception)


def test_database_refuses_a_decision_by_the_requester(world):
    exception = request(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        DualOneException.objects.filter(pk=exception.pk).update(
            status=Status.APPROVED, decided_by=world["staff"], decided_at=at(2014, 6, 15, 11)
        )


@pytest.mark.parametrize("who", ["office", "staff", "auditor"])
def test_only_a_reviewer_decides(world, who):
    actor = world.get(who) or user_with_role(Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        svc.exception_approve(exception=request(world), actor=actor)


def test_a_decided_request_is_final(world):
    exception = svc.exception_approve(exception=request(world), actor=world["reviewer"])
    with pytest.raises(RuleViolation) as caught:
        svc.exception_refuse(exception=exception, reason="改变主意", actor=reviewer())
    assert caught.value.code == "transition"


# ---- the hook in the registration rule -----------------------------------------------------


def test_approved_exception_lets_a_registration_past_the_level_rule(world):
    worker = make_worker()
    occ = occupation("ZY017")
    refused = registrations_svc.registration_check(worker=worker, occupation=occ, level=2)
    assert not refused.allowed
    exception = request(world, worker=worker)
    assert not registrations_svc.exception_allows(worker, occ, 2)
    svc.exception_approve(exception=exception, actor=world["reviewer"])
    assert registrations_svc.exception_allows(worker, occ, 2)
    check = registrations_svc.registration_check(worker=worker, occupation=occ, level=2)
    assert check.allowed
    assert check.by_exception


def test_exception_covers_exactly_its_occupation_and_level(world):
    worker = make_worker()
    svc.exception_approve(exception=request(world, worker=worker), actor=world["reviewer"])
    occ = occupation("ZY017")
    assert not registrations_svc.exception_allows(worker, occ, 1)
    assert not registrations_svc.exception_allows(worker, occupation("ZY010"), 2)
    assert not registrations_svc.exception_allows(make_worker(), occ, 2)


def test_refused_exception_does_not_open_the_rule(world):
    worker = make_worker()
    svc.exception_refuse(
        exception=request(world, worker=worker), reason="x", actor=world["reviewer"]
    )
    assert not registrations_svc.exception_allows(worker, occupation("ZY017"), 2)


def test_registration_made_by_exception_is_marked(world):
    account = user_with_role(Role.WORKER)
    worker = make_worker("双一")
    worker.user = account
    worker.save(update_fields=["user"])
    svc.exception_approve(exception=request(world, worker=worker), actor=world["reviewer"])
    registration = registrations_svc.registration_create(
        worker=worker, occupation=occupation("ZY017"), level=2, actor=account
    )
    assert registration.by_exception
    assert registration.status == Registration.Status.REGISTERED
