"""The "直通车" registration rules: the level rule at each requirement's boundary, the "双一"
hook, one open registration per worker/occupation/level, who may register whom, withdrawal."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from appraisal.models import Certificate, Level, LevelRule, Registration
from appraisal.services import registrations as svc
from appraisal.services import results as res_svc
from appraisal.tests.appraisal_builders import (  # noqa: F401  (fixtures)
    EXAM_DAY,
    D,
    body_with_staff,
    clerk,
    enroll,
    frozen,
    institution,
    institution_staff,
    make_class,
    make_sitting,
    make_worker,
    occupation,
    other_occupation,
    point,
    register_online,
    reviewer,
    scheduled,
    trained_worker,
)
from core.errors import RuleViolation
from core.models import AuditEvent
from training.models import Enrollment, TrainingClass

pytestmark = pytest.mark.django_db


def _give_certificate(worker, level, occ=None):
    return Certificate.objects.create(
        number=f"T{worker.pk}-{(occ or occupation()).pk}-{level}",
        kind="qualification",
        worker=worker,
        occupation=occ or occupation(),
        level=level,
        issued_on=EXAM_DAY,
        issuer_name="测试",
    )


# --------------------------------------------------------------------------------------------
# The level rule
# --------------------------------------------------------------------------------------------


def test_default_rules_are_seeded_for_every_level(plan):
    rules = {r.level: r for r in LevelRule.objects.all()}
    assert sorted(rules) == [1, 2, 3, 4, 5]
    assert rules[5].requires_completed_class
    assert not rules[5].requires_lower_certificate
    assert all(rules[level].requires_lower_certificate for level in (1, 2, 3, 4))


def test_junior_refused_without_a_completed_class_with_the_reason(plan):
    worker = make_worker(with_login=True)
    with pytest.raises(RuleViolation) as exc:
        register_online(worker)
    assert "培训班结业考核合格" in exc.value.message
    assert occupation().name in exc.value.message
    assert not Registration.objects.exists()


def test_junior_allowed_after_a_passed_enrollment_in_a_closed_class(plan):
    worker = trained_worker(plan)
    registration = register_online(worker)
    assert registration.status == Registration.Status.REGISTERED
    assert registration.channel == Registration.Channel.ONLINE
    assert not registration.by_exception


@pytest.mark.parametrize(
    ("class_status", "result"),
    [
        (TrainingClass.Status.APPROVED, Enrollment.Result.PASSED),  # class not yet closed
        (TrainingClass.Status.CLOSED, Enrollment.Result.FAILED),
        (TrainingClass.Status.CLOSED, Enrollment.Result.PENDING),
    ],
)
def test_junior_refused_when_class_not_closed_or_not_passed(plan, class_status, result):
    worker = make_worker(with_login=True)
    enroll(make_class(plan, status=class_status), worker, result=result)
    with pytest.raises(RuleViolation):
        register_online(worker)


def test_a_class_of_another_occupation_does_not_count(plan):
    worker = trained_worker(plan, occ=other_occupation())
    with pytest.raises(RuleViolation):
        register_online(worker)


def test_intermediate_needs_the_junior_certificate_of_the_same_occupation(plan):
    worker = make_worker(with_login=True)
    _give_certificate(worker, Level.JUNIOR, occ=other_occupation())
    with pytest.raises(RuleViolation) as exc:
        register_online(worker, level=Level.INTERMEDIATE, years_in_trade=5)
    assert "须持有本职业（工种）初级工证书" in exc.value.message

    _give_certificate(worker, Level.JUNIOR)
    registration = register_online(worker, level=Level.INTERMEDIATE, years_in_trade=5)
    assert registration.level == Level.INTERMEDIATE


def test_a_certificate_two_levels_down_is_not_the_lower_certificate(plan):
    worker = make_worker(with_login=True)
    _give_certificate(worker, Level.JUNIOR)
    with pytest.raises(RuleViolation):
        register_online(worker, level=Level.SENIOR, years_in_trade=10)


def test_years_in_trade_at_the_minimum_pass_one_below_is_refused(plan):
    worker = make_worker(with_login=True)
    _give_certificate(worker, Level.JUNIOR)  # intermediate needs 2 years by default
    with pytest.raises(RuleViolation) as exc:
        register_online(worker, level=Level.INTERMEDIATE, years_in_trade=1)
    assert "工作满2年" in exc.value.message
    assert "申报的工作年限为1年" in exc.value.message
    assert register_online(worker, level=Level.INTERMEDIATE, years_in_trade=2)


def test_a_refusal_lists_every_unmet_requirement(plan):
    LevelRule.objects.filter(level=4).update(requires_completed_class=True)
    worker = make_worker(with_login=True)
    check = svc.registration_check(
        worker=worker, occupation=occupation(), level=Level.INTERMEDIATE, years_in_trade=0
    )
    assert not check.allowed
    assert len(check.reasons) == 3
    assert not check.met


def test_rules_are_data_a_level_without_requirements_admits_anyone(plan):
    LevelRule.objects.filter(level=5).update(requires_completed_class=False)
    worker = make_worker(with_login=True)
    assert register_online(worker).status == Registration.Status.REGISTERED


def test_a_level_without_a_rule_is_refused(plan):
    LevelRule.objects.filter(level=5).delete()
    with pytest.raises(RuleViolation) as exc:
        register_online(trained_worker(plan))
    assert "暂未设置报名条件" in exc.value.message


def test_check_reports_what_is_met_before_submitting(plan):
    worker = trained_worker(plan)
    check = svc.registration_check(worker=worker, occupation=occupation(), level=Level.JUNIOR)
    assert check.allowed
    assert not check.reasons
    assert any("结业考核合格" in line for line in check.met)
    assert not Registration.objects.exists()


def test_an_approved_dual_one_exception_bypasses_the_rule(plan, monkeypatch):
    worker = make_worker(with_login=True)
    seen = []

    def allows(w, occ, level):
        seen.append((w.pk, occ.pk, level))
        return True

    monkeypatch.setattr(svc, "exception_allows", allows)
    registration = register_online(worker, level=Level.TECHNICIAN)
    assert registration.by_exception
    assert seen == [(worker.pk, occupation().pk, Level.TECHNICIAN)]


def test_the_exception_hook_is_not_asked_when_the_rule_is_met(plan, monkeypatch):
    monkeypatch.setattr(svc, "exception_allows", lambda *a: pytest.fail("asked"))
    assert not register_online(trained_worker(plan)).by_exception


def test_exception_hook_defaults_to_no(plan):
    assert svc.exception_allows(make_worker(), occupation(), Level.TECHNICIAN) is False


# --------------------------------------------------------------------------------------------
# One open registration per worker, occupation and level
# --------------------------------------------------------------------------------------------


def test_registering_twice_while_open_is_refused_with_the_reason(plan):
    worker = trained_worker(plan)
    first = register_online(worker)
    with pytest.raises(RuleViolation) as exc:
        register_online(worker)
    assert first.code in exc.value.message
    assert "不能重复报名" in exc.value.message
    assert Registration.objects.count() == 1


def test_the_same_occupation_at_another_level_is_a_separate_registration(plan, monkeypatch):
    monkeypatch.setattr(svc, "exception_allows", lambda *a: True)
    worker = trained_worker(plan)
    register_online(worker)
    register_online(worker, level=Level.INTERMEDIATE)
    assert Registration.objects.filter(worker=worker).count() == 2


def test_after_withdrawing_the_worker_may_register_again(plan):
    worker = trained_worker(plan)
    first = register_online(worker)
    svc.registration_withdraw(registration=first, actor=worker.user)
    second = register_online(worker)
    assert second.pk != first.pk


def test_database_refuses_a_second_open_registration(plan):
    worker = trained_worker(plan)
    first = register_online(worker)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(
            worker=worker,
            occupation=first.occupation,
            level=first.level,
            channel="online",
            registered_by=worker.user,
        )


def test_a_failed_worker_may_register_again_a_passed_one_may_not(plan, time_machine):
    body, staff = body_with_staff()
    sitting = make_sitting(body, staff)
    failed, passed = scheduled(plan, sitting, staff, count=2)
    time_machine.move_to(EXAM_DAY, tick=False)
    res_svc.results_record(
        sitting=sitting,
        entries={
            failed.pk: res_svc.ResultEntry(theory=D(50), practical=D(90)),
            passed.pk: res_svc.ResultEntry(theory=D(90), practical=D(90)),
        },
        actor=staff,
    )
    failed.worker.refresh_from_db()
    again = register_online(failed.worker)
    assert again.status == Registration.Status.REGISTERED
    with pytest.raises(RuleViolation) as exc:
        register_online(passed.worker)
    assert "已持有" in exc.value.message


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_create_exactly_one(plan):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    worker = trained_worker(plan)
    barrier = threading.Barrier(6)
    outcomes = []

    def attempt():
        try:
            barrier.wait()
            register_online(worker)
            outcomes.append("ok")
        except RuleViolation:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert Registration.objects.filter(worker=worker).count() == 1


# --------------------------------------------------------------------------------------------
# Who registers whom
# --------------------------------------------------------------------------------------------


def test_a_worker_registers_only_themself_online(plan):
    worker = trained_worker(plan)
    other = make_worker(with_login=True)
    with pytest.raises(PermissionDenied):
        svc.registration_create(
            worker=worker, occupation=occupation(), level=Level.JUNIOR, actor=other.user
        )


def test_staff_cannot_register_online_for_someone(plan):
    worker = trained_worker(plan)
    with pytest.raises(PermissionDenied):
        svc.registration_create(
            worker=worker, occupation=occupation(), level=Level.JUNIOR, actor=reviewer()
        )


def test_institution_staff_register_at_their_own_point_only(plan):
    worker = trained_worker(plan)
    home_point = point(inst=institution())
    other_point = point(inst=institution("许昌陶瓷职业学院"))
    staff = institution_staff()
    with pytest.raises(PermissionDenied):
        svc.registration_create(
            worker=worker, occupation=occupation(), level=5, point=other_point, actor=staff
        )
    registration = svc.registration_create(
        worker=worker, occupation=occupation(), level=5, point=home_point, actor=staff
    )
    assert registration.channel == Registration.Channel.POINT
    assert registration.point == home_point
    assert registration.registered_by == staff


def test_clerks_and_reviewers_register_at_city_points_not_institution_points(plan):
    city = point()
    inst_point = point(inst=institution())
    with pytest.raises(PermissionDenied):
        svc.registration_create(
            worker=trained_worker(plan),
            occupation=occupation(),
            level=5,
            point=inst_point,
            actor=clerk(),
        )
    assert svc.registration_create(
        worker=trained_worker(plan), occupation=occupation(), level=5, point=city, actor=clerk()
    )
    assert svc.registration_create(
        worker=trained_worker(plan), occupation=occupation(), level=5, point=city, actor=reviewer()
    )


def test_an_inactive_point_takes_no_registrations(plan):
    city = point()
    city.is_active = False
    city.save()
    with pytest.raises(PermissionDenied):
        svc.registration_create(
            worker=trained_worker(plan), occupation=occupation(), level=5, point=city, actor=clerk()
        )


def test_straight_after_a_class_the_institution_registers_its_trainee(plan):
    worker = trained_worker(plan)
    registration = svc.registration_create(
        worker=worker,
        occupation=occupation(),
        level=5,
        training_class=worker.training_class,
        entrusted_to_claim=True,
        actor=institution_staff(),
    )
    assert registration.channel == Registration.Channel.CLASS
    assert registration.training_class == worker.training_class
    assert registration.entrusted_to_claim


def test_class_registration_refused_for_another_institution_or_a_stranger(plan):
    worker = trained_worker(plan)
    with pytest.raises(PermissionDenied):
        svc.registration_create(
            worker=worker,
            occupation=occupation(),
            level=5,
            training_class=worker.training_class,
            actor=institution_staff("许昌陶瓷职业学院"),
        )
    stranger = trained_worker(plan)
    with pytest.raises(ValidationError) as exc:
        svc.registration_create(
            worker=stranger,
            occupation=occupation(),
            level=5,
            training_class=worker.training_class,
            actor=institution_staff(),
        )
    assert "不是所选培训班的学员" in str(exc.value)


def test_class_registration_must_be_for_the_class_occupation(plan, monkeypatch):
    monkeypatch.setattr(svc, "exception_allows", lambda *a: True)
    worker = trained_worker(plan)
    with pytest.raises(ValidationError):
        svc.registration_create(
            worker=worker,
            occupation=other_occupation(),
            level=5,
            training_class=worker.training_class,
            actor=institution_staff(),
        )


def test_registration_is_audited(plan):
    registration = register_online(trained_worker(plan), entrusted_to_claim=True)
    event = AuditEvent.objects.for_object(registration).get()
    assert event.action == "appraisal.registration_create"
    assert event.changes["entrusted_to_claim"] is True
    assert event.to_state == "registered"


def test_bad_level_and_years_are_form_errors(plan):
    worker = trained_worker(plan)
    with pytest.raises(ValidationError) as exc:
        register_online(worker, level=6, years_in_trade=-1)
    assert set(exc.value.message_dict) == {"level", "years_in_trade"}


# --------------------------------------------------------------------------------------------
# Withdrawal
# --------------------------------------------------------------------------------------------


def test_only_the_worker_or_the_point_withdraws(plan):
    worker = trained_worker(plan)
    registration = register_online(worker)
    with pytest.raises(PermissionDenied):
        svc.registration_withdraw(
            registration=registration, actor=make_worker(with_login=True).user
        )
    with pytest.raises(PermissionDenied):
        svc.registration_withdraw(registration=registration, actor=institution_staff())
    svc.registration_withdraw(registration=registration, actor=worker.user)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.WITHDRAWN
    assert AuditEvent.objects.filter(action="appraisal.registration_withdraw").count() == 1


def test_withdrawing_frees_the_seat_until_the_day_before_the_exam(plan, time_machine):
    body, staff = body_with_staff()
    sitting = make_sitting(body, staff)
    first, second = scheduled(plan, sitting, staff, count=2)
    svc.registration_withdraw(registration=first, actor=first.worker.user)
    first.refresh_from_db()
    assert first.sitting is None
    assert res_svc.seats_taken(sitting) == 1
    time_machine.move_to(EXAM_DAY, tick=False)
    with pytest.raises(RuleViolation):
        svc.registration_withdraw(registration=second, actor=second.worker.user)


def test_a_withdrawn_registration_cannot_be_withdrawn_again(plan):
    worker = trained_worker(plan)
    registration = register_online(worker)
    svc.registration_withdraw(registration=registration, actor=worker.user)
    with pytest.raises(RuleViolation):
        svc.registration_withdraw(registration=registration, actor=worker.user)
