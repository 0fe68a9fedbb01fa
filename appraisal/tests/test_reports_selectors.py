"""Appraisal reports: the breakdowns by occupation, level, county and month agree with the
headline-target providers; high-skilled talents against 7,000; "双一" counts; and a constant
number of queries however much data there is. Time: 15 June 2014."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisal import reports
from appraisal.models import DualOneException, Level, Registration
from appraisal.selectors import appraisals_achieved, high_skilled_achieved
from appraisal.services import pilots as pilot_svc
from appraisal.tests.test_pilots_support import (
    D,
    at,
    county,
    ensure_level_rules,
    enterprise_institution,
    make_body,
    make_certificate,
    make_pilot,
    make_results,
    make_sitting,
    make_worker,
    occupation,
    office,
    reviewer,
    staff_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def level_rules(db):
    ensure_level_rules()


UNTIL = D(2014, 6, 15)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(at(2014, 6, 15, 10), tick=False)


def workers(n, county_code=None):
    place = county(county_code) if county_code else None
    return [make_worker(county_obj=place) for _ in range(n)]


@pytest.fixture
def data(plan):
    """Weidu: 4 taken, 3 passed (高级工, May 2014, 维修电工). Yuzhou: 3 taken, 1 passed (中级工,
    Nov 2013, 钧瓷). No county: 1 failed (中级工, Nov 2013, 钧瓷). Plus noise that must not count:
    an absent candidate, a sitting before the campaign."""
    body = make_body("许昌市职业技能鉴定中心")
    electric = make_sitting(body, occupation("ZY017"), Level.SENIOR, D(2014, 5, 20))
    ceramics = make_sitting(body, occupation("ZY001"), Level.INTERMEDIATE, D(2013, 11, 5))
    make_results(electric, workers(4, "weidu"), passed=3)
    make_results(ceramics, workers(3, "yuzhou"), passed=1)
    make_results(ceramics, workers(1), passed=0)
    absent = make_results(electric, workers(1, "weidu"), passed=0)[0]
    Registration.objects.filter(pk=absent.pk).update(
        status=Registration.Status.ABSENT, theory_score=None, practical_score=None
    )
    before = make_sitting(body, occupation("ZY017"), Level.INTERMEDIATE, D(2012, 12, 1))
    make_results(before, workers(2, "weidu"), passed=2)
    return plan


def rows(breakdown):
    return [(row.label, row.taken, row.passed) for row in breakdown.rows]


def test_breakdowns_count_results_within_the_campaign(data):
    by_level = reports.appraisals_by_level(campaign=data, until=UNTIL)
    assert rows(by_level) == [
        ("初级工", 0, 0),
        ("中级工", 4, 1),
        ("高级工", 4, 3),
        ("技师", 0, 0),
        ("高级技师", 0, 0),
    ]
    assert rows(reports.appraisals_by_occupation(campaign=data, until=UNTIL)) == [
        ("钧瓷制作工", 4, 1),
        ("维修电工", 4, 3),
    ]
    assert rows(reports.appraisals_by_county(campaign=data, until=UNTIL)) == [
        ("禹州市", 3, 1),
        ("魏都区", 4, 3),
        ("未填写", 1, 0),
    ]
    assert rows(reports.appraisals_by_month(campaign=data, until=UNTIL)) == [
        ("2013-11", 4, 1),
        ("2014-05", 4, 3),
    ]
    assert by_level.pass_rate == 50


def test_every_breakdown_totals_the_dashboard_figure(data):
    headline = appraisals_achieved(campaign=data, until=UNTIL)
    assert headline == 8
    for selector in (
        reports.appraisals_by_level,
        reports.appraisals_by_occupation,
        reports.appraisals_by_county,
        reports.appraisals_by_month,
    ):
        assert selector(campaign=data, until=UNTIL).taken == headline


def test_until_cuts_the_period(data):
    assert reports.appraisals_by_month(campaign=data, until=D(2014, 5, 19)).taken == 4
    assert reports.appraisals_by_month(campaign=data, until=D(2014, 5, 20)).taken == 8


def test_high_skilled_against_the_plans_target(data):
    pilot = make_pilot(institution=enterprise_institution(), ready_on=D(2014, 1, 1))
    worker = make_worker()
    # Issued the day before the campaign began: a prerequisite, not a campaign result.
    make_certificate(worker, occupation("ZY017"), Level.SENIOR, issued_on=D(2012, 12, 31))
    pilot_svc.evaluation_record(
        pilot=pilot,
        data=pilot_svc.EvaluationInput(
            worker=worker,
            occupation=occupation("ZY017"),
            level=2,
            result="passed",
            evaluated_on=D(2014, 6, 1),
            years_in_trade=5,
        ),
        actor=office(),
    )
    progress = reports.high_skilled_progress(campaign=data, until=UNTIL)
    assert progress.target == 7000
    # 3 高级工 from the May sitting and 1 技师 from the pilot.
    assert progress.achieved == 4
    assert progress.achieved == high_skilled_achieved(campaign=data, until=UNTIL)
    assert progress.by_level == [("高级工", 3), ("技师", 1), ("高级技师", 0)]
    assert progress.from_pilots == 1
    assert progress.percent == reports.rate(progress.achieved, 7000)


def test_pilot_evaluations_are_reported_by_pilot(data):
    pilot = make_pilot(institution=enterprise_institution(), ready_on=D(2014, 1, 1), name="许继")
    for index in range(3):
        worker = make_worker()
        make_certificate(worker, occupation("ZY017"), Level.SENIOR)
        pilot_svc.evaluation_record(
            pilot=pilot,
            data=pilot_svc.EvaluationInput(
                worker=worker,
                occupation=occupation("ZY017"),
                level=2,
                result="passed" if index else "failed",
                evaluated_on=D(2014, 6, 1),
                years_in_trade=5,
            ),
            actor=office(),
        )
    (row,) = [
        r for r in reports.evaluations_by_pilot(campaign=data, until=UNTIL) if r.pk == pilot.pk
    ]
    assert (row.name, row.evaluated, row.passed) == ("许继", 3, 2)
    assert reports.evaluations_by_pilot(campaign=data, until=D(2014, 5, 31))[0].evaluated == 0


def test_exceptions_are_counted_by_enterprise_kind_and_status(plan):
    institution = enterprise_institution()
    staff, decider = staff_of(institution), reviewer()
    first = make_pilot(institution=institution, name="甲企业")
    second = make_pilot(institution=institution, name="乙企业")

    def ask(pilot, kind):
        return pilot_svc.exception_request(
            pilot=pilot,
            data=pilot_svc.ExceptionInput(
                worker=make_worker(),
                occupation=occupation("ZY017"),
                level=2,
                kind=kind,
                front_line_post="一线",
                performance="一流",
                justification="理由",
            ),
            actor=staff,
        )

    skip, turn = DualOneException.Kind.SKIP_LEVEL, DualOneException.Kind.OUT_OF_TURN
    pilot_svc.exception_approve(exception=ask(first, skip), actor=decider)
    pilot_svc.exception_refuse(exception=ask(first, skip), reason="不足", actor=decider)
    ask(first, turn)
    approved = pilot_svc.exception_approve(exception=ask(second, turn), actor=decider)
    pilot_svc.evaluation_record(
        pilot=second,
        data=pilot_svc.EvaluationInput(
            worker=approved.worker,
            occupation=occupation("ZY017"),
            level=2,
            result="failed",
            evaluated_on=D(2014, 6, 1),
        ),
        actor=staff,
    )

    report = reports.exception_report()
    table = [(r.pilot, r.kind, r.pending, r.approved, r.refused) for r in report.rows]
    # Same county: by enterprise name, then kind.
    assert table == [
        ("乙企业", "破格", 0, 1, 0),
        ("甲企业", "破格", 1, 0, 0),
        ("甲企业", "越级", 0, 1, 1),
    ]
    assert report.by_kind["skip_level"].total == 2
    assert report.by_kind["out_of_turn"].total == 2
    assert (report.total.total, report.total.approved) == (4, 2)
    assert report.used == 1


def test_the_report_costs_the_same_queries_for_more_data(data):
    def measured() -> int:
        with CaptureQueriesContext(connection) as captured:
            reports.appraisal_report(campaign=data, until=UNTIL)
            reports.exception_report()
        return len(captured)

    small = measured()
    body = make_body()
    for code, level in (("ZY010", 5), ("ZY019", 4), ("ZY021", 3)):
        sitting = make_sitting(body, occupation(code), level, D(2014, 3, 3))
        make_results(sitting, workers(15, "changge"), passed=9)
    for _ in range(3):
        make_pilot()
    assert measured() == small
    assert small <= 10
