"""Monthly progress reports on hand-built data, every figure checked against a hand computation.

The data (plan 2013: 24 reporting months Jan 2013 – Dec 2014, quotas of DOMAIN.md §2), figures as
(trained, passed, certified, employed, entrepreneurs):

  gxj  cat 1 (quota 200000)  Jan accepted on time (1000, 800, 600, 500, 20)
                             Feb accepted late    (2000, 1500, 1000, 900, 30)
                             Mar submitted late   (3000, 2400, 2000, 1500, 50)
  rsj  cat 2 (24000)         Jan accepted on time (600, 500, 400, 300, 0)
       cat 3 (68000)                              (2000, 1600, 1200, 1000, 0)
       cat 4 (8000)                               (0, 0, 0, 0, 0)
       cat 5 (6000)                               (100, 80, 60, 0, 40)
                             Feb DRAFT (5000 of everything in cat 2 and 3 — must not count)
                             Mar accepted late, amended after the lock day:
                               cat 2 (2400, 2000, 1800, 1500, 0)   cat 3 (4000, 3000, 2500, 2000, 0)
                               cat 4 (0, 0, 0, 0, 0)               cat 5 (200, 150, 100, 0, 80)
  mzj  cat 7 (2000)          Mar accepted on time (250, 200, 150, 100, 5)
  nyj  cat 8 (20000)         Jan submitted on time (1500, 1200, 900, 700, 10), cat 9 (6000) zeros
                             Feb RETURNED for revision (4000 of everything in cat 8, not counted)
                             Mar nothing (missing)
  jyj, zgh, tsw, flh, clh: nothing.

The March report (elapsed 3 of 24 months → expected 3/24 = 12.5 %) is worked out in each test.
"""

import datetime
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import RuleViolation
from core.models import AuditEvent, Department
from core.roles import Role
from core.tests.factories import user_with_role
from training import reports
from training.models import (
    FIGURE_FIELDS,
    MonthlyReturn,
    ProgressRow,
    ReportRun,
    ReturnLine,
    TrainingCategory,
)
from training.services.reports import report_compute, report_compute_enqueue
from training.tasks import compute_monthly_progress
from training.tests.factories import clerk_of

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
JAN, FEB, MAR = datetime.date(2013, 1, 1), datetime.date(2013, 2, 1), datetime.date(2013, 3, 1)
D = Decimal
S = MonthlyReturn.Status


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def _frozen():
    # 4 April 2013, 10:00 in Xuchang: the day after March's due day.
    with time_machine.travel(at(2013, 4, 4, 10), tick=False):
        yield


def make_return(campaign, code, month, status, *, late=False, amended=False, lines=None):
    """A return with a line per category of the department; ``lines`` maps category number to
    the five figures (missing categories are zeros)."""
    department = Department.objects.get(code=code)
    reported = status != S.DRAFT
    ret = MonthlyReturn.objects.create(
        campaign=campaign,
        department=department,
        month=month,
        status=status,
        is_late=late,
        amended_after_deadline=amended,
        first_submitted_at=at(month.year, month.month, 28, 12) if reported else None,
        submitted_at=at(month.year, month.month, 28, 12) if reported else None,
    )
    for category in TrainingCategory.objects.filter(campaign=campaign, department=department):
        values = (lines or {}).get(category.number, (0, 0, 0, 0, 0))
        ReturnLine.objects.create(
            monthly_return=ret, category=category, **dict(zip(FIGURE_FIELDS, values, strict=True))
        )
    return ret


@pytest.fixture
def data(plan):
    make_return(plan, "gxj", JAN, S.ACCEPTED, lines={1: (1000, 800, 600, 500, 20)})
    make_return(plan, "gxj", FEB, S.ACCEPTED, late=True, lines={1: (2000, 1500, 1000, 900, 30)})
    make_return(plan, "gxj", MAR, S.SUBMITTED, late=True, lines={1: (3000, 2400, 2000, 1500, 50)})
    make_return(
        plan,
        "rsj",
        JAN,
        S.ACCEPTED,
        lines={2: (600, 500, 400, 300, 0), 3: (2000, 1600, 1200, 1000, 0), 5: (100, 80, 60, 0, 40)},
    )
    make_return(plan, "rsj", FEB, S.DRAFT, lines={2: (5000,) * 5, 3: (5000,) * 5})
    make_return(
        plan,
        "rsj",
        MAR,
        S.ACCEPTED,
        late=True,
        amended=True,
        lines={
            2: (2400, 2000, 1800, 1500, 0),
            3: (4000, 3000, 2500, 2000, 0),
            5: (200, 150, 100, 0, 80),
        },
    )
    make_return(plan, "mzj", MAR, S.ACCEPTED, lines={7: (250, 200, 150, 100, 5)})
    make_return(plan, "nyj", JAN, S.SUBMITTED, lines={8: (1500, 1200, 900, 700, 10)})
    make_return(plan, "nyj", FEB, S.RETURNED, lines={8: (4000,) * 5})
    return plan


def rows_by_number(run) -> dict[int, ProgressRow]:
    return {row.category.number: row for row in reports.report_rows(run=run)}


def figures(*values) -> dict[str, int]:
    return dict(zip(FIGURE_FIELDS, values, strict=True))


def by_code(summaries) -> dict[str, reports.DepartmentSummary]:
    return {s.code: s for s in summaries}


# ------------------------------------------------------------------------------
# Arithmetic
# ------------------------------------------------------------------------------


def test_percent_rounds_half_up_and_is_none_for_a_zero_denominator():
    assert reports.percent(1, 16) == D("6.3")  # 6.25: half-even would give 6.2
    assert reports.percent(1, 24) == D("4.2")  # 4.1666…
    assert reports.percent(0, 5) == D("0.0")
    assert reports.percent(5, 0) is None


def test_pace_boundaries_against_behind_points():
    ten = D("10.00")
    assert reports.pace_status(D("0.0"), ten) == "ahead"
    assert reports.pace_status(D("-0.1"), ten) == "on_track"
    assert reports.pace_status(D("-10.0"), ten) == "on_track"
    assert reports.pace_status(D("-10.1"), ten) == "behind"
    assert reports.pace_status(None, ten) == "on_track"


def test_day_the_job_computes_follows_the_campaigns_due_day(plan):
    assert reports.month_to_compute_on(plan, datetime.date(2013, 4, 4)) == MAR
    assert reports.month_to_compute_on(plan, datetime.date(2013, 4, 3)) is None
    assert reports.month_to_compute_on(plan, datetime.date(2013, 4, 5)) is None
    assert reports.month_to_compute_on(plan, datetime.date(2015, 1, 4)) == datetime.date(
        2014, 12, 1
    )
    assert reports.month_to_compute_on(plan, datetime.date(2015, 2, 4)) is None
    plan.due_day = 5
    assert reports.month_to_compute_on(plan, datetime.date(2013, 4, 4)) is None
    assert reports.month_to_compute_on(plan, datetime.date(2013, 4, 6)) == MAR


# ------------------------------------------------------------------------------
# The March report
# ------------------------------------------------------------------------------


def test_month_and_cumulative_figures_per_category(data):
    run = report_compute(campaign=data, month=MAR)
    rows = rows_by_number(run)
    assert len(rows) == 13
    # cat 1: month = Mar; cumulative = Jan + Feb + Mar
    #   trained 1000+2000+3000=6000, passed 800+1500+2400=4700, certified 600+1000+2000=3600,
    #   employed 500+900+1500=2900, entrepreneurs 20+30+50=100
    assert rows[1].month_figures() == figures(3000, 2400, 2000, 1500, 50)
    assert rows[1].cumulative_figures() == figures(6000, 4700, 3600, 2900, 100)
    # cat 2: Jan (600,500,400,300,0) + Mar (2400,2000,1800,1500,0); Feb's draft not counted
    assert rows[2].month_figures() == figures(2400, 2000, 1800, 1500, 0)
    assert rows[2].cumulative_figures() == figures(3000, 2500, 2200, 1800, 0)
    # cat 3: Jan (2000,1600,1200,1000,0) + Mar (4000,3000,2500,2000,0)
    assert rows[3].cumulative_figures() == figures(6000, 4600, 3700, 3000, 0)
    # cat 5: Jan (100,80,60,0,40) + Mar (200,150,100,0,80)
    assert rows[5].month_figures() == figures(200, 150, 100, 0, 80)
    assert rows[5].cumulative_figures() == figures(300, 230, 160, 0, 120)
    assert rows[7].month_figures() == rows[7].cumulative_figures() == figures(250, 200, 150, 100, 5)
    # cat 8: Jan only (Feb returned for revision, March missing)
    assert rows[8].month_figures() == figures(0, 0, 0, 0, 0)
    assert rows[8].cumulative_figures() == figures(1500, 1200, 900, 700, 10)
    for number in (4, 6, 9, 10, 11, 12, 13):
        assert rows[number].cumulative_figures() == figures(0, 0, 0, 0, 0)
    assert rows[2].department.code == "rsj"
    assert rows[2].quota == 24000


def test_percent_of_quota_gap_and_pace_per_category(data):
    run = report_compute(campaign=data, month=MAR)
    assert (run.elapsed_months, run.total_months, run.expected_percent) == (3, 24, D("12.5"))
    rows = rows_by_number(run)
    expected = {
        # number: (percent, gap, pace)
        1: (D("3.0"), D("-9.5"), "on_track"),  # 6000/200000 = 3.0; 3.0-12.5
        2: (D("12.5"), D("0.0"), "ahead"),  # 3000/24000 = 12.5 → at expected = ahead
        3: (D("8.8"), D("-3.7"), "on_track"),  # 6000/68000 = 8.82…
        4: (D("0.0"), D("-12.5"), "behind"),  # nothing trained
        5: (D("5.0"), D("-7.5"), "on_track"),  # 300/6000
        7: (D("12.5"), D("0.0"), "ahead"),  # 250/2000
        8: (D("7.5"), D("-5.0"), "on_track"),  # 1500/20000
        9: (D("0.0"), D("-12.5"), "behind"),
        13: (D("0.0"), D("-12.5"), "behind"),
    }
    for number, (pct, gap, pace) in expected.items():
        row = rows[number]
        assert (row.percent_of_quota, row.gap_points, row.pace) == (pct, gap, pace), number


def test_punctuality_on_time_late_amended_and_missing(data):
    run = report_compute(campaign=data, month=MAR)
    rows = rows_by_number(run)
    assert rows[7].punctuality == "on_time"  # mzj accepted on time
    assert rows[1].punctuality == "late"  # gxj submitted late
    # rsj: late AND amended after the lock day → amended wins, on every rsj row
    assert {rows[n].punctuality for n in (2, 3, 4, 5)} == {"amended"}
    assert rows[8].punctuality == rows[9].punctuality == "missing"  # nyj: no March return
    assert rows[6].punctuality == "missing"  # jyj: nothing at all
    assert rows[7].submitted_at == at(2013, 3, 28, 12)
    assert rows[8].submitted_at is None
    assert run.totals["punctuality"] == {"on_time": 1, "late": 1, "missing": 6, "amended": 1}


def test_department_totals_rates_and_trained_zero_gives_none(data):
    run = report_compute(campaign=data, month=MAR)
    with CaptureQueriesContext(connection) as ctx:
        summaries = by_code(reports.department_summaries(run=run))
    assert len(ctx.captured_queries) <= 2  # the GROUP BY (+ the campaign if not loaded)
    assert list(summaries) == ["gxj", "rsj", "jyj", "mzj", "nyj", "zgh", "tsw", "flh", "clh"]

    rsj = summaries["rsj"]
    # month: cats 2+3+4+5 of March: trained 2400+4000+0+200=6600, passed 2000+3000+150=5150,
    #   certified 1800+2500+100=4400, employed 1500+2000+0=3500, entrepreneurs 0+0+80=80
    assert rsj.month.as_dict() == figures(6600, 5150, 4400, 3500, 80)
    # cumulative: 3000+6000+0+300=9300, 2500+4600+230=7330, 2200+3700+160=6060,
    #   1800+3000+0=4800, 0+0+120=120; quota 24000+68000+8000+6000=106000
    assert rsj.cumulative.as_dict() == figures(9300, 7330, 6060, 4800, 120)
    assert rsj.quota == 106000
    # 9300/106000 = 8.77… → 8.8; gap 8.8-12.5 = -3.7
    assert (rsj.percent_of_quota, rsj.gap_points, rsj.pace) == (D("8.8"), D("-3.7"), "on_track")
    assert rsj.punctuality == "amended"
    # rates: 7330/9300 = 78.81…, 6060/9300 = 65.16…, 4800/9300 = 51.61…, 120/9300 = 1.29…
    assert rsj.rates == {
        "pass_rate": D("78.8"),
        "appraisal_rate": D("65.2"),
        "employment_rate": D("51.6"),
        "entrepreneurship_rate": D("1.3"),
    }
    # month rates: 5150/6600 = 78.03…, 4400/6600 = 66.66…, 3500/6600 = 53.03…, 80/6600 = 1.21…
    assert rsj.month_rates == {
        "pass_rate": D("78.0"),
        "appraisal_rate": D("66.7"),
        "employment_rate": D("53.0"),
        "entrepreneurship_rate": D("1.2"),
    }

    gxj = summaries["gxj"]
    # 4700/6000 = 78.33…, 3600/6000 = 60, 2900/6000 = 48.33…, 100/6000 = 1.66…
    assert gxj.rates == {
        "pass_rate": D("78.3"),
        "appraisal_rate": D("60.0"),
        "employment_rate": D("48.3"),
        "entrepreneurship_rate": D("1.7"),
    }
    assert (gxj.percent_of_quota, gxj.gap_points, gxj.pace) == (D("3.0"), D("-9.5"), "on_track")

    nyj = summaries["nyj"]
    # quota 20000+6000 = 26000; 1500/26000 = 5.769… → 5.8; gap -6.7
    assert (nyj.percent_of_quota, nyj.gap_points, nyj.pace) == (D("5.8"), D("-6.7"), "on_track")
    assert nyj.rates["employment_rate"] == D("46.7")  # 700/1500
    assert nyj.rates["entrepreneurship_rate"] == D("0.7")  # 10/1500
    # nyj trained nobody in March: every month rate is None (shown as —), no division by zero
    assert set(nyj.month_rates.values()) == {None}
    jyj = summaries["jyj"]
    assert set(jyj.rates.values()) == {None}
    assert (jyj.percent_of_quota, jyj.pace, jyj.punctuality) == (D("0.0"), "behind", "missing")


def test_city_totals_rates_and_headline_targets(data):
    run = report_compute(campaign=data, month=MAR)
    totals = run.totals
    # month: gxj 3000 + rsj 6600 + mzj 250 = 9850 trained; passed 2400+5150+200 = 7750;
    #   certified 2000+4400+150 = 6550; employed 1500+3500+100 = 5100; entrepreneurs 50+80+5 = 135
    assert totals["city"]["month"] == figures(9850, 7750, 6550, 5100, 135)
    # cumulative: gxj 6000 + rsj 9300 + mzj 250 + nyj 1500 = 17050; passed 4700+7330+200+1200 =
    #   13430; certified 3600+6060+150+900 = 10710; employed 2900+4800+100+700 = 8500;
    #   entrepreneurs 100+120+5+10 = 235
    assert totals["city"]["cumulative"] == figures(17050, 13430, 10710, 8500, 235)
    # quota: the 13 categories sum to 400000; 17050/400000 = 4.2625 → 4.3; gap 4.3-12.5 = -8.2
    assert totals["city"]["quota"] == 400000
    assert totals["city"]["percent_of_quota"] == "4.3"
    assert totals["city"]["gap_points"] == "-8.2"
    assert totals["city"]["pace"] == "on_track"
    assert totals["pacing"] == {"elapsed_months": 3, "total_months": 24, "expected_percent": "12.5"}
    # 13430/17050 = 78.77…, 10710/17050 = 62.82…, 8500/17050 = 49.85…, 235/17050 = 1.38…
    assert totals["rates"] == {
        "pass_rate": "78.8",
        "appraisal_rate": "62.8",
        "employment_rate": "49.9",
        "entrepreneurship_rate": "1.4",
    }
    # 7750/9850 = 78.68…, 6550/9850 = 66.49…, 5100/9850 = 51.78…, 135/9850 = 1.37…
    assert totals["month_rates"] == {
        "pass_rate": "78.7",
        "appraisal_rate": "66.5",
        "employment_rate": "51.8",
        "entrepreneurship_rate": "1.4",
    }
    targets = {t["code"]: t for t in totals["targets"]}
    # training: 17050 of 400000 = 4.2625 → 4.3 %
    assert (targets["training"]["figure"], targets["training"]["achieved"]) == (400000, 17050)
    assert targets["training"]["percent"] == "4.3"
    # employment: employed + entrepreneurs = 8500 + 235 = 8735 of 320000 = 2.729… → 2.7 %
    assert (targets["employment"]["achieved"], targets["employment"]["percent"]) == (8735, "2.7")
    # appraisal and high-skilled come from the appraisal app, which has no results here
    assert targets["appraisal"] == {
        "code": "appraisal",
        "name": targets["appraisal"]["name"],
        "figure": 45000,
        "unit": targets["appraisal"]["unit"],
        "achieved": 0,
        "percent": "0.0",
    }
    assert (targets["high_skilled"]["achieved"], targets["high_skilled"]["percent"]) == (0, "0.0")
    assert [t.code for t in reports.targets_from_totals(totals)] == [
        "training",
        "appraisal",
        "high_skilled",
        "employment",
    ]


def test_city_summary_from_rows_equals_the_stored_totals(data):
    run = report_compute(campaign=data, month=MAR)
    assert reports.city_summary(run=run) == reports.city_from_totals(run.totals)
    assert reports.city_summary(run=run).cumulative.trained == 17050


def test_drafts_and_returned_returns_do_not_count(data):
    # February: rsj has only a draft (5000 in cats 2 and 3), nyj a return sent back (4000 in cat 8)
    run = report_compute(campaign=data, month=FEB)
    rows = rows_by_number(run)
    assert rows[2].month_figures() == figures(0, 0, 0, 0, 0)
    assert rows[2].cumulative_figures() == figures(600, 500, 400, 300, 0)  # January only
    assert rows[8].month_figures() == figures(0, 0, 0, 0, 0)
    assert rows[8].cumulative_figures() == figures(1500, 1200, 900, 700, 10)
    assert rows[2].punctuality == rows[8].punctuality == "missing"
    assert rows[1].punctuality == "late"  # gxj's February was accepted but late
    # city cumulative to February: gxj 1000+2000 + rsj 600+2000+100 + nyj 1500 = 7200
    assert run.totals["city"]["cumulative"]["trained"] == 7200
    # the training target reads the same rule through the provider hook
    assert {t["code"]: t["achieved"] for t in run.totals["targets"]}["training"] == 7200


def test_exactly_10_points_behind_is_on_track_and_10_1_is_behind(plan):
    # March: expected 12.5 %. zgh cat 10 (quota 3000): 75 trained = 2.5 % → gap -10.0;
    # clh cat 13 (quota 3000): 72 trained = 2.4 % → gap -10.1.
    make_return(plan, "zgh", JAN, S.ACCEPTED, lines={10: (75, 0, 0, 0, 0)})
    make_return(plan, "clh", JAN, S.ACCEPTED, lines={13: (72, 0, 0, 0, 0)})
    rows = rows_by_number(report_compute(campaign=plan, month=MAR))
    assert (rows[10].percent_of_quota, rows[10].gap_points, rows[10].pace) == (
        D("2.5"),
        D("-10.0"),
        "on_track",
    )
    assert (rows[13].percent_of_quota, rows[13].gap_points, rows[13].pace) == (
        D("2.4"),
        D("-10.1"),
        "behind",
    )


def test_behind_threshold_is_the_campaigns_data(plan):
    plan.behind_pace_points = D("5.00")
    plan.save()
    make_return(plan, "zgh", JAN, S.ACCEPTED, lines={10: (225, 0, 0, 0, 0)})  # 7.5 % → gap -5.0
    make_return(plan, "clh", JAN, S.ACCEPTED, lines={13: (222, 0, 0, 0, 0)})  # 7.4 % → gap -5.1
    rows = rows_by_number(report_compute(campaign=plan, month=MAR))
    assert (rows[10].gap_points, rows[10].pace) == (D("-5.0"), "on_track")
    assert (rows[13].gap_points, rows[13].pace) == (D("-5.1"), "behind")


@pytest.mark.parametrize(
    ("month", "elapsed", "expected", "gap", "pace"),
    [
        # mzj trained 100 of 2000 in January = 5.0 % all along; gap = 5.0 - expected
        (datetime.date(2013, 1, 1), 1, D("4.2"), D("0.8"), "ahead"),  # 1/24 = 4.166…
        (datetime.date(2013, 2, 1), 2, D("8.3"), D("-3.3"), "on_track"),  # 2/24 = 8.333…
        (datetime.date(2013, 7, 1), 7, D("29.2"), D("-24.2"), "behind"),  # 7/24 = 29.166…
        (datetime.date(2013, 12, 1), 12, D("50.0"), D("-45.0"), "behind"),  # half way
        (datetime.date(2014, 12, 1), 24, D("100.0"), D("-95.0"), "behind"),  # the last month
    ],
)
def test_pacing_at_month_boundaries(plan, month, elapsed, expected, gap, pace):
    make_return(plan, "mzj", JAN, S.ACCEPTED, lines={7: (100, 0, 0, 0, 0)})
    run = report_compute(campaign=plan, month=month)
    assert (run.elapsed_months, run.total_months, run.expected_percent) == (elapsed, 24, expected)
    assert run.totals["pacing"]["expected_percent"] == str(expected)
    row = rows_by_number(run)[7]
    assert (row.percent_of_quota, row.gap_points, row.pace) == (D("5.0"), gap, pace)


def test_month_outside_the_campaign_is_refused(plan):
    with pytest.raises(RuleViolation, match="不在本专项活动的报送月份内"):
        report_compute(campaign=plan, month=datetime.date(2015, 1, 1))
    assert not ReportRun.objects.exists()


# ------------------------------------------------------------------------------
# Snapshot: recompute, publication, atomicity, permission
# ------------------------------------------------------------------------------


def test_recompute_replaces_the_snapshot_and_logs_it(data):
    office = user_with_role(Role.OFFICE)
    first = report_compute(campaign=data, month=MAR)
    old_row_ids = set(first.rows.values_list("pk", flat=True))
    # A late figure arrives: nyj submits March (1000 trained in cat 8) after the snapshot.
    make_return(data, "nyj", MAR, S.SUBMITTED, late=True, lines={8: (1000, 900, 0, 0, 0)})
    assert first.totals["city"]["cumulative"]["trained"] == 17050  # the snapshot did not move

    second = report_compute(campaign=data, month=MAR, actor=office)
    assert ReportRun.objects.count() == 1
    assert second.pk == first.pk
    assert second.computed_by == office
    assert second.rows.count() == 13
    assert old_row_ids.isdisjoint(second.rows.values_list("pk", flat=True))
    assert second.totals["city"]["cumulative"]["trained"] == 17050 + 1000
    assert rows_by_number(second)[8].punctuality == "late"
    events = list(AuditEvent.objects.filter(action="progress_report.compute").order_by("id"))
    assert [e.changes["recompute"] for e in events] == [False, True]
    assert events[1].actor == office
    assert events[1].changes["totals"] == second.totals
    assert events[1].changes["previous_totals"]["city"]["cumulative"]["trained"] == 17050


def test_published_snapshot_refuses_recompute(data):
    office = user_with_role(Role.OFFICE)
    run = report_compute(campaign=data, month=MAR)
    run.status, run.published_at, run.published_by = (
        ReportRun.Status.PUBLISHED,
        at(2013, 4, 5),
        office,
    )
    run.save()
    make_return(data, "nyj", MAR, S.SUBMITTED, lines={8: (1000, 0, 0, 0, 0)})
    with pytest.raises(RuleViolation, match="本月通报已发布，进度快照不可再改"):
        report_compute(campaign=data, month=MAR, actor=office)
    with pytest.raises(RuleViolation, match="本月通报已发布"):
        report_compute_enqueue(campaign=data, month=MAR, actor=office)
    run.refresh_from_db()
    assert run.totals["city"]["cumulative"]["trained"] == 17050
    assert AuditEvent.objects.filter(action="progress_report.compute").count() == 1


def test_a_failure_midway_leaves_the_old_snapshot(data):
    run = report_compute(campaign=data, month=MAR)
    old_rows = list(run.rows.order_by("pk").values_list("pk", "cumulative_trained"))
    make_return(data, "nyj", MAR, S.SUBMITTED, lines={8: (1000, 0, 0, 0, 0)})
    # The worker dies after deleting the old rows, before writing the new ones.
    with (
        mock.patch.object(ProgressRow.objects, "bulk_create", side_effect=RuntimeError("killed")),
        pytest.raises(RuntimeError),
    ):
        report_compute(campaign=data, month=MAR)
    run.refresh_from_db()
    assert list(run.rows.order_by("pk").values_list("pk", "cumulative_trained")) == old_rows
    assert run.totals["city"]["cumulative"]["trained"] == 17050
    assert AuditEvent.objects.filter(action="progress_report.compute").count() == 1


def test_only_the_office_or_the_scheduled_job_computes(data):
    with pytest.raises(PermissionDenied):
        report_compute(campaign=data, month=MAR, actor=clerk_of("rsj"))
    with pytest.raises(PermissionDenied):
        report_compute(campaign=data, month=MAR, actor=user_with_role(Role.AUDITOR))
    assert not ReportRun.objects.exists()
    run = report_compute(campaign=data, month=MAR, actor=None)
    assert run.computed_by is None
    assert run.computed_at == at(2013, 4, 4, 10)
    assert run.status == "ready"


def test_clerk_reads_only_their_departments_rows(data, roles):
    run = report_compute(campaign=data, month=MAR)
    clerk = clerk_of("rsj")
    assert {r.category.number for r in reports.report_rows_for_user(user=clerk, run=run)} == {
        2,
        3,
        4,
        5,
    }
    auditor = user_with_role(Role.AUDITOR)
    assert reports.report_rows_for_user(user=auditor, run=run).count() == 13
    assert not reports.report_rows_for_user(user=user_with_role(Role.WORKER), run=run).exists()


def test_pacing_series_lists_expected_and_actual_per_computed_month(data):
    for month in (JAN, FEB, MAR):
        report_compute(campaign=data, month=month)
    # Jan: gxj 1000 + rsj 2700 + nyj 1500 = 5200 of 400000 = 1.3 %; expected 1/24 = 4.2
    # Feb: + gxj 2000 = 7200 → 1.8 %; expected 2/24 = 8.3; Mar: 17050 → 4.3 %, 12.5
    assert [
        (p.month, p.expected_percent, p.actual_percent)
        for p in reports.pacing_series(campaign=data)
    ] == [
        (JAN, D("4.2"), D("1.3")),
        (FEB, D("8.3"), D("1.8")),
        (MAR, D("12.5"), D("4.3")),
    ]


# ------------------------------------------------------------------------------
# Query count: independent of months, departments and lines
# ------------------------------------------------------------------------------

# Two of them are the appraisal app's target providers, three the class-record breakdowns the
# snapshot keeps for the dashboard (counties, and the evidence gaps: lines and enrollments).
MAX_QUERIES = 21


def _fill(plan, months: int) -> None:
    """Accepted returns for every department, every category, the first ``months`` months."""
    categories = list(TrainingCategory.objects.filter(campaign=plan))
    departments = {c.department_id for c in categories}
    for month in plan.reporting_months()[:months]:
        returns = MonthlyReturn.objects.bulk_create(
            MonthlyReturn(
                campaign=plan,
                department_id=department_id,
                month=month,
                status=S.ACCEPTED,
                first_submitted_at=at(2013, 1, 2),
            )
            for department_id in departments
        )
        by_department = {r.department_id: r for r in returns}
        ReturnLine.objects.bulk_create(
            ReturnLine(
                monthly_return=by_department[c.department_id],
                category=c,
                trained=10,
                passed=8,
                certified=6,
                employed=5,
                entrepreneurs=1,
            )
            for c in categories
        )


@pytest.mark.parametrize("months", [3, 24])
def test_compute_query_count_does_not_grow_with_months(plan, months, django_assert_max_num_queries):
    _fill(plan, months)
    office = user_with_role(Role.OFFICE)
    last = plan.reporting_months()[months - 1]
    with django_assert_max_num_queries(MAX_QUERIES):
        report_compute(campaign=plan, month=last, actor=office)
    with django_assert_max_num_queries(MAX_QUERIES):  # recompute: delete + update on top
        run = report_compute(campaign=plan, month=last, actor=office)
    assert run.totals["city"]["cumulative"]["trained"] == 13 * 10 * months
    with django_assert_max_num_queries(2):
        reports.department_summaries(run=run)
    with django_assert_max_num_queries(1):
        reports.city_summary(run=run)


def test_compute_query_count_is_the_same_for_3_and_24_months(plan):
    ContentType.objects.get_for_model(ReportRun)  # warm the cache both runs then share
    counts = []
    for months in (3, 24):
        MonthlyReturn.objects.all().delete()
        _fill(plan, months)
        month = plan.reporting_months()[months - 1]
        with CaptureQueriesContext(connection) as ctx:
            report_compute(campaign=plan, month=month)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# ------------------------------------------------------------------------------
# Command and task
# ------------------------------------------------------------------------------


def test_command_and_task_give_the_same_totals(data, capsys):
    call_command("compute_progress", "--month", "2013-03")
    out = capsys.readouterr().out
    assert "累计：培训17050人次" in out
    assert "全市任务400000人次，完成4.3%，与时间进度相差-8.2个百分点（正常）" in out
    assert "培训合格率78.8%，鉴定率62.8%，就业率49.9%，创业率1.4%" in out
    assert "目标任务·各类职业培训：400000人次，已完成17050，4.3%" in out
    assert "目标任务·职业技能鉴定：45000人次，已完成0，0.0%" in out
    assert "报送情况：按时报送1个单位，逾期报送1个单位，未报送6个单位，锁定后更正1个单位" in out
    command_totals = ReportRun.objects.get().totals

    result = compute_monthly_progress.delay("2013-03").get()
    assert result == {"month": "2013-03", "report_run": ReportRun.objects.get().pk}
    assert ReportRun.objects.count() == 1
    assert ReportRun.objects.get().totals == command_totals


def test_command_defaults_to_the_last_month_owed(data, capsys):
    # 4 April 2013: January to March have ended; March is the last owed.
    call_command("compute_progress")
    assert ReportRun.objects.get().month == MAR
    assert "2013年3月进度快照已生成" in capsys.readouterr().out


def test_task_twice_gives_the_same_totals_and_one_snapshot(data):
    compute_monthly_progress.delay("2013-03")
    first = ReportRun.objects.get().totals
    compute_monthly_progress.delay("2013-03")
    assert ReportRun.objects.count() == 1
    assert ReportRun.objects.get().totals == first


def test_scheduled_task_computes_only_on_the_day_after_the_due_day(data):
    with time_machine.travel(at(2013, 4, 3, 0, 5), tick=False):
        assert compute_monthly_progress.delay().get() is None
    with time_machine.travel(at(2013, 4, 5, 0, 5), tick=False):
        assert compute_monthly_progress.delay().get() is None
    assert not ReportRun.objects.exists()
    with time_machine.travel(at(2013, 4, 4, 0, 5), tick=False):
        assert compute_monthly_progress.delay().get()["month"] == "2013-03"
    assert ReportRun.objects.get().month == MAR


def test_scheduled_task_leaves_a_published_month_alone(data):
    office = user_with_role(Role.OFFICE)
    report_compute(campaign=data, month=MAR)
    ReportRun.objects.update(status="published", published_at=at(2013, 4, 4), published_by=office)
    assert compute_monthly_progress.delay("2013-03").get() is None
    assert AuditEvent.objects.filter(action="progress_report.compute").count() == 1


def test_enqueue_runs_the_job_after_commit_as_the_office(data, django_capture_on_commit_callbacks):
    office = user_with_role(Role.OFFICE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report_compute_enqueue(campaign=data, month=MAR, actor=office)
        assert not ReportRun.objects.exists()  # nothing runs before the commit
    assert len(callbacks) == 1
    run = ReportRun.objects.get()
    assert run.computed_by == office
    with pytest.raises(PermissionDenied):
        report_compute_enqueue(campaign=data, month=MAR, actor=clerk_of("rsj"))


def test_beat_runs_the_job_daily_at_five_past_midnight():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["monthly-progress-report"]
    assert entry["task"] == "training.tasks.compute_monthly_progress"
    assert entry["schedule"].hour == {0}
    assert entry["schedule"].minute == {5}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
