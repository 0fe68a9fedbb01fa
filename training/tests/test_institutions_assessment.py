"""The annual assessment of designated institutions (年度考核) and exit (取消定点资格): every rule
at its boundary, idempotent reruns, the office's decisions, the job, the command and the query
count. Time stands on 20 January 2015 in Xuchang; the campaign runs 2013–2014."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import RuleViolation
from core.models import AuditEvent
from core.roles import Role
from core.tests.factories import user_with_role
from training.models import (
    DesignationChange,
    Institution,
    InstitutionAssessment,
    InstitutionViolation,
    TrainingClass,
)
from training.services import institutions as svc
from training.tasks import run_institution_assessment
from training.tests.test_institutions_support import (
    at,
    enroll,
    inspect,
    make_class,
    make_institution,
    office_user,
)

pytestmark = pytest.mark.django_db

D = datetime.date
KEEP = InstitutionAssessment.Proposal.KEEP
REVOKE = InstitutionAssessment.Proposal.REVOKE


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(at(2015, 1, 20, 10), tick=False)
    return time_machine


@pytest.fixture
def office(plan):
    return office_user()


@pytest.fixture
def campaign(plan):
    # Only the plan's institutions would otherwise be assessed too; tests make their own.
    Institution.objects.all().delete()
    return plan


def active(institution, campaign, year=2013):
    """A class in an earlier year, so that idleness is not a reason in these tests."""
    make_class(institution, campaign=campaign, end=D(year, 6, 30))


def run(campaign, year=2014, actor=None):
    return {a.institution.name: a for a in svc.assessment_run(campaign=campaign, year=year)}


def violate(institution, when, office):
    return InstitutionViolation.objects.create(
        institution=institution, occurred_on=when, description="虚报培训人数", recorded_by=office
    )


# ------------------------------------------------------------------------------
# Pass rate (below 80% → revoke; exactly 80% keeps)
# ------------------------------------------------------------------------------


def test_pass_rate_of_79_9_percent_proposes_revocation(campaign):
    institution = make_institution("合格率偏低学校")
    enroll(make_class(institution, campaign=campaign, end=D(2014, 6, 30)), passed=799, failed=201)
    a = run(campaign)["合格率偏低学校"]
    assert (a.trainees, a.passed, a.pass_rate) == (1000, 799, Decimal("0.7990"))
    assert a.proposal == REVOKE
    assert a.reasons == ["2014年度培训合格率为79.9%（合格799人/培训1000人），低于80%的要求。"]


def test_pass_rate_of_exactly_80_percent_keeps_the_designation(campaign):
    institution = make_institution("合格率达标学校")
    enroll(make_class(institution, campaign=campaign, end=D(2014, 6, 30)), passed=800, failed=200)
    a = run(campaign)["合格率达标学校"]
    assert a.pass_rate == Decimal("0.8000")
    assert (a.proposal, a.reasons) == (KEEP, [])


def test_pass_rate_threshold_is_read_from_the_campaign(campaign):
    campaign.institution_pass_rate_threshold = Decimal("0.750")
    campaign.save()
    institution = make_institution()
    enroll(make_class(institution, campaign=campaign, end=D(2014, 6, 30)), passed=799, failed=201)
    assert run(campaign)[institution.name].proposal == KEEP


def test_pending_results_count_as_not_passed(campaign):
    institution = make_institution()
    enroll(make_class(institution, campaign=campaign, end=D(2014, 12, 20)), passed=3, pending=1)
    a = run(campaign)[institution.name]
    assert (a.trainees, a.passed, a.proposal) == (4, 3, REVOKE)


def test_no_trainees_means_no_pass_rate_and_no_pass_rate_reason(campaign):
    institution = make_institution()
    make_class(institution, campaign=campaign, end=D(2014, 6, 30))
    a = run(campaign)[institution.name]
    assert (a.classes_run, a.trainees, a.pass_rate, a.proposal) == (1, 0, None, KEEP)


def test_only_approved_or_closed_classes_ending_in_the_year_count(campaign):
    institution = make_institution()
    counted = [
        make_class(institution, campaign=campaign, end=D(2014, 1, 1)),
        make_class(institution, campaign=campaign, end=D(2014, 12, 31), status="approved"),
    ]
    ignored = [
        make_class(institution, campaign=campaign, end=D(2013, 12, 31)),
        make_class(institution, campaign=campaign, end=D(2015, 1, 1)),
        make_class(institution, campaign=campaign, end=D(2014, 6, 1), status="submitted"),
        make_class(institution, campaign=campaign, end=D(2014, 6, 1), status="refused"),
        make_class(institution, campaign=campaign, end=D(2014, 6, 1), status="draft"),
    ]
    for c in counted:
        enroll(c, passed=4, failed=1)
    for c in ignored:
        enroll(c, failed=5)
    a = run(campaign)[institution.name]
    assert (a.classes_run, a.trainees, a.passed) == (2, 10, 8)
    assert a.proposal == KEEP


# ------------------------------------------------------------------------------
# Idleness (no classes in two consecutive years → revoke)
# ------------------------------------------------------------------------------


def test_no_classes_in_two_consecutive_years_proposes_revocation(campaign):
    make_institution("闲置学校")
    a = run(campaign)["闲置学校"]
    assert a.classes_run == 0
    assert a.proposal == REVOKE
    assert a.reasons == ["2013年至2014年连续2年未开展培训（没有经批准开班并在当年结业的培训班）。"]


def test_classes_last_year_but_none_this_year_keeps_the_designation(campaign):
    institution = make_institution()
    make_class(institution, campaign=campaign, end=D(2013, 11, 30))
    a = run(campaign)[institution.name]
    assert (a.classes_run, a.proposal, a.reasons) == (0, KEEP, [])


def test_classes_not_approved_do_not_count_as_training(campaign):
    institution = make_institution()
    make_class(institution, campaign=campaign, end=D(2013, 11, 30), status="refused")
    make_class(institution, campaign=campaign, end=D(2014, 11, 30), status="submitted")
    assert run(campaign)[institution.name].proposal == REVOKE


def test_idle_years_are_read_from_the_campaign(campaign):
    campaign.idle_years_before_revocation = 1
    campaign.save()
    institution = make_institution()
    make_class(institution, campaign=campaign, end=D(2013, 11, 30))
    a = run(campaign)[institution.name]
    assert a.proposal == REVOKE
    assert a.reasons == ["2014年连续1年未开展培训（没有经批准开班并在当年结业的培训班）。"]


def test_idleness_is_not_claimed_for_years_before_the_records_begin(campaign):
    # The campaign (and the system's records) start in 2013: 2012 cannot be called idle.
    institution = make_institution()
    a = run(campaign, year=2013)[institution.name]
    assert (a.proposal, a.reasons) == (KEEP, [])


def test_idleness_is_not_claimed_for_years_before_the_designation(campaign):
    newcomer = make_institution(designated_on=D(2014, 3, 1))
    veteran = make_institution(designated_on=D(2013, 12, 31))
    result = run(campaign)
    assert result[newcomer.name].proposal == KEEP
    assert result[veteran.name].proposal == REVOKE


# ------------------------------------------------------------------------------
# Violations (any in the year → revoke)
# ------------------------------------------------------------------------------


def test_a_violation_in_the_year_proposes_revocation(campaign, office):
    institution = make_institution()
    active(institution, campaign, year=2014)
    violate(institution, D(2014, 12, 31), office)
    a = run(campaign)[institution.name]
    assert (a.violations, a.proposal) == (1, REVOKE)
    assert a.reasons == ["2014年度有1条违反培训管理规定的记录。"]


def test_a_violation_in_another_year_does_not_count(campaign, office):
    institution = make_institution()
    active(institution, campaign, year=2014)
    violate(institution, D(2013, 12, 31), office)
    a = run(campaign)[institution.name]
    assert (a.violations, a.proposal) == (0, KEEP)


def test_every_reason_is_listed(campaign, office):
    institution = make_institution()
    violate(institution, D(2014, 5, 1), office)
    a = run(campaign)[institution.name]
    assert len(a.reasons) == 2
    assert "连续2年未开展培训" in a.reasons[0]
    assert "违反培训管理规定" in a.reasons[1]


# ------------------------------------------------------------------------------
# Attendance and inspections (reported, not reasons by themselves)
# ------------------------------------------------------------------------------


def test_attendance_compliance_is_inclusive_at_the_threshold(campaign):
    institution = make_institution()
    training_class = make_class(institution, campaign=campaign, end=D(2014, 6, 30))
    enroll(training_class, passed=2, attended=6)  # 60%: enough
    enroll(training_class, passed=3, attended=5)  # 50%
    assert run(campaign)[institution.name].attendance_compliant == 2


def test_attendance_threshold_is_read_from_the_campaign_without_float_error(campaign):
    # 7/10 against 0.700: a float product (0.7 × 10 = 7.000000000000001) would refuse it.
    campaign.attendance_threshold = Decimal("0.700")
    campaign.save()
    institution = make_institution()
    training_class = make_class(institution, campaign=campaign, end=D(2014, 6, 30))
    enroll(training_class, passed=1, attended=7)
    enroll(training_class, passed=1, attended=6)
    assert run(campaign)[institution.name].attendance_compliant == 1


def test_inspections_done_and_findings_are_counted(campaign):
    institution = make_institution()
    training_class = make_class(institution, campaign=campaign, end=D(2014, 6, 30))
    inspect(training_class, "good", "issues", "serious", planned=2)
    other_year = make_class(institution, campaign=campaign, end=D(2013, 6, 30))
    inspect(other_year, "serious")
    a = run(campaign)[institution.name]
    assert (a.inspections_done, a.inspection_findings) == (3, 2)


# ------------------------------------------------------------------------------
# Idempotent reruns
# ------------------------------------------------------------------------------


def test_rerun_creates_no_duplicates_and_writes_no_audit_when_nothing_changed(campaign):
    institution = make_institution()
    enroll(make_class(institution, campaign=campaign, end=D(2014, 6, 30)), passed=9, failed=1)
    first = run(campaign)[institution.name]
    audits = AuditEvent.objects.filter(action__startswith="institution_assessment.").count()
    assert audits == 1
    second = run(campaign)[institution.name]
    assert second.pk == first.pk
    assert InstitutionAssessment.objects.filter(year=2014).count() == 1
    assert AuditEvent.objects.filter(action__startswith="institution_assessment.").count() == 1


def test_rerun_updates_a_proposed_assessment_and_audits_the_change(campaign):
    institution = make_institution()
    training_class = make_class(institution, campaign=campaign, end=D(2014, 6, 30))
    enroll(training_class, passed=9, failed=1)
    assert run(campaign)[institution.name].proposal == KEEP
    enroll(training_class, failed=5)
    a = run(campaign)[institution.name]
    assert (a.trainees, a.proposal, a.status) == (15, REVOKE, "proposed")
    stored = InstitutionAssessment.objects.get(institution=institution, year=2014)
    assert (stored.trainees, stored.proposal) == (15, REVOKE)
    event = AuditEvent.objects.filter(action="institution_assessment.update").get()
    assert event.changes["trainees"] == [10, 15]
    assert event.changes["proposal"] == ["keep", "revoke"]


@pytest.mark.parametrize("decision", ["confirm", "dismiss"])
def test_rerun_never_touches_a_decided_assessment(campaign, office, decision):
    institution = make_institution()
    training_class = make_class(institution, campaign=campaign, end=D(2014, 6, 30))
    enroll(training_class, passed=1, failed=9)
    a = run(campaign)[institution.name]
    if decision == "confirm":
        svc.assessment_confirm(assessment=a, reason="合格率过低", actor=office)
    else:
        svc.assessment_dismiss(assessment=a, reason="已整改到位", actor=office)
    before = InstitutionAssessment.objects.get(pk=a.pk)
    enroll(training_class, passed=90)
    svc.assessment_run(campaign=campaign, year=2014)
    after = InstitutionAssessment.objects.get(pk=a.pk)
    assert (after.trainees, after.proposal, after.status, after.updated_at) == (
        before.trainees,
        before.proposal,
        before.status,
        before.updated_at,
    )


def test_revoked_institutions_are_not_assessed(campaign, office):
    institution = make_institution(designation=Institution.Designation.REVOKED)
    assert institution.name not in run(campaign)
    assert not InstitutionAssessment.objects.filter(institution=institution).exists()


def test_assessments_are_kept_per_year(campaign):
    institution = make_institution()
    active(institution, campaign, year=2013)
    run(campaign, year=2013)
    run(campaign, year=2014)
    assert set(
        InstitutionAssessment.objects.filter(institution=institution).values_list(
            "year", "proposal"
        )
    ) == {(2013, KEEP), (2014, KEEP)}


# ------------------------------------------------------------------------------
# Query count: independent of the number of institutions
# ------------------------------------------------------------------------------


def _populate(campaign, count):
    for _ in range(count):
        institution = make_institution()
        training_class = make_class(institution, campaign=campaign, end=D(2014, 6, 30))
        enroll(training_class, passed=3, failed=2)
        inspect(training_class, "issues")


def _queries_of_a_run(campaign) -> int:
    ContentType.objects.get_for_model(InstitutionAssessment)  # cached or not, the same count
    with CaptureQueriesContext(connection) as ctx:
        svc.assessment_run(campaign=campaign, year=2014)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_institutions(
    campaign, django_assert_max_num_queries
):
    _populate(campaign, 3)
    small_first = _queries_of_a_run(campaign)
    small_rerun = _queries_of_a_run(campaign)
    _populate(campaign, 30)
    with django_assert_max_num_queries(12):
        svc.assessment_run(campaign=campaign, year=2014)  # creates 30, leaves 3 as they are
    InstitutionAssessment.objects.all().delete()
    large_first = _queries_of_a_run(campaign)
    enroll(TrainingClass.objects.first(), failed=1)
    assert large_first == small_first
    assert _queries_of_a_run(campaign) <= small_first  # one row changed
    assert _queries_of_a_run(campaign) == small_rerun  # nothing changed


# ------------------------------------------------------------------------------
# Who may run it, and for which years
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.REVIEWER, Role.CLERK, Role.INSTITUTION])
def test_only_the_office_runs_the_assessment(campaign, role):
    user = user_with_role(role)
    with pytest.raises(PermissionDenied):
        svc.assessment_run(campaign=campaign, year=2014, actor=user)
    assert not InstitutionAssessment.objects.exists()


def test_the_office_runs_it_and_is_named_in_the_audit(campaign, office):
    make_institution()
    svc.assessment_run(campaign=campaign, year=2014, actor=office)
    event = AuditEvent.objects.get(action="institution_assessment.propose")
    assert event.actor == office
    assert event.changes["proposal"] == "revoke"


def test_a_year_not_yet_over_cannot_be_assessed(campaign):
    make_institution()
    with pytest.raises(RuleViolation, match="尚未结束"):
        svc.assessment_run(campaign=campaign, year=2015)
    with pytest.raises(RuleViolation, match="早于专项活动"):
        svc.assessment_run(campaign=campaign, year=2012)
    assert not InstitutionAssessment.objects.exists()


# ------------------------------------------------------------------------------
# The office confirms or dismisses
# ------------------------------------------------------------------------------


def _revoke_proposal(campaign):
    institution = make_institution("待取消学校")
    enroll(make_class(institution, campaign=campaign, end=D(2014, 6, 30)), passed=1, failed=9)
    return run(campaign)["待取消学校"]


def test_confirming_a_revocation_revokes_the_institution_with_the_reasons(campaign, office):
    a = _revoke_proposal(campaign)
    svc.assessment_confirm(assessment=a, reason="同意取消", actor=office)
    institution = Institution.objects.get(pk=a.institution_id)
    assert institution.designation == Institution.Designation.REVOKED
    assert institution.may_open_classes is False
    change = DesignationChange.objects.get(institution=institution)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "designated",
        "revoked",
        office,
    )
    assert "合格率为10%" in change.reason
    assert "同意取消" in change.reason
    a.refresh_from_db()
    assert (a.status, a.decided_by, a.decision_reason) == ("confirmed", office, "同意取消")
    assert a.decided_at == at(2015, 1, 20, 10)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"institution.revoke", "institution_assessment.confirm"} <= actions


def test_confirming_a_revocation_needs_a_reason(campaign, office):
    a = _revoke_proposal(campaign)
    with pytest.raises(ValidationError) as exc:
        svc.assessment_confirm(assessment=a, reason="  ", actor=office)
    assert "reason" in exc.value.message_dict
    a.refresh_from_db()
    assert a.status == "proposed"
    assert Institution.objects.get(pk=a.institution_id).designation == "designated"


def test_confirming_a_keep_proposal_changes_no_designation(campaign, office):
    institution = make_institution()
    active(institution, campaign, year=2014)
    a = run(campaign)[institution.name]
    svc.assessment_confirm(assessment=a, actor=office)
    a.refresh_from_db()
    assert a.status == "confirmed"
    assert not DesignationChange.objects.exists()
    institution.refresh_from_db()
    assert institution.designation == "designated"


def test_confirming_when_already_revoked_by_hand_only_records_the_decision(campaign, office):
    a = _revoke_proposal(campaign)
    svc.institution_revoke(institution=a.institution, reason="严重违规", actor=office)
    svc.assessment_confirm(assessment=a, reason="同意", actor=office)
    assert DesignationChange.objects.count() == 1
    a.refresh_from_db()
    assert a.status == "confirmed"


def test_dismissing_keeps_the_designation_and_needs_a_reason(campaign, office):
    a = _revoke_proposal(campaign)
    with pytest.raises(ValidationError):
        svc.assessment_dismiss(assessment=a, reason="", actor=office)
    svc.assessment_dismiss(assessment=a, reason="已整改", actor=office)
    a.refresh_from_db()
    assert (a.status, a.decision_reason) == ("dismissed", "已整改")
    assert Institution.objects.get(pk=a.institution_id).designation == "designated"
    assert AuditEvent.objects.filter(action="institution_assessment.dismiss").count() == 1


def test_a_keep_proposal_cannot_be_dismissed(campaign, office):
    institution = make_institution()
    active(institution, campaign, year=2014)
    a = run(campaign)[institution.name]
    with pytest.raises(RuleViolation):
        svc.assessment_dismiss(assessment=a, reason="无", actor=office)


def test_a_decided_assessment_cannot_be_decided_again(campaign, office):
    a = _revoke_proposal(campaign)
    svc.assessment_dismiss(assessment=a, reason="已整改", actor=office)
    with pytest.raises(RuleViolation, match="已处理"):
        svc.assessment_confirm(assessment=a, reason="改为取消", actor=office)
    with pytest.raises(RuleViolation):
        svc.assessment_dismiss(assessment=a, reason="再次", actor=office)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.REVIEWER, Role.CLERK])
def test_only_the_office_decides(campaign, role):
    a = _revoke_proposal(campaign)
    user = user_with_role(role)
    with pytest.raises(PermissionDenied):
        svc.assessment_confirm(assessment=a, reason="x", actor=user)
    with pytest.raises(PermissionDenied):
        svc.assessment_dismiss(assessment=a, reason="x", actor=user)


# ------------------------------------------------------------------------------
# The job, its schedule and the command
# ------------------------------------------------------------------------------


def test_task_assesses_the_previous_calendar_year_by_default(campaign):
    make_institution()
    result = run_institution_assessment.delay().get()
    assert result == {"year": 2014, "assessed": 1, "revoke_proposed": 1}
    assert InstitutionAssessment.objects.filter(year=2014).count() == 1


def test_task_with_a_year_and_twice_is_idempotent(campaign):
    make_institution()
    run_institution_assessment.delay(year=2013).get()
    run_institution_assessment.delay(year=2013).get()
    assert InstitutionAssessment.objects.filter(year=2013).count() == 1


def test_task_refusing_an_open_year_returns_none(campaign):
    assert run_institution_assessment.delay(year=2015).get() is None


def test_task_is_acks_late_and_scheduled_on_15_january_at_2():
    assert run_institution_assessment.acks_late is True
    entry = settings.CELERY_BEAT_SCHEDULE["annual-institution-assessment"]
    assert entry["task"] == "training.tasks.run_institution_assessment"
    schedule = entry["schedule"]
    assert schedule.minute == {0}
    assert schedule.hour == {2}
    assert schedule.day_of_month == {15}
    assert schedule.month_of_year == {1}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


def test_command_runs_the_assessment_and_prints_it(campaign):
    institution = make_institution("命令行学校")
    enroll(make_class(institution, campaign=campaign, end=D(2013, 6, 30)), passed=1, failed=1)
    out = StringIO()
    call_command("assess_institutions", "--year", "2013", stdout=out)
    text = out.getvalue()
    assert "命令行学校" in text
    assert "合格率为50%" in text
    assert "2013年度考核完成：1家机构，建议取消定点资格1家。" in text
    call_command("assess_institutions", stdout=StringIO())
    assert set(InstitutionAssessment.objects.values_list("year", flat=True)) == {2013, 2014}


def test_command_reports_an_open_year_as_an_error(campaign):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="尚未结束"):
        call_command("assess_institutions", "--year", "2015", stdout=StringIO())
