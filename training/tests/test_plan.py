"""The campaign as data: load_plan against the figures of DOMAIN.md §2, typed here by hand."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from core.models import AuditEvent, County, Department
from training.models import Campaign, Phase, Target, TrainingCategory
from training.services.plan import plan_load

pytestmark = pytest.mark.django_db

# (number, category, responsible unit's short name, quota) — DOMAIN.md §2.
EXPECTED_CATEGORIES = [
    (1, "企业职工在岗和转岗技能培训", "市工信局", 200_000),
    (2, "下岗失业人员培训", "市人社局", 24_000),
    (3, "农村劳动力培训", "市人社局", 68_000),
    (4, "高校毕业生培训", "市人社局", 8_000),
    (5, "创业培训", "市人社局", 6_000),
    (6, "“两后生”培训", "市教育局", 26_000),
    (7, "退役士兵培训", "市民政局", 2_000),
    (8, "“阳光工程”培训", "市农业局", 20_000),
    (9, "“雨露计划”培训", "市农业局", 6_000),
    (10, "困难职工培训", "市总工会", 3_000),
    (11, "青年农民工培训", "团市委", 4_000),
    (12, "妇女技能培训", "市妇联", 30_000),
    (13, "残疾人培训", "市残联", 3_000),
]


@pytest.mark.parametrize(("number", "name", "unit", "quota"), EXPECTED_CATEGORIES)
def test_each_category_has_its_unit_and_quota(plan, number, name, unit, quota):
    category = TrainingCategory.objects.select_related("department").get(
        campaign=plan, number=number
    )
    assert (category.name, category.department.short_name, category.quota) == (name, unit, quota)


def test_thirteen_categories_owned_by_nine_units_total_400000(plan):
    categories = TrainingCategory.objects.filter(campaign=plan)
    assert categories.count() == 13
    assert categories.values("department").distinct().count() == 9
    assert sum(c.quota for c in categories) == 400_000


def test_headline_targets_and_phases(plan):
    targets = {t.code: t.figure for t in Target.objects.filter(campaign=plan)}
    assert targets == {
        "training": 400_000,
        "appraisal": 45_000,
        "high_skilled": 7_000,
        "employment": 320_000,
    }
    phases = list(Phase.objects.filter(campaign=plan).values_list("start_date", "end_date"))
    assert [(s.isoformat(), e.isoformat()) for s, e in phases] == [
        ("2013-03-01", "2013-07-31"),
        ("2013-08-01", "2014-09-30"),
        ("2014-10-01", "2014-12-31"),
    ]


def test_rule_figures_are_data_on_the_campaign(plan):
    assert plan.due_day == 3
    assert plan.lock_day == 10
    assert plan.attendance_threshold == Decimal("0.600")
    assert plan.institution_pass_rate_threshold == Decimal("0.800")
    assert plan.min_inspections_per_class == 3
    assert len(plan.reporting_months()) == 24


def test_places_and_units(plan):
    assert County.objects.count() == 9
    assert Department.objects.filter(kind=Department.Kind.RESPONSIBLE).count() == 9
    assert Department.objects.filter(kind=Department.Kind.OFFICE).count() == 1
    assert Department.objects.filter(kind=Department.Kind.FINANCE).count() == 1


def test_loading_twice_changes_nothing(plan):
    before = {c.pk: (c.updated_at, c.quota) for c in TrainingCategory.objects.filter(campaign=plan)}
    audits = AuditEvent.objects.filter(action="plan.load").count()

    result = plan_load()

    assert not result.changed
    after = {c.pk: (c.updated_at, c.quota) for c in TrainingCategory.objects.filter(campaign=plan)}
    assert after == before
    assert AuditEvent.objects.filter(action="plan.load").count() == audits == 1


def test_half_loaded_database_is_completed_without_duplicates(plan):
    TrainingCategory.objects.filter(number__gte=7).delete()
    Target.objects.filter(code="employment").delete()
    TrainingCategory.objects.filter(number=1).update(quota=1)

    result = plan_load()

    assert result.created == {"targets": 1, "categories": 7}
    assert result.updated == {"categories": 1}
    assert TrainingCategory.objects.filter(campaign=plan).count() == 13
    assert TrainingCategory.objects.get(campaign=plan, number=1).quota == 200_000
    assert Campaign.objects.count() == 1


def test_second_campaign_is_just_data(plan):
    """Another year is rows, not code: categories of both campaigns live side by side."""
    other = Campaign.objects.create(
        code="xuchang-2015",
        name="2015—2016年专项活动",
        start_date="2015-01-01",
        end_date="2016-12-31",
        reporting_start="2015-01-01",
    )
    rsj = Department.objects.get(code="rsj")
    TrainingCategory.objects.create(
        campaign=other, number=1, name="创业培训", department=rsj, quota=9
    )
    assert Campaign.objects.current() == other
    assert TrainingCategory.objects.filter(campaign=plan).count() == 13


def test_load_plan_command_reports_no_change_on_second_run(plan, capsys):
    call_command("load_plan")
    assert "无变化" in capsys.readouterr().out


def test_the_four_subsidy_groups_are_data(plan):
    from training.models import PopulationGroup

    eligible = set(
        PopulationGroup.objects.filter(subsidy_eligible=True).values_list("name", flat=True)
    )
    assert eligible == {
        "城镇登记失业人员",
        "农村转移就业劳动者",
        "毕业年度高校毕业生",
        "城乡未继续升学的应届初高中毕业生",
    }


def test_occupations_load_once_and_the_office_keeps_the_shortage_flag(plan):
    from training.models import Occupation

    assert Occupation.objects.filter(name="钧瓷制作工", is_shortage=True).exists()
    Occupation.objects.filter(name="钧瓷制作工").update(is_shortage=False)
    plan_load()
    assert not Occupation.objects.get(name="钧瓷制作工").is_shortage


def test_registered_plan_section_runs_inside_load(db, monkeypatch):
    from training.services import plan as plan_service

    monkeypatch.setattr(plan_service, "_PLAN_SECTIONS", {})
    seen = []

    def loader(*, campaign, data, result):
        seen.append((campaign.code, "campaign" in data))
        result.count("extras", created=True, updated=False)

    plan_service.register_plan_section("extras", loader)
    result = plan_service.plan_load()
    assert seen == [(result.campaign.code, True)]
    assert result.created["extras"] == 1
