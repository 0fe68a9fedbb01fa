"""Job fairs, skill demand and the supply–demand analysis: who records what, the figures of a
report computed by hand (trained, certified through appraisal's provider, demand, gap), a
published report that never changes, the pages' permission matrix and query counts, the
downloads, the audit-workbook sheet and the panel."""

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import reverse

from appraisal.models import Certificate
from core.errors import RuleViolation
from core.exports import write_exporters
from core.models import AuditEvent, Department
from core.roles import Role
from core.tests.factories import user_with_role
from training.exports_labour import SupplyDemandExporter
from training.labour_supply import supply_by_occupation
from training.models import (
    Institution,
    JobFair,
    Occupation,
    SkillDemand,
    SupplyDemandReport,
    TrainingClass,
)
from training.selectors import labour_market as selectors
from training.services import labour_market as svc
from training.tests.factories import clerk_of
from training.tests.test_institutions_support import (
    at,
    enroll,
    make_class,
    make_workers,
    office_user,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(at(2014, 7, 10, 10), tick=False)
    return time_machine


def fair_data(organiser, **overrides) -> dict:
    values = {
        "name": "2014年春风行动专场招聘会",
        "held_on": D(2014, 3, 15),
        "place": "许昌市人力资源市场",
        "organiser": organiser,
        "county": None,
        "employers": 120,
        "posts_offered": 3500,
        "attendees": 8000,
        "hires": 1200,
    }
    values.update(overrides)
    return values


def occupations(n: int = 3) -> list[Occupation]:
    return list(Occupation.objects.order_by("code")[:n])


def certify(occupation: Occupation, count: int, issued_on: datetime.date) -> None:
    for worker in make_workers(count):
        Certificate.objects.create(
            number=f"C{worker.pk:012d}",
            kind="qualification",
            worker=worker,
            occupation=occupation,
            level=4,
            issued_on=issued_on,
            issuer_name="许昌市职业技能鉴定中心",
        )


@pytest.fixture
def world(plan):
    rsj = Department.objects.get(code="rsj")
    return {
        "plan": plan,
        "rsj": rsj,
        "office": office_user(),
        "clerk": clerk_of("rsj"),
        "other_clerk": clerk_of("gxj"),
    }


# ------------------------------------------------------------------------------
# Fairs and demand
# ------------------------------------------------------------------------------


def test_clerk_records_own_departments_fair_only(world):
    fair = svc.job_fair_create(
        campaign=world["plan"], data=fair_data(world["rsj"]), actor=world["clerk"]
    )
    assert fair.organiser == world["rsj"]
    assert AuditEvent.objects.get(action="job_fair.create").changes["hires"] == 1200
    with pytest.raises(PermissionDenied):
        svc.job_fair_create(
            campaign=world["plan"], data=fair_data(world["rsj"]), actor=world["other_clerk"]
        )
    with pytest.raises(PermissionDenied):
        svc.job_fair_create(
            campaign=world["plan"],
            data=fair_data(world["rsj"]),
            actor=user_with_role(Role.AUDITOR),
        )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hires": 8001}, "hires"),  # more than attendees
        ({"hires": 3501, "attendees": 9000}, "hires"),  # more than posts
        ({"held_on": D(2014, 7, 11)}, "held_on"),  # tomorrow
    ],
)
def test_fair_figures_checked(world, overrides, field):
    with pytest.raises(ValidationError) as exc:
        svc.job_fair_create(
            campaign=world["plan"], data=fair_data(world["rsj"], **overrides), actor=world["office"]
        )
    assert field in exc.value.message_dict


def test_fair_boundaries_accepted(world):
    svc.job_fair_create(
        campaign=world["plan"],
        data=fair_data(world["rsj"], hires=3500, attendees=3500, held_on=D(2014, 7, 10)),
        actor=world["office"],
    )
    assert JobFair.objects.count() == 1


def test_demand_at_a_fair_takes_its_month_and_survey_is_office_only(world):
    fair = svc.job_fair_create(
        campaign=world["plan"], data=fair_data(world["rsj"]), actor=world["clerk"]
    )
    occupation = occupations(1)[0]
    row = {"employer": "许继集团", "occupation": occupation, "level": 3, "count": 40}
    demand = svc.skill_demand_add(
        campaign=world["plan"], job_fair=fair, data=row, actor=world["clerk"]
    )
    assert (demand.source, demand.month) == ("job_fair", D(2014, 3, 1))
    with pytest.raises(PermissionDenied):
        svc.skill_demand_add(
            campaign=world["plan"], job_fair=fair, data=row, actor=world["other_clerk"]
        )
    with pytest.raises(PermissionDenied):
        svc.skill_demand_add(
            campaign=world["plan"], data={**row, "month": D(2014, 5, 20)}, actor=world["clerk"]
        )
    survey = svc.skill_demand_add(
        campaign=world["plan"], data={**row, "month": D(2014, 5, 20)}, actor=world["office"]
    )
    assert (survey.source, survey.month, survey.job_fair) == ("survey", D(2014, 5, 1), None)


# ------------------------------------------------------------------------------
# The analysis, by hand
# ------------------------------------------------------------------------------


@pytest.fixture
def market(world):
    """Period 2014-03…2014-05. Occupation A: 3 passed in a class closed in April (+1 failed,
    +2 passed in a class closed in June: outside), 2 certificates in May (+1 in February:
    outside), demand 40 at a March fair + 10 surveyed in May (+7 surveyed in June: outside).
    Occupation B: 5 certificates in March, no demand. Occupation C: demand 6 only."""
    plan = world["plan"]
    a, b, c = occupations(3)
    institution = Institution.objects.order_by("name").first()
    in_period = make_class(institution, campaign=plan, end=D(2014, 4, 20))
    in_period.occupation = a
    in_period.save()
    enroll(in_period, passed=3, failed=1)
    late = make_class(institution, campaign=plan, end=D(2014, 6, 5))
    late.occupation = a
    late.save()
    enroll(late, passed=2)
    running = make_class(institution, campaign=plan, end=D(2014, 4, 30), status="approved")
    running.occupation = a
    running.save()
    enroll(running, passed=4)  # not closed: not counted
    certify(a, 2, D(2014, 5, 31))
    certify(a, 1, D(2014, 2, 28))
    certify(b, 5, D(2014, 3, 1))
    fair = svc.job_fair_create(campaign=plan, data=fair_data(world["rsj"]), actor=world["clerk"])
    office = world["office"]
    base = {"employer": "许继集团", "level": 0}
    svc.skill_demand_add(
        campaign=plan, job_fair=fair, data={**base, "occupation": a, "count": 40}, actor=office
    )
    for occupation, count, month in ((a, 10, D(2014, 5, 1)), (a, 7, D(2014, 6, 1))):
        svc.skill_demand_add(
            campaign=plan,
            data={**base, "occupation": occupation, "count": count, "month": month},
            actor=office,
        )
    svc.skill_demand_add(
        campaign=plan,
        data={**base, "occupation": c, "count": 6, "month": D(2014, 4, 9)},
        actor=office,
    )
    return {"a": a, "b": b, "c": c}


def test_certified_supply_comes_from_appraisal_through_the_registry(world, market):
    counts = supply_by_occupation("certified", start=D(2014, 3, 1), end=D(2014, 5, 31))
    assert counts == {market["a"].pk: 2, market["b"].pk: 5}


def test_report_figures_by_hand(world, market):
    report = svc.report_compute(
        campaign=world["plan"],
        period_start=D(2014, 3, 15),
        period_end=D(2014, 5, 2),
        title="",
        actor=world["office"],
    )
    assert (report.period_start, report.period_end) == (D(2014, 3, 1), D(2014, 5, 31))
    assert report.title == "2014年03月至2014年05月技能人才供需分析"
    rows = {
        r.occupation_id: (r.trained, r.certified, r.demand, r.gap)
        for r in selectors.report_rows(report=report)
    }
    assert rows == {
        market["a"].pk: (3, 2, 50, 48),
        market["b"].pk: (0, 5, 0, -5),
        market["c"].pk: (0, 0, 6, 6),
    }
    assert [r.occupation_id for r in selectors.report_rows(report=report)] == [
        market["a"].pk,
        market["c"].pk,
        market["b"].pk,
    ]
    assert selectors.ratio(50, 2) == 25
    assert selectors.ratio(6, 0) is None


def test_recompute_replaces_a_draft_but_a_published_report_never_changes(world, market):
    plan, office = world["plan"], world["office"]
    args = {"campaign": plan, "period_start": D(2014, 3, 1), "period_end": D(2014, 5, 1)}
    report = svc.report_compute(**args, title="第一版", actor=office)
    svc.skill_demand_add(
        campaign=plan,
        data={
            "employer": "瑞贝卡",
            "occupation": market["b"],
            "level": 0,
            "count": 9,
            "month": D(2014, 4, 1),
        },
        actor=office,
    )
    again = svc.report_compute(**args, title="第二版", actor=office)
    assert again.pk == report.pk
    assert again.rows.get(occupation=market["b"]).demand == 9
    svc.report_publish(report=again, summary="数控类岗位缺口较大。", actor=office)
    svc.skill_demand_add(
        campaign=plan,
        data={
            "employer": "瑞贝卡",
            "occupation": market["b"],
            "level": 0,
            "count": 100,
            "month": D(2014, 4, 1),
        },
        actor=office,
    )
    with pytest.raises(RuleViolation, match="已于2014-07-10发布"):
        svc.report_compute(**args, title="第三版", actor=office)
    report.refresh_from_db()
    assert report.title == "第二版"
    assert report.rows.get(occupation=market["b"]).demand == 9
    with pytest.raises(RuleViolation):
        svc.report_publish(report=report, summary="再发", actor=office)
    events = AuditEvent.objects.filter(action__startswith="supply_report").values_list(
        "action", flat=True
    )
    assert list(events.order_by("id")) == [
        "supply_report.compute",
        "supply_report.compute",
        "supply_report.publish",
    ]


def test_publish_needs_a_summary_and_the_office(world, market):
    report = svc.report_compute(
        campaign=world["plan"],
        period_start=D(2014, 3, 1),
        period_end=D(2014, 5, 1),
        title="",
        actor=world["office"],
    )
    with pytest.raises(ValidationError):
        svc.report_publish(report=report, summary="  ", actor=world["office"])
    with pytest.raises(PermissionDenied):
        svc.report_publish(report=report, summary="意见", actor=world["clerk"])
    with pytest.raises(PermissionDenied):
        svc.report_compute(
            campaign=world["plan"],
            period_start=D(2014, 3, 1),
            period_end=D(2014, 5, 1),
            title="",
            actor=user_with_role(Role.AUDITOR),
        )
    report.refresh_from_db()
    assert report.status == SupplyDemandReport.Status.DRAFT


def test_period_checks(world):
    with pytest.raises(ValidationError) as exc:
        svc.report_compute(
            campaign=world["plan"],
            period_start=D(2014, 5, 1),
            period_end=D(2014, 4, 30),
            title="",
            actor=world["office"],
        )
    assert "period_end" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        svc.report_compute(
            campaign=world["plan"],
            period_start=D(2014, 8, 1),
            period_end=D(2014, 8, 1),
            title="",
            actor=world["office"],
        )
    assert "period_start" in exc.value.message_dict
    assert TrainingClass.objects.count() == 0


# ------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------


def _users(world, plan):
    return {
        "worker": lambda: user_with_role(Role.WORKER),
        "finance": lambda: user_with_role(Role.FINANCE),
        "institution": lambda: user_with_role(
            Role.INSTITUTION, institution=Institution.objects.first()
        ),
        "reviewer": lambda: user_with_role(Role.REVIEWER),
        "clerk": lambda: world["clerk"],
        "other_clerk": lambda: world["other_clerk"],
        "auditor": lambda: user_with_role(Role.AUDITOR),
        "office": lambda: world["office"],
    }


@pytest.mark.parametrize(
    ("who", "list_status", "detail_status"),
    [
        ("anonymous", 302, 302),
        ("worker", 403, 403),
        ("finance", 403, 403),
        ("institution", 403, 403),
        ("other_clerk", 200, 404),
        ("clerk", 200, 200),
        ("auditor", 200, 200),
        ("office", 200, 200),
    ],
)
def test_job_fair_pages_permission_matrix(client, world, who, list_status, detail_status):
    fair = svc.job_fair_create(
        campaign=world["plan"], data=fair_data(world["rsj"]), actor=world["clerk"]
    )
    if who != "anonymous":
        client.force_login(_users(world, world["plan"])[who]())
    response = client.get(reverse("training:job_fair_list"))
    assert response.status_code == list_status
    if who == "other_clerk":
        assert fair.name not in response.content.decode()
    detail = client.get(reverse("training:job_fair_detail", args=[fair.pk]))
    assert detail.status_code == detail_status


@pytest.mark.parametrize(
    ("who", "draft", "published"),
    [
        ("anonymous", 302, 302),
        ("worker", 403, 403),
        ("finance", 403, 403),
        ("institution", 404, 200),
        ("reviewer", 404, 200),
        ("clerk", 404, 200),
        ("auditor", 404, 200),
        ("office", 200, 200),
    ],
)
def test_report_pages_permission_matrix(client, world, market, who, draft, published):
    office = world["office"]
    args = {"campaign": world["plan"], "title": "", "actor": office}
    draft_report = svc.report_compute(**args, period_start=D(2014, 3, 1), period_end=D(2014, 5, 1))
    done = svc.report_compute(**args, period_start=D(2014, 1, 1), period_end=D(2014, 6, 1))
    svc.report_publish(report=done, summary="意见", actor=office)
    if who != "anonymous":
        client.force_login(_users(world, world["plan"])[who]())
    for report, status in ((draft_report, draft), (done, published)):
        assert (
            client.get(reverse("training:supply_report_detail", args=[report.pk])).status_code
            == status
        )
        download = client.get(reverse("training:supply_report_download", args=[report.pk]))
        assert download.status_code == status
    listing = client.get(reverse("training:supply_report_list"))
    if who in ("institution", "reviewer", "clerk", "auditor"):
        assert done.title in listing.content.decode()
        assert draft_report.title not in listing.content.decode()


def test_office_computes_and_publishes_through_the_pages(client, world, market):
    client.force_login(world["office"])
    bad = client.post(
        reverse("training:supply_report_compute"),
        {"period_start": "2014-05-01", "period_end": "2014-03-01"},
    )
    assert bad.status_code == 400
    response = client.post(
        reverse("training:supply_report_compute"),
        {"period_start": "2014-03-01", "period_end": "2014-05-01", "title": "二季度分析"},
    )
    report = SupplyDemandReport.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("training:supply_report_detail", args=[report.pk])).content.decode()
    assert "二季度分析" in page
    assert "publish-form" in page
    url = reverse("training:supply_report_publish", args=[report.pk])
    assert client.post(url, {"summary": ""}).status_code == 400
    assert client.post(url, {"summary": "汽修类缺口大"}).status_code == 302
    assert client.post(url, {"summary": "再次"}).status_code == 400
    clerk = world["clerk"]
    client.force_login(clerk)
    assert client.post(url, {"summary": "x"}).status_code == 403


def test_fair_form_clerk_cannot_pick_another_department(client, world):
    client.force_login(world["clerk"])
    form = fair_data(Department.objects.get(code="gxj"))
    form["organiser"] = form["organiser"].pk
    form["county"] = ""
    response = client.post(reverse("training:job_fair_create"), form)
    assert response.status_code == 400
    assert not JobFair.objects.exists()
    form["organiser"] = world["rsj"].pk
    assert client.post(reverse("training:job_fair_create"), form).status_code == 302


def test_lists_query_counts(client, world, django_assert_max_num_queries):
    plan = world["plan"]
    for i in range(25):
        svc.job_fair_create(
            campaign=plan,
            data=fair_data(world["rsj"], name=f"招聘会{i}", held_on=D(2014, 1 + i % 6, 1)),
            actor=world["office"],
        )
    for month in range(1, 7):
        svc.report_compute(
            campaign=plan,
            period_start=D(2014, month, 1),
            period_end=D(2014, month, 1),
            title="",
            actor=world["office"],
        )
    client.force_login(world["office"])
    with django_assert_max_num_queries(10):
        assert client.get(reverse("training:job_fair_list")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("training:supply_report_list")).status_code == 200


# ------------------------------------------------------------------------------
# Downloads, workbook sheet, panel
# ------------------------------------------------------------------------------


def test_download_and_audit_sheet_hold_the_published_rows(
    client, world, market, django_assert_max_num_queries
):
    office = world["office"]
    report = svc.report_compute(
        campaign=world["plan"],
        period_start=D(2014, 3, 1),
        period_end=D(2014, 5, 1),
        title="二季度",
        actor=office,
    )
    client.force_login(office)
    body = b"".join(
        client.get(reverse("training:supply_report_download", args=[report.pk])).streaming_content
    )
    rows = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    assert rows[1][1:] == (market["a"].name, 3, 2, 50, 48, 25)
    # A draft is not in the audit workbook; once published it is.
    handle = io.BytesIO()
    write_exporters(handle, [SupplyDemandExporter(campaign=world["plan"], user=None)])
    handle.seek(0)
    assert openpyxl.load_workbook(handle)["供需分析"].max_row == 1
    svc.report_publish(report=report, summary="意见", actor=office)
    handle = io.BytesIO()
    with django_assert_max_num_queries(1):
        write_exporters(handle, [SupplyDemandExporter(campaign=world["plan"], user=None)])
    handle.seek(0)
    rows = list(openpyxl.load_workbook(handle)["供需分析"].iter_rows(values_only=True))
    assert len(rows) == 4
    assert rows[1][0] == "二季度"
    assert rows[1][5:] == (market["a"].name, 3, 2, 50, 48, 25)


def test_panel_shows_the_latest_published_shortages(world, market):
    office = world["office"]
    panel = selectors.home_panel(user=office, campaign=world["plan"])
    assert panel == {"report": None}
    report = svc.report_compute(
        campaign=world["plan"],
        period_start=D(2014, 3, 1),
        period_end=D(2014, 5, 1),
        title="二季度",
        actor=office,
    )
    svc.report_publish(report=report, summary="意见", actor=office)
    panel = selectors.home_panel(user=office, campaign=world["plan"])
    assert [r.gap for r in panel["gaps"]] == [48, 6]
    html = render_to_string("training/labour_market/_home_panel.html", {"panel": panel})
    assert f"{market['a'].name}：需求 50，持证 2，缺口 48" in html
    assert SkillDemand.objects.count() == 4


# ------------------------------------------------------------------------------
# Demo data
# ------------------------------------------------------------------------------


def test_demo_seeders_fill_every_feature_consistently_and_run_twice(world):
    import random

    from training.demo_labour import LATE_SEEDERS, SEEDERS
    from training.models import EducationFundReturn, Enterprise, Teacher
    from training.models.enterprise_funds import fund_due

    lines = []
    for _ in range(2):
        for seeder in SEEDERS + LATE_SEEDERS:
            seeder(campaign=world["plan"], scale=1, rng=random.Random(7), log=lines.append)
    assert sum("跳过" in line for line in lines) == 3
    assert Teacher.objects.count() >= 6 * Institution.objects.count()
    assert Enterprise.objects.count() == 40
    returns = list(EducationFundReturn.objects.select_related("enterprise"))
    assert {r.year for r in returns} == {2013}
    for r in returns:
        assert r.rate is None or r.min_rate <= r.rate <= r.max_rate
        assert r.due == fund_due(
            payroll=r.payroll,
            above_scale=r.enterprise.above_scale,
            did_training=r.did_training,
            min_rate=r.min_rate,
            collection_share=r.collection_share,
        )
    assert any(r.due > 0 for r in returns)
    assert all(f.held_on <= D(2014, 7, 10) for f in JobFair.objects.all())
    assert SkillDemand.objects.filter(source="survey").exists()
    report = SupplyDemandReport.objects.get()
    assert (report.period_start, report.period_end) == (D(2014, 1, 1), D(2014, 6, 30))
    assert report.status == "published"
    assert report.rows.filter(demand__gt=0).exists()
    assert AuditEvent.objects.filter(action__startswith="demo.seed_").count() == 3
