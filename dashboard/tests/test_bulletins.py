"""The monthly bulletin (通报) on hand-built data: its generated text checked against a hand
computation, publication freezing it with its snapshot, the pages, the permission matrix, the
xlsx download, and a bounded query count.

The data (plan 2013: 24 reporting months, quotas of DOMAIN.md §2), figures as
(trained, passed, certified, employed, entrepreneurs); every return is accepted unless noted:

  gxj  cat 1 (quota 200000)   Jan (10000, 9000, 7000, 6000, 100)  Feb the same
                              Mar (6000, 5000, 4000, 3000, 50) on time
  rsj  cats 2–5 (106000)      Mar late: cat 3 (2000, 1500, 1000, 800, 0), the others zeros
  mzj  cat 7 (2000)           Jan (100, 90, 80, 70, 5)  Mar the same, on time
  nyj  cats 8–9 (26000)       Jan cat 8 (3000, 2700, 2000, 1500, 45); nothing for March
  jyj, zgh, tsw, flh, clh: nothing at all.

The March 2013 report, worked out by hand: expected 3/24 = 12.5 %.
  gxj  26000 / 200000 = 13.0 %   gap +0.5   ahead
  rsj   2000 / 106000 = 1.9 %    gap −10.6  behind (more than 10 points)   late
  mzj    200 / 2000   = 10.0 %   gap −2.5   on track
  nyj   3000 / 26000  = 11.5 %   gap −1.0   on track                       missing
  jyj, zgh, tsw, flh, clh  0.0 % gap −12.5  behind                         missing
  City: trained 31200 (March alone 8100) / 400000 = 7.8 %, gap −4.7;
        passed 27380 → 87.8 %, certified 21160 → 67.8 %, employed 17440 → 55.9 %,
        entrepreneurs 305 → 1.0 %.
"""

import datetime
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.errors import RuleViolation
from core.models import AuditEvent, Department
from core.roles import Role
from core.tests.factories import user_with_role
from dashboard import selectors
from dashboard.models import Bulletin
from dashboard.services import bulletin_draft, bulletin_export, bulletin_publish
from training.models import FIGURE_FIELDS, MonthlyReturn, ReportRun, ReturnLine, TrainingCategory
from training.services.reports import report_compute
from training.tests.factories import clerk_of

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
JAN, FEB, MAR = (datetime.date(2013, m, 1) for m in (1, 2, 3))
S = MonthlyReturn.Status

EXPECTED_SENTENCES = [
    "截至2013年3月底，全市累计培训31200人次，完成目标任务的7.8%，时间进度为12.5%。",
    "2013年3月当月全市培训8100人次；累计完成进度落后时间进度4.7个百分点。",
    "全市累计培训合格率87.8%，鉴定率67.8%，就业率55.9%，创业率1.0%。",
    "市工信局完成任务进度达到或超过时间进度，予以通报表扬。",
    "市人社局、市教育局、市总工会、团市委、市妇联、市残联完成任务进度落后时间进度超过10个"
    "百分点，予以责任追究提示，请分析原因、采取措施，加快工作进度。",
    "市人社局逾期报送，市教育局、市农业局、市总工会、团市委、市妇联、市残联未报送2013年3月"
    "目标任务完成情况，请严格落实每月3日前报送制度。",
]


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def _frozen():
    # 8 April 2013, 10:00 in Xuchang: March's report is computed, the bulletin is due.
    with time_machine.travel(at(2013, 4, 8, 10), tick=False):
        yield


def make_return(campaign, code, month, *, status=S.ACCEPTED, late=False, lines=None):
    """A reported return with a line per category of the department; ``lines`` maps category
    number to the five figures (missing categories are zeros)."""
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
def march(plan):
    """The data of the module docstring and its March snapshot."""
    gxj = (10000, 9000, 7000, 6000, 100)
    make_return(plan, "gxj", JAN, lines={1: gxj})
    make_return(plan, "gxj", FEB, lines={1: gxj})
    make_return(plan, "gxj", MAR, lines={1: (6000, 5000, 4000, 3000, 50)})
    make_return(plan, "rsj", MAR, late=True, lines={3: (2000, 1500, 1000, 800, 0)})
    make_return(plan, "mzj", JAN, lines={7: (100, 90, 80, 70, 5)})
    make_return(plan, "mzj", MAR, lines={7: (100, 90, 80, 70, 5)})
    make_return(plan, "nyj", JAN, lines={8: (3000, 2700, 2000, 1500, 45)})
    return report_compute(campaign=plan, month=MAR)


@pytest.fixture
def draft(march, office):
    return bulletin_draft(campaign=march.campaign, month=MAR, actor=office)


@pytest.fixture
def published(draft, office):
    return bulletin_publish(bulletin=draft, actor=office)


# ------------------------------------------------------------------------------
# The generated text
# ------------------------------------------------------------------------------


def test_bulletin_sentences_match_the_hand_computation(draft):
    assert draft.sentences() == EXPECTED_SENTENCES
    assert draft.title == "许昌市技能振兴专项活动2013年3月工作进展情况通报"
    assert draft.status == Bulletin.Status.DRAFT


def test_bulletin_lists_commended_behind_and_late_units(draft):
    assert [(d["code"], d["percent_of_quota"], d["gap_points"]) for d in draft.commended] == [
        ("gxj", "13.0", "0.5")
    ]
    assert [(d["code"], d["gap_points"]) for d in draft.behind] == [
        ("rsj", "-10.6"),
        ("jyj", "-12.5"),
        ("zgh", "-12.5"),
        ("tsw", "-12.5"),
        ("flh", "-12.5"),
        ("clh", "-12.5"),
    ]
    assert [(d["code"], d["punctuality"]) for d in draft.late_or_missing] == [
        ("rsj", "late"),
        ("jyj", "missing"),
        ("nyj", "missing"),
        ("zgh", "missing"),
        ("tsw", "missing"),
        ("flh", "missing"),
        ("clh", "missing"),
    ]


def test_behind_threshold_is_the_campaigns_figure(march, office):
    plan = march.campaign
    plan.behind_pace_points = 11
    plan.save()
    bulletin = bulletin_draft(campaign=plan, month=MAR, actor=office)
    # 人社局 at −10.6 is no longer "behind by more than 11 points"; the others at −12.5 still are.
    assert [d["code"] for d in bulletin.behind] == ["jyj", "zgh", "tsw", "flh", "clh"]
    assert "落后时间进度超过11个百分点" in bulletin.summary


def test_bulletin_of_a_month_with_nothing_trained_shows_dashes_not_a_crash(plan, office):
    report_compute(campaign=plan, month=JAN)
    bulletin = bulletin_draft(campaign=plan, month=JAN, actor=office)
    assert bulletin.sentences()[0] == (
        "截至2013年1月底，全市累计培训0人次，完成目标任务的0.0%，时间进度为4.2%。"
    )
    assert "全市累计培训合格率—，鉴定率—，就业率—，创业率—。" in bulletin.sentences()
    assert "本月没有单位完成任务进度达到时间进度。" in bulletin.sentences()


def test_all_reported_on_time_says_so(plan, office):
    for code in ("gxj", "rsj", "jyj", "mzj", "nyj", "zgh", "tsw", "flh", "clh"):
        make_return(plan, code, JAN)
    report_compute(campaign=plan, month=JAN)
    bulletin = bulletin_draft(campaign=plan, month=JAN, actor=office)
    assert bulletin.late_or_missing == []
    assert bulletin.sentences()[-1] == "各责任单位均按时报送了2013年1月目标任务完成情况。"


# ------------------------------------------------------------------------------
# Services: drafting, refreshing, publishing, freezing
# ------------------------------------------------------------------------------


def test_draft_needs_a_snapshot(plan, office):
    with pytest.raises(RuleViolation, match="尚未生成进度快照"):
        bulletin_draft(campaign=plan, month=FEB, actor=office)
    assert not Bulletin.objects.exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.CLERK, Role.REVIEWER])
def test_only_the_office_drafts_and_publishes(march, draft, role):
    user = user_with_role(role, department=Department.objects.get(code="rsj"))
    with pytest.raises(PermissionDenied):
        bulletin_draft(campaign=march.campaign, month=MAR, actor=user)
    with pytest.raises(PermissionDenied):
        bulletin_publish(bulletin=draft, actor=user)
    draft.refresh_from_db()
    assert draft.status == Bulletin.Status.DRAFT


def test_drafting_twice_refreshes_the_one_draft_and_audits_both(draft, office):
    again = bulletin_draft(campaign=draft.campaign, month=MAR, actor=office)
    assert again.pk == draft.pk
    assert Bulletin.objects.count() == 1
    events = AuditEvent.objects.filter(action="bulletin.draft").order_by("id")
    assert [e.changes["refresh"] for e in events] == [False, True]


def test_publish_freezes_bulletin_and_snapshot(published, office):
    run = ReportRun.objects.get(pk=published.report_run_id)
    assert published.status == Bulletin.Status.PUBLISHED
    assert published.published_by == office
    assert published.published_at == at(2013, 4, 8, 10)
    assert run.status == ReportRun.Status.PUBLISHED
    assert run.published_at == published.published_at
    assert run.published_by == office
    assert AuditEvent.objects.filter(action="bulletin.publish", to_state="published").count() == 1
    assert AuditEvent.objects.filter(action="progress_report.publish").count() == 1


def test_after_publishing_a_late_return_cannot_change_the_figures(published, office):
    plan = published.campaign
    totals_before = ReportRun.objects.get(pk=published.report_run_id).totals
    # 教育局 reports March late, and the office accepts it.
    make_return(plan, "jyj", MAR, late=True, lines={6: (5000, 4000, 3000, 2000, 0)})
    with pytest.raises(RuleViolation, match="已发布"):
        report_compute(campaign=plan, month=MAR, actor=office)
    run = ReportRun.objects.get(pk=published.report_run_id)
    assert run.totals == totals_before
    assert run.totals["city"]["cumulative"]["trained"] == 31200
    published.refresh_from_db()
    assert published.sentences() == EXPECTED_SENTENCES


def test_published_bulletin_is_read_only(published, office):
    with pytest.raises(RuleViolation, match="不可重复发布"):
        bulletin_publish(bulletin=published, actor=office)
    with pytest.raises(RuleViolation, match="不可再修改"):
        bulletin_draft(campaign=published.campaign, month=MAR, actor=office)
    published.refresh_from_db()
    assert published.sentences() == EXPECTED_SENTENCES
    assert AuditEvent.objects.filter(action="bulletin.publish").count() == 1


def test_a_draft_older_than_its_snapshot_must_be_refreshed_before_publishing(
    draft, office, time_machine
):
    plan = draft.campaign
    make_return(plan, "jyj", MAR, late=True, lines={6: (5000, 4000, 3000, 2000, 0)})
    time_machine.move_to(at(2013, 4, 8, 11), tick=False)
    report_compute(campaign=plan, month=MAR, actor=office)
    assert selectors.bulletin_is_stale(Bulletin.objects.get(pk=draft.pk))
    with pytest.raises(RuleViolation, match="请先刷新草稿"):
        bulletin_publish(bulletin=draft, actor=office)
    refreshed = bulletin_draft(campaign=plan, month=MAR, actor=office)
    assert "全市累计培训36200人次" in refreshed.summary
    assert bulletin_publish(bulletin=refreshed, actor=office).is_published


# ------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------


def _views(bulletin):
    return {
        "bulletin_list": ("get", reverse("dashboard:bulletin_list"), {}),
        "bulletin_detail": ("get", reverse("dashboard:bulletin_detail", args=[bulletin.pk]), {}),
        "bulletin_download": (
            "get",
            reverse("dashboard:bulletin_download", args=[bulletin.pk]),
            {},
        ),
        "bulletin_create": ("post", reverse("dashboard:bulletin_create"), {"month": "2013-03"}),
        "bulletin_publish": (
            "post",
            reverse("dashboard:bulletin_publish", args=[bulletin.pk]),
            {},
        ),
    }


OTHER_ROLES = [Role.WORKER, Role.REVIEWER, Role.FINANCE, Role.INSTITUTION, Role.COMMITTEE]
VIEW_NAMES = [
    "bulletin_list",
    "bulletin_detail",
    "bulletin_download",
    "bulletin_create",
    "bulletin_publish",
]


def _statuses(client, bulletin) -> dict[str, int]:
    statuses = {}
    for name, (method, url, data) in _views(bulletin).items():
        statuses[name] = getattr(client, method)(url, data).status_code
    return statuses


def test_anonymous_is_sent_to_login(client, draft):
    for name, (method, url, data) in _views(draft).items():
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_roles_without_business_here_get_403(client, published, role):
    client.force_login(user_with_role(role))
    assert _statuses(client, published) == dict.fromkeys(VIEW_NAMES, 403)


# (role, view) → status for a DRAFT bulletin; a published one is readable by all three.
DRAFT_MATRIX = {
    Role.CLERK: {
        "bulletin_list": 200,
        "bulletin_detail": 404,
        "bulletin_download": 404,
        "bulletin_create": 403,
        "bulletin_publish": 403,
    },
    Role.AUDITOR: {
        "bulletin_list": 200,
        "bulletin_detail": 404,
        "bulletin_download": 404,
        "bulletin_create": 403,
        "bulletin_publish": 403,
    },
    Role.OFFICE: {
        "bulletin_list": 200,
        "bulletin_detail": 200,
        "bulletin_download": 200,
        "bulletin_create": 302,
        "bulletin_publish": 302,
    },
}


@pytest.mark.parametrize("role", list(DRAFT_MATRIX))
def test_draft_permission_matrix(client, draft, role):
    user = (
        clerk_of("rsj")
        if role == Role.CLERK
        else user_with_role(role, department=Department.objects.get(code="office"))
    )
    client.force_login(user)
    assert _statuses(client, draft) == DRAFT_MATRIX[role]


@pytest.mark.parametrize("role", [Role.CLERK, Role.AUDITOR, Role.OFFICE])
def test_published_bulletins_are_read_by_every_unit(client, published, role):
    user = clerk_of("clh") if role == Role.CLERK else user_with_role(role)
    client.force_login(user)
    for name in ("bulletin_list", "bulletin_detail", "bulletin_download"):
        method, url, data = _views(published)[name]
        assert getattr(client, method)(url, data).status_code == 200, name


def test_auditor_posts_change_nothing(client, draft):
    client.force_login(user_with_role(Role.AUDITOR))
    events = AuditEvent.objects.count()
    assert client.post(reverse("dashboard:bulletin_publish", args=[draft.pk])).status_code == 403
    assert (
        client.post(reverse("dashboard:bulletin_create"), {"month": "2013-03"}).status_code == 403
    )
    draft.refresh_from_db()
    assert draft.status == Bulletin.Status.DRAFT
    assert draft.report_run.status == ReportRun.Status.READY
    assert AuditEvent.objects.count() == events


def test_list_shows_drafts_to_the_office_only(client, draft):
    client.force_login(user_with_role(Role.OFFICE))
    body = client.get(reverse("dashboard:bulletin_list")).content.decode()
    assert draft.title in body
    assert "草稿" in body
    client.force_login(user_with_role(Role.AUDITOR))
    body = client.get(reverse("dashboard:bulletin_list")).content.decode()
    assert draft.title not in body
    assert "bulletin-create-form" not in body


def test_office_creates_and_publishes_through_the_pages(client, march, office):
    client.force_login(office)
    response = client.post(reverse("dashboard:bulletin_create"), {"month": "2013-03"})
    bulletin = Bulletin.objects.get()
    assert response["Location"] == reverse("dashboard:bulletin_detail", args=[bulletin.pk])
    body = client.get(response["Location"]).content.decode()
    assert EXPECTED_SENTENCES[0] in body
    assert 'id="bulletin-publish"' in body
    response = client.post(reverse("dashboard:bulletin_publish", args=[bulletin.pk]), follow=True)
    body = response.content.decode()
    assert "通报已发布" in body
    assert 'id="bulletin-publish"' not in body
    bulletin.refresh_from_db()
    assert bulletin.is_published


def test_second_publish_through_the_page_shows_the_reason(client, published, office):
    client.force_login(office)
    response = client.post(reverse("dashboard:bulletin_publish", args=[published.pk]), follow=True)
    assert "不可重复发布" in response.content.decode()


@pytest.mark.parametrize("month", ["", "2013-13", "2013-02"])
def test_create_with_a_bad_month_rerenders_with_400(client, march, office, month):
    client.force_login(office)
    response = client.post(reverse("dashboard:bulletin_create"), {"month": month})
    assert response.status_code == 400
    assert 'id="bulletin-form-error"' in response.content.decode()
    assert not Bulletin.objects.exists()


def test_detail_shows_the_department_table_and_a_print_stylesheet_hook(client, published):
    client.force_login(clerk_of("rsj"))
    body = client.get(reverse("dashboard:bulletin_detail", args=[published.pk])).content.decode()
    assert 'id="bulletin-departments"' in body
    assert "市残联" in body  # every unit, not only the reader's own: it is published to all
    assert 'class="bulletin"' in body
    assert "d-print-none" in body
    assert 'id="bulletin-publish"' not in body


def test_detail_of_a_stale_draft_warns_the_office(client, draft, office, time_machine):
    time_machine.move_to(at(2013, 4, 8, 11), tick=False)
    report_compute(campaign=draft.campaign, month=MAR, actor=office)
    client.force_login(office)
    body = client.get(reverse("dashboard:bulletin_detail", args=[draft.pk])).content.decode()
    assert 'id="bulletin-stale"' in body


# ------------------------------------------------------------------------------
# The xlsx download
# ------------------------------------------------------------------------------


def test_download_opens_with_sentences_and_department_table_and_no_formulas(client, published):
    department = Department.objects.get(code="flh")
    department.name = '=HYPERLINK("http://x","点我")'
    department.save()
    client.force_login(user_with_role(Role.AUDITOR))
    response = client.get(reverse("dashboard:bulletin_download", args=[published.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["通报", "分单位进度"]
    summary = [row[0] for row in workbook["通报"].iter_rows(min_row=2, values_only=True)]
    assert summary[0] == published.title
    assert summary[2:] == EXPECTED_SENTENCES
    table = workbook["分单位进度"]
    rows = {row[0]: row for row in table.iter_rows(min_row=2, values_only=True)}
    gxj = rows["许昌市工业和信息化局"]
    assert gxj[1:5] == (200000, 6000, 26000, 13.0)
    assert rows["全市合计"][3] == 31200
    assert rows["许昌市教育局"][8] is None  # 培训合格率 with nothing trained: no number
    assert '=HYPERLINK("http://x","点我")' in rows
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    assert AuditEvent.objects.filter(action="bulletin.download").count() == 1


def test_export_refuses_a_reader_who_may_not_see_the_draft(draft):
    with pytest.raises(PermissionDenied):
        bulletin_export(bulletin=draft, actor=clerk_of("rsj"), target=io.BytesIO())


# ------------------------------------------------------------------------------
# Query counts: independent of the number of months and departments
# ------------------------------------------------------------------------------


def _publish_months(plan, office, months):
    for month in months:
        make_return(plan, "gxj", month, lines={1: (1000, 900, 800, 700, 10)})
        make_return(plan, "rsj", month, lines={2: (100, 90, 80, 70, 1)})
        report_compute(campaign=plan, month=month)
        bulletin_publish(
            bulletin=bulletin_draft(campaign=plan, month=month, actor=office), actor=office
        )


def _months(first: datetime.date, count: int) -> list[datetime.date]:
    months, month = [], first
    for _ in range(count):
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def test_bulletin_pages_query_count_does_not_grow_with_months(
    client, plan, office, django_assert_max_num_queries, time_machine
):
    time_machine.move_to(at(2014, 7, 8, 10), tick=False)
    client.force_login(office)
    counts = []
    for months in (_months(JAN, 3), _months(datetime.date(2013, 4, 1), 15)):
        _publish_months(plan, office, months)
        latest = Bulletin.objects.order_by("-month").first()
        urls = [
            reverse("dashboard:bulletin_list"),
            reverse("dashboard:bulletin_detail", args=[latest.pk]),
            reverse("dashboard:bulletin_download", args=[latest.pk]),
        ]
        for url in urls:
            with django_assert_max_num_queries(10) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
    assert Bulletin.objects.count() == 18
    assert counts[:3] == counts[3:]
