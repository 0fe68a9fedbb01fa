"""The progress dashboard: city → department → category pages, the month filter, the office's
recompute button, who may see what, bounded queries, and the demo's 18 months of history.

The data (plan 2013; expected % after Jan/Feb/Mar = 4.2 / 8.3 / 12.5), figures as
(trained, passed, certified, employed, entrepreneurs), every return accepted unless noted:

  gxj  cat 1 (200000)   Jan (4000, 3600, 3000, 2000, 40)  Feb the same, late  Mar the same
  rsj  cats 2–5 (106000) Jan cat 2 (1000, 900, 800, 700, 0)  Feb nothing (missing)
                         Mar cat 2 the same, submitted late
  nyj  cats 8–9 (26000)  nothing at all; the other six units nothing either.

March, by hand: gxj 12000 / 200000 = 6.0 % (gap −6.5, on track); rsj 2000 / 106000 = 1.9 %
(gap −10.6, behind); city 14000 / 400000 = 3.5 %; city pass rate (10800 + 1800) / 14000 = 90.0 %.
"""

import datetime
import io
import json
import re
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from core.models import AuditEvent, Department
from core.roles import Role
from core.tests.factories import user_with_role
from dashboard import demo, selectors
from dashboard.models import Bulletin
from dashboard.services import bulletin_draft, bulletin_publish
from training import progress
from training.models import FIGURE_FIELDS, MonthlyReturn, ReportRun, ReturnLine, TrainingCategory
from training.services.reports import report_compute
from training.tests.factories import clerk_of

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
JAN, FEB, MAR = (datetime.date(2013, m, 1) for m in (1, 2, 3))
S = MonthlyReturn.Status
GXJ = (4000, 3600, 3000, 2000, 40)
RSJ = (1000, 900, 800, 700, 0)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def _frozen():
    # 8 April 2013, 10:00 in Xuchang: March's report is computed.
    with time_machine.travel(at(2013, 4, 8, 10), tick=False):
        yield


@pytest.fixture(autouse=True)
def _no_broker(settings):
    """The recompute button computes at once without a broker; CI sets one for other tests."""
    settings.CELERY_BROKER_URL = ""


def make_return(campaign, code, month, *, status=S.ACCEPTED, late=False, lines=None):
    department = Department.objects.get(code=code)
    ret = MonthlyReturn.objects.create(
        campaign=campaign,
        department=department,
        month=month,
        status=status,
        is_late=late,
        first_submitted_at=at(month.year, month.month, 28, 12),
        submitted_at=at(month.year, month.month, 28, 12),
    )
    for category in TrainingCategory.objects.filter(campaign=campaign, department=department):
        values = (lines or {}).get(category.number, (0, 0, 0, 0, 0))
        ReturnLine.objects.create(
            monthly_return=ret, category=category, **dict(zip(FIGURE_FIELDS, values, strict=True))
        )
    return ret


@pytest.fixture
def office(plan):
    return user_with_role(Role.OFFICE, department=Department.objects.get(code="office"))


@pytest.fixture
def runs(plan):
    """The module docstring's data and its three snapshots."""
    make_return(plan, "gxj", JAN, lines={1: GXJ})
    make_return(plan, "gxj", FEB, late=True, lines={1: GXJ})
    make_return(plan, "gxj", MAR, lines={1: GXJ})
    make_return(plan, "rsj", JAN, lines={2: RSJ})
    make_return(plan, "rsj", MAR, status=S.SUBMITTED, late=True, lines={2: RSJ})
    return {month: report_compute(campaign=plan, month=month) for month in (JAN, FEB, MAR)}


def progress_url(name="progress", *args, month=None):
    url = reverse(f"dashboard:{name}", args=args)
    return f"{url}?month={month}" if month else url


def data_island(body: str) -> dict:
    match = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>', body, re.S
    )
    assert match, "the page has no chart data island"
    return json.loads(match.group(1))


def inline_scripts(body: str) -> list[str]:
    """<script> elements with code in the page (not a src, not the JSON data island)."""
    return [
        m.group(0)
        for m in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body)
    ]


# ------------------------------------------------------------------------------
# Who may see what
# ------------------------------------------------------------------------------

OTHER_ROLES = [Role.WORKER, Role.REVIEWER, Role.FINANCE, Role.INSTITUTION, Role.COMMITTEE]


def _requests() -> dict[str, tuple[str, str, dict]]:
    return {
        "progress": ("get", progress_url(), {}),
        "progress_department": ("get", progress_url("progress_department", "rsj"), {}),
        "progress_category": ("get", progress_url("progress_category", 2), {}),
        "progress_recompute": ("post", progress_url("progress_recompute"), {"month": "2013-03"}),
    }


def _statuses(client) -> dict[str, int]:
    return {
        name: getattr(client, method)(url, data).status_code
        for name, (method, url, data) in _requests().items()
    }


def test_anonymous_is_sent_to_login(client, runs):
    for name, (method, url, data) in _requests().items():
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_roles_without_business_here_get_403(client, runs, role):
    client.force_login(user_with_role(role))
    assert _statuses(client) == dict.fromkeys(_requests(), 403)


def test_office_may_open_everything_and_recompute(client, runs, office):
    client.force_login(office)
    assert _statuses(client) == {
        "progress": 200,
        "progress_department": 200,
        "progress_category": 200,
        "progress_recompute": 302,
    }


def test_auditor_reads_everything_but_cannot_recompute(client, runs):
    client.force_login(user_with_role(Role.AUDITOR))
    before = ReportRun.objects.get(month=MAR)
    events = AuditEvent.objects.count()
    assert _statuses(client) == {
        "progress": 200,
        "progress_department": 200,
        "progress_category": 200,
        "progress_recompute": 403,
    }
    after = ReportRun.objects.get(month=MAR)
    assert (after.pk, after.computed_at, after.totals) == (
        before.pk,
        before.computed_at,
        before.totals,
    )
    assert AuditEvent.objects.count() == events


def test_clerk_sees_only_their_own_department(client, runs):
    client.force_login(clerk_of("rsj"))
    response = client.get(progress_url(month="2013-02"))
    assert response.status_code == 302
    assert response["Location"] == progress_url("progress_department", "rsj", month="2013-02")
    assert client.get(progress_url("progress_department", "rsj")).status_code == 200
    assert client.get(progress_url("progress_category", 3)).status_code == 200
    # Another department's drill-down, and its category, are not there for this clerk.
    assert client.get(progress_url("progress_department", "gxj")).status_code == 404
    assert client.get(progress_url("progress_category", 1)).status_code == 404
    assert client.post(progress_url("progress_recompute"), {"month": "2013-03"}).status_code == 403


def test_clerk_page_shows_no_other_unit_and_no_city_totals(client, runs):
    client.force_login(clerk_of("rsj"))
    body = client.get(progress_url("progress_department", "rsj")).content.decode()
    assert "下岗失业人员培训" in body
    assert "企业职工在岗和转岗技能培训" not in body
    assert "全市进度" not in body
    assert data_island(body)["rates"]["categories"][-1] == "市人社局"


def test_navigation_offers_the_dashboard_and_bulletins_by_role(client, plan):
    cases = [
        (user_with_role(Role.OFFICE), True, True),
        (user_with_role(Role.AUDITOR), True, True),
        (clerk_of("rsj"), True, False),
        (user_with_role(Role.WORKER), False, False),
    ]
    for user, sees_progress, sees_bulletins in cases:
        client.force_login(user)
        nav = client.get("/").content.decode().split('id="main-nav"')[1].split("</ul>")[0]
        assert (reverse("dashboard:progress") in nav) is sees_progress, user
        assert (reverse("dashboard:bulletin_list") in nav) is sees_bulletins, user


# ------------------------------------------------------------------------------
# What the pages show
# ------------------------------------------------------------------------------


def test_city_page_defaults_to_the_latest_month_and_lists_only_computed_months(client, runs):
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url()).content.decode()
    assert "进度看板 · 2013年3月" in body
    options = re.findall(r'<option value="(\d{4}-\d{2})"', body)
    assert options == ["2013-03", "2013-02", "2013-01"]
    assert 'id="city-percent">3.5<' in body


def test_month_filter_switches_the_snapshot(client, runs):
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url(month="2013-01")).content.decode()
    assert "进度看板 · 2013年1月" in body
    # January: 5000 of 400000 = 1.3 %; the pacing table stops at January.
    assert 'id="city-percent">1.3<' in body
    assert data_island(body)["pacing"]["categories"] == ["2013-01"]


@pytest.mark.parametrize("month", ["2013-04", "2013-13", "march"])
def test_month_without_a_snapshot_is_not_found(client, runs, month):
    client.force_login(user_with_role(Role.AUDITOR))
    assert client.get(progress_url(month=month)).status_code == 404


def test_city_tables_and_chart_data_carry_the_same_numbers(client, runs):
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url()).content.decode()
    charts = data_island(body)
    departments = charts["departments"]
    assert departments["categories"][:2] == ["市工信局", "市人社局"]
    values = [(p["value"], p["pace"]) for p in departments["series"][0]["data"][:2]]
    assert values == [(6.0, "on_track"), (1.9, "behind")]
    assert departments["expected"] == 12.5
    assert charts["pacing"]["series"][0]["data"] == [4.2, 8.3, 12.5]
    assert charts["pacing"]["series"][1]["data"] == [1.3, 2.3, 3.5]
    gauges = {g["name"]: g["value"] for g in charts["targets"]["gauges"]}
    assert gauges["各类职业培训"] == 3.5
    # 促进就业: employed + entrepreneurs = (2000 × 3 + 40 × 3) + (700 × 2) of 320000.
    assert gauges["促进就业"] == 2.4
    table = body.split('id="departments-table"')[1].split("</table>")[0]
    assert re.search(r"市人社局</a></td>.*?>1\.9<.*?>-10\.6<.*?落后", table, re.S)
    rates = body.split('id="rates-table"')[1].split("</table>")[0]
    assert re.search(r"全市</td>.*?>14000<.*?>90\.0<", rates, re.S)


def test_a_target_no_app_provides_yet_shows_a_dash(client, plan, monkeypatch):
    # Appraisal figures come from the appraisal app once it registers its provider.
    monkeypatch.delitem(progress._PROVIDERS, "appraisal", raising=False)
    monkeypatch.delitem(progress._PROVIDERS, "high_skilled", raising=False)
    make_return(plan, "gxj", JAN, lines={1: GXJ})
    report_compute(campaign=plan, month=JAN)
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url()).content.decode()
    gauges = {g["name"]: g["value"] for g in data_island(body)["targets"]["gauges"]}
    assert gauges["职业技能鉴定"] is None
    assert gauges["培养高技能人才"] is None
    targets = body.split('id="targets-table"')[1].split("</table>")[0]
    assert re.search(r"职业技能鉴定</td>.*?>—</td><td class=\"num\">—</td>", targets, re.S)
    assert "待技能鉴定模块提供数据" in body


def test_charts_are_data_and_the_code_is_a_static_file(client, runs):
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url()).content.decode()
    assert inline_scripts(body) == []
    for name in ("echarts.min.js", "langZH.js", "js/dashboard.js"):
        assert name in body
    charts = data_island(body)
    for element in re.findall(r'data-chart="(\w+)"', body):
        assert element in charts
    # Every chart has a table beside it.
    for table in ("targets-table", "departments-table", "categories-table", "pacing-table"):
        assert f'id="{table}"' in body
    assert 'id="rates-table"' in body
    assert 'id="punctuality-table"' in body


def test_punctuality_table_per_department_and_month_with_the_year_counts(client, runs):
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url()).content.decode()
    table = body.split('id="punctuality-table"')[1].split("</table>")[0]
    rows = {
        m.group(1): m.group(0) for m in re.finditer(r"<tr>\s*<td>(\S+?)</td>.*?</tr>", table, re.S)
    }
    gxj = re.findall(r"status-badge\">(\S+?)<", rows["市工信局"])
    rsj = re.findall(r"status-badge\">(\S+?)<", rows["市人社局"])
    assert gxj == ["按时报送", "逾期报送", "按时报送"]
    assert rsj == ["按时报送", "未报送", "逾期报送"]
    counts = [int(n) for n in re.findall(r'class="num">(\d+)<', rows["市人社局"])]
    assert counts == [1, 1, 1, 0]  # on time, late, missing, amended in 2013


def test_punctuality_matrix_selector_counts_the_year_only(runs):
    run = runs[MAR]
    matrix = selectors.punctuality_matrix(run=run, months=[JAN, FEB, MAR])
    rows = {row["code"]: row for row in matrix["rows"]}
    assert [cell["code"] for cell in rows["nyj"]["cells"]] == ["missing"] * 3
    assert rows["nyj"]["counts"] == {"on_time": 0, "late": 0, "missing": 3, "amended": 0}
    assert len(matrix["rows"]) == 9


def test_county_breakdown_is_empty_without_class_records_and_the_page_says_why(client, runs):
    assert runs[MAR].breakdowns["counties"] == []
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url()).content.decode()
    assert 'id="counties-pending"' in body


def test_county_breakdown_counts_class_records_up_to_the_month_end(client, runs, plan):
    from training.tests.test_evidence import make_class

    # 许昌技师学院 is in 魏都区 (the plan file); classes ending by 31 March count, later do not.
    make_class(plan, 1, datetime.date(2013, 3, 31), trainees=5, passed=4)
    make_class(plan, 2, datetime.date(2013, 2, 10), trainees=3, passed=1)
    make_class(plan, 2, datetime.date(2013, 4, 1), trainees=7, passed=7)
    make_class(plan, 3, datetime.date(2013, 3, 5), status="submitted", trainees=9)
    client.force_login(user_with_role(Role.AUDITOR))

    # The page reads the snapshot: classes recorded after it was computed show at the recompute.
    assert 'id="counties-pending"' in client.get(progress_url()).content.decode()
    run = report_compute(campaign=plan, month=MAR)
    assert run.breakdowns["counties"] == [{"name": "魏都区", "trained": 8, "passed": 5}]
    body = client.get(progress_url()).content.decode()
    assert 'id="counties-table"' in body
    assert 'id="evidence-gaps"' in body  # the largest return-vs-records gaps


def test_snapshot_keeps_the_months_evidence_gaps_and_the_page_shows_them(client, runs, plan):
    """gxj reported 1 category-1 line each month; the class records now support a different
    count for March, so the recomputed March snapshot holds that gap and the page lists it."""
    from training.selectors.evidence import GapRow, evidence_gaps
    from training.tests.test_evidence import make_class

    make_class(plan, 1, datetime.date(2013, 3, 20), trainees=40, passed=40)
    run = report_compute(campaign=plan, month=MAR)
    live = evidence_gaps(campaign=plan, month=MAR, limit=1000)
    assert live, "the data should produce a gap"
    assert [GapRow.from_json(gap) for gap in run.breakdowns["evidence_gaps"]] == live
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url()).content.decode()
    assert body.count('class="evidence-gap-row"') == len(live)


def test_snapshot_without_breakdowns_is_read_live(client, runs, plan):
    """A snapshot computed before ``breakdowns`` existed still shows counties and gaps."""
    from training.tests.test_evidence import make_class

    make_class(plan, 1, datetime.date(2013, 3, 31), trainees=5, passed=4)
    ReportRun.objects.filter(pk=runs[MAR].pk).update(breakdowns={})
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url()).content.decode()
    assert 'id="counties-table"' in body


def test_department_drill_down_shows_categories_and_months(client, runs):
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url("progress_department", "gxj", month="2013-03")).content.decode()
    assert 'id="department-cumulative">12000<' in body
    assert 'id="department-percent">6.0<' in body
    months = body.split('id="months-table"')[1].split("</table>")[0]
    assert re.findall(r">(2013年\d+月)</a>", months) == ["2013年1月", "2013年2月", "2013年3月"]
    assert "逾期报送" in months
    link = progress_url("progress_category", 1, month="2013-03")
    assert link.replace("&", "&amp;") in body
    assert data_island(body)["pacing"]["series"][1]["data"] == [2.0, 4.0, 6.0]


def test_category_drill_down_goes_month_by_month(client, runs):
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url("progress_category", 2, month="2013-02")).content.decode()
    table = body.split('id="category-months-table"')[1].split("</table>")[0]
    assert re.findall(r">(2013年\d+月)</a>", table) == ["2013年1月", "2013年2月"]
    charts = data_island(body)
    assert charts["monthly"]["series"][0]["data"] == [1000, 0]
    # 1000 of 24000 = 4.2 % in January and still in February (nothing reported).
    assert charts["pacing"]["series"][1]["data"] == [4.2, 4.2]


def test_rates_with_nothing_trained_show_a_dash(client, plan):
    report_compute(campaign=plan, month=JAN)
    client.force_login(user_with_role(Role.AUDITOR))
    for url in (
        progress_url(),
        progress_url("progress_department", "clh"),
        progress_url("progress_category", 13),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        rates = response.content.decode().split('id="rates-table"')
        if len(rates) > 1:
            assert re.search(r'class="num">—</td>', rates[1].split("</table>")[0]), url
    charts = data_island(client.get(progress_url()).content.decode())
    assert charts["rates"]["series"][0]["data"][-1] is None


def test_page_without_any_snapshot_offers_the_office_the_owed_month(client, plan, office):
    client.force_login(office)
    body = client.get(progress_url()).content.decode()
    assert 'id="no-report"' in body
    assert "计算2013年3月进度" in body
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(progress_url()).content.decode()
    assert 'id="no-report"' in body
    assert "计算2013年3月进度" not in body


# ------------------------------------------------------------------------------
# The office's recompute button
# ------------------------------------------------------------------------------


def test_recompute_takes_in_a_late_return(client, runs, office, time_machine):
    make_return(runs[MAR].campaign, "nyj", MAR, late=True, lines={8: (500, 400, 300, 200, 5)})
    time_machine.move_to(at(2013, 4, 8, 11), tick=False)
    client.force_login(office)
    response = client.post(progress_url("progress_recompute"), {"month": "2013-03"}, follow=True)
    assert "已重新计算2013年3月进度" in response.content.decode()
    run = ReportRun.objects.get(month=MAR)
    assert run.totals["city"]["cumulative"]["trained"] == 14500
    assert run.computed_by == office
    assert ReportRun.objects.filter(month=MAR).count() == 1


def test_recompute_of_a_published_month_is_refused_with_the_reason(client, runs, office):
    plan = runs[MAR].campaign
    bulletin_publish(bulletin=bulletin_draft(campaign=plan, month=MAR, actor=office), actor=office)
    before = ReportRun.objects.get(month=MAR)
    make_return(plan, "nyj", MAR, late=True, lines={8: (500, 400, 300, 200, 5)})
    client.force_login(office)
    body = client.get(progress_url()).content.decode()
    assert 'id="recompute-refused"' in body
    assert 'id="recompute-button"' not in body
    response = client.post(progress_url("progress_recompute"), {"month": "2013-03"}, follow=True)
    assert "本月通报已发布，进度快照不可再改" in response.content.decode()
    after = ReportRun.objects.get(month=MAR)
    assert (after.computed_at, after.totals) == (before.computed_at, before.totals)


def test_recompute_is_queued_when_a_broker_is_configured(
    client, runs, office, settings, django_capture_on_commit_callbacks, time_machine
):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    make_return(runs[MAR].campaign, "nyj", MAR, late=True, lines={8: (500, 400, 300, 200, 5)})
    time_machine.move_to(at(2013, 4, 8, 11), tick=False)
    client.force_login(office)
    # The task runs eagerly in tests (conftest), once the request's transaction commits.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(progress_url("progress_recompute"), {"month": "2013-03"})
    assert len(callbacks) == 1
    assert response.status_code == 302
    assert ReportRun.objects.get(month=MAR).totals["city"]["cumulative"]["trained"] == 14500


def test_office_computes_the_owed_month_for_the_first_time(client, plan, office):
    client.force_login(office)
    response = client.post(progress_url("progress_recompute"), {"month": "2013-03"})
    assert response["Location"] == progress_url(month="2013-03")
    assert ReportRun.objects.filter(month=MAR).exists()


@pytest.mark.parametrize("month", ["", "2013-13", "2099-01"])
def test_recompute_of_a_bad_month_changes_nothing(client, plan, office, month):
    client.force_login(office)
    response = client.post(progress_url("progress_recompute"), {"month": month}, follow=True)
    assert response.status_code == 200
    assert not ReportRun.objects.exists()


# ------------------------------------------------------------------------------
# Query counts: the same for 3 and for 18 months
# ------------------------------------------------------------------------------


def _months(first: datetime.date, count: int) -> list[datetime.date]:
    months, month = [], first
    for _ in range(count):
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _history(plan, months):
    for month in months:
        make_return(plan, "gxj", month, lines={1: GXJ})
        make_return(plan, "rsj", month, late=True, lines={2: RSJ, 3: RSJ})
        make_return(plan, "nyj", month, lines={8: GXJ})
        report_compute(campaign=plan, month=month)


PAGE_QUERY_LIMIT = 17  # incl. the county breakdown and the evidence gaps


def test_dashboard_query_count_does_not_grow_with_months(
    client, plan, django_assert_max_num_queries, time_machine
):
    time_machine.move_to(at(2014, 7, 8, 10), tick=False)
    client.force_login(user_with_role(Role.OFFICE))
    pages = [
        progress_url(),
        progress_url("progress_department", "rsj"),
        progress_url("progress_category", 3),
    ]
    counts = {}
    for label, months in (("3", _months(JAN, 3)), ("18", _months(datetime.date(2013, 4, 1), 15))):
        _history(plan, months)
        for url in pages:
            with django_assert_max_num_queries(PAGE_QUERY_LIMIT) as captured:
                assert client.get(url).status_code == 200
            counts[(label, url)] = len(captured)
    assert ReportRun.objects.count() == 18
    assert [counts[("3", url)] for url in pages] == [counts[("18", url)] for url in pages]


def test_clerk_page_query_count_is_bounded(client, runs, django_assert_max_num_queries):
    client.force_login(clerk_of("rsj"))
    with django_assert_max_num_queries(PAGE_QUERY_LIMIT):
        assert client.get(progress_url("progress_department", "rsj")).status_code == 200


# ------------------------------------------------------------------------------
# seed_demo: 18 months of history for the dashboard and the bulletins
# ------------------------------------------------------------------------------


@pytest.fixture
def demo_settings(settings):
    """seed_demo runs with DEBUG on; "today" is frozen with time_machine rather than APP_TODAY
    (the demo clock adds the real time elapsed since start-up, which a frozen clock upsets)."""
    settings.DEBUG = True
    settings.APP_TODAY = ""
    return settings


def test_seed_demo_gives_18_months_of_history_quickly_and_is_idempotent(
    plan, roles, demo_settings, monkeypatch
):
    """One test for both runs: the other apps' seeders make each seed_demo run take a while."""
    elapsed = []
    seeder = demo.seed_reports

    def timed(**kwargs):
        started = time.perf_counter()
        seeder(**kwargs)
        elapsed.append(time.perf_counter() - started)

    monkeypatch.setattr(demo, "seed_reports", timed)
    with time_machine.travel(at(2014, 7, 2, 10), tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    # The dashboard's seeder alone (the other apps' seeders have their own budgets).
    assert len(elapsed) == 1
    assert elapsed[0] < 10
    runs = list(ReportRun.objects.order_by("month"))
    assert [r.month for r in runs] == _months(JAN, 18)
    bulletins = Bulletin.objects.order_by("month")
    assert [b.month for b in bulletins] == _months(JAN, 17)
    assert all(b.is_published for b in bulletins)
    assert [r.is_published for r in runs] == [True] * 17 + [False]
    # Dated as history: computed the day after the due day, published on the 8th.
    assert runs[0].computed_at == at(2013, 2, 4, 0, 5)
    assert bulletins[0].published_at == at(2013, 2, 8, 16)
    assert bulletins[0].snapshot_computed_at == runs[0].computed_at
    assert bulletins[0].published_by.username == "office"

    # A second run changes nothing.
    snapshot = {r.pk: (r.computed_at, r.status) for r in ReportRun.objects.all()}
    events = AuditEvent.objects.filter(action__startswith="bulletin.").count()
    out = io.StringIO()
    with time_machine.travel(at(2014, 7, 2, 10, 5), tick=False):
        call_command("seed_demo", stdout=out)
    assert {r.pk: (r.computed_at, r.status) for r in ReportRun.objects.all()} == snapshot
    assert Bulletin.objects.count() == 17
    assert AuditEvent.objects.filter(action__startswith="bulletin.").count() == events
    assert "新计算 0 个月" in out.getvalue()
