"""Each eligibility rule at its boundary: the test fails if the rule is removed."""

import datetime
from decimal import Decimal

import pytest

from subsidies.models import ClaimWindow, Kind, SubsidyStandard
from subsidies.services.eligibility import eligibility_check
from subsidies.tests.factories import (  # noqa: F401 (fixtures)
    at,
    frozen,
    give_account,
    ineligible_group,
    institution,
    make_certificate,
    media,
    set_status,
    submit_own,
    trainee,
)
from training.models import Enrollment, TrainingClass

pytestmark = pytest.mark.django_db


def check(enrollment, **kwargs):
    return eligibility_check(
        worker=enrollment.worker, kind=Kind.TRAINING, enrollment=enrollment, **kwargs
    )


def rule(result, code):
    (found,) = [r for r in result.rules if r.code == code]
    return found


def test_an_eligible_trainee_passes_every_rule_with_evidence(plan):
    enrollment = trainee(plan)
    result = check(enrollment)
    assert result.eligible, result.refusal()
    codes = [r.code for r in result.rules]
    assert codes == [
        "group",
        "completed",
        "attendance",
        "passed",
        "certificate",
        "not_subsidised",
        "no_open_claim",
        "window",
        "standard",
    ]
    assert (
        result.standard.amount
        == SubsidyStandard.objects.get(kind="training", training_kind="employment").amount
    )
    assert "出勤 10/10 课次 = 100.0%" in rule(result, "attendance").evidence
    assert result.certificate.number in rule(result, "certificate").evidence


@pytest.mark.parametrize(
    ("attended", "planned", "ok"),
    [(29, 49, False), (30, 50, True), (17, 30, False), (18, 30, True)],
)
def test_attendance_threshold_is_inclusive(plan, attended, planned, ok):
    enrollment = trainee(plan, attended=attended, planned=planned)
    result = check(enrollment)
    assert rule(result, "attendance").passed is ok
    assert result.eligible is ok
    assert f"出勤 {attended}/{planned} 课次" in rule(result, "attendance").evidence


def test_attendance_evidence_reads_like_the_register(plan):
    result = check(trainee(plan, attended=18, planned=30))
    assert rule(result, "attendance").evidence == "出勤 18/30 课次 = 60.0%"
    assert "60.0%" in rule(result, "attendance").explanation


def test_attendance_threshold_comes_from_the_campaign(plan):
    plan.attendance_threshold = Decimal("0.700")
    plan.save()
    enrollment = trainee(plan, attended=18, planned=30)
    assert not rule(check(enrollment), "attendance").passed


def test_worker_outside_the_four_groups_is_refused_naming_their_groups(plan):
    group = ineligible_group()
    enrollment = trainee(plan, group=group)
    result = check(enrollment)
    assert not result.eligible
    assert [r.code for r in result.failed] == ["group"]
    assert group.name in rule(result, "group").evidence
    assert "城镇登记失业人员" in rule(result, "group").explanation


def test_class_not_closed_fails_completion(plan):
    result = check(trainee(plan, status=TrainingClass.Status.APPROVED))
    assert [r.code for r in result.failed] == ["completed"]


def test_failed_result_fails_passed(plan):
    result = check(trainee(plan, result=Enrollment.Result.FAILED))
    assert [r.code for r in result.failed] == ["passed"]


def test_missing_certificate_is_refused(plan):
    result = check(trainee(plan, certificate=False))
    assert [r.code for r in result.failed] == ["certificate"]
    assert "未取得" in rule(result, "certificate").explanation


def test_certificate_of_another_occupation_does_not_count(plan):
    from subsidies.tests.factories import other_occupation

    enrollment = trainee(plan, certificate=False)
    make_certificate(enrollment.worker, other_occupation())
    assert not rule(check(enrollment), "certificate").passed


def test_every_rule_is_evaluated_not_only_the_first_failure(plan):
    enrollment = trainee(
        plan,
        attended=1,
        result=Enrollment.Result.FAILED,
        certificate=False,
        group=ineligible_group(),
    )
    codes = {r.code for r in check(enrollment).failed}
    assert codes == {"group", "attendance", "passed", "certificate"}


def test_second_training_in_the_campaign_is_refused(plan):
    first = trainee(plan)
    claim = submit_own(first)
    set_status(claim, "paid")
    from subsidies.tests.factories import other_occupation

    second = trainee(plan, worker=first.worker, occ=other_occupation())
    result = check(second)
    assert [r.code for r in result.failed] == ["not_subsidised"]
    assert "一次免费培训" in rule(result, "not_subsidised").explanation
    assert claim.number in rule(result, "not_subsidised").evidence


def test_open_claim_for_the_same_training_is_refused(plan):
    enrollment = trainee(plan)
    claim = submit_own(enrollment)
    result = check(enrollment)
    assert [r.code for r in result.failed] == ["no_open_claim"]
    assert claim.number in rule(result, "no_open_claim").evidence
    assert result.live_claim == claim


def test_a_refused_or_withdrawn_claim_no_longer_counts(plan):
    enrollment = trainee(plan)
    set_status(submit_own(enrollment), "refused")
    assert check(enrollment).eligible
    set_status(submit_own(enrollment), "withdrawn")
    assert check(enrollment).eligible


def test_outside_every_window_is_refused(plan, frozen):  # noqa: F811
    ClaimWindow.objects.filter(kind="training").update(closes_on=datetime.date(2014, 3, 2))
    enrollment = trainee(plan)
    result = check(enrollment)
    assert [r.code for r in result.failed] == ["window"]
    # Boundary: the closing day itself is inside the window.
    frozen.move_to(at(2014, 3, 2, 23), tick=False)
    assert check(enrollment).eligible


def test_next_window_is_named_when_closed(plan):
    ClaimWindow.objects.filter(kind="training").update(closes_on=datetime.date(2014, 3, 2))
    ClaimWindow.objects.create(
        campaign=plan,
        kind="training",
        opens_on=datetime.date(2014, 4, 1),
        closes_on=datetime.date(2014, 4, 30),
    )
    result = check(trainee(plan))
    assert "2014-04-01" in rule(result, "window").evidence


def test_no_standard_is_refused(plan):
    # 岗位技能提升培训 has no training standard in the plan (only 就业技能 and 创业培训 do).
    result = check(trainee(plan, kind=TrainingClass.Kind.UPGRADE))
    assert [r.code for r in result.failed] == ["standard"]
    assert result.standard is None


def test_standard_effective_on_the_class_end_date_applies(plan):
    enrollment = trainee(plan)
    end = enrollment.training_class.end_date
    SubsidyStandard.objects.filter(kind="training").update(
        effective_from=end + datetime.timedelta(days=1)
    )
    assert not rule(check(enrollment), "standard").passed
    SubsidyStandard.objects.filter(kind="training").update(effective_from=end)
    assert rule(check(enrollment), "standard").passed


def test_institution_channel_needs_an_entrustment_to_that_institution(plan):
    from subsidies.tests.factories import entrust

    inst = give_account(institution())
    enrollment = trainee(plan, inst=inst)
    result = check(enrollment, institution=inst)
    assert [r.code for r in result.failed] == ["entrusted"]
    entrust(enrollment)
    assert check(enrollment, institution=inst).eligible


def test_appraisal_subsidy_rules(plan):
    enrollment = trainee(plan)
    cert = enrollment.worker.certificates.get()
    result = eligibility_check(worker=enrollment.worker, kind=Kind.APPRAISAL, certificate=cert)
    assert result.eligible, result.refusal()
    assert result.standard.level == cert.level


def test_shortage_subsidy_needs_shortage_occupation_technician_and_the_training_institution(
    plan,
):
    from appraisal.models import Level

    inst = give_account(institution())
    enrollment = trainee(plan, inst=inst, certificate=False)
    occ = enrollment.training_class.occupation
    cert = make_certificate(enrollment.worker, occ, level=Level.SENIOR)

    def shortage(institution_=inst):
        return eligibility_check(
            worker=enrollment.worker,
            kind=Kind.SHORTAGE,
            certificate=cert,
            institution=institution_,
        )

    occ.is_shortage = False
    occ.save()
    assert {r.code for r in shortage().failed} == {"shortage_occupation", "level", "standard"}
    occ.is_shortage = True
    occ.save()
    cert.level = Level.TECHNICIAN
    cert.save()
    cert.refresh_from_db()
    result = shortage()
    assert result.eligible, result.refusal()
    assert result.amount == 2000
    other = institution("许昌陶瓷职业学院")
    assert [r.code for r in shortage(other).failed] == ["trained_by"]
