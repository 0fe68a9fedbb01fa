"""The level rules come from the plan file: loading completes missing levels and never
overwrites a rule the office or 人社 changed."""

import pytest

from appraisal.models import LevelRule
from core.roles import Role
from core.tests.factories import user_with_role
from training.services.plan import DEFAULT_PLAN, plan_load, read_plan

pytestmark = pytest.mark.django_db


def test_load_plan_restores_missing_rules_from_the_plan_file(plan, roles):
    LevelRule.objects.all().delete()
    result = plan_load()
    assert result.created["level_rules"] == 5
    expected = {row["level"]: row for row in read_plan(DEFAULT_PLAN)["level_rules"]}
    for rule in LevelRule.objects.all():
        assert rule.min_years_in_trade == expected[rule.level]["min_years_in_trade"]
        assert rule.requires_completed_class == expected[rule.level]["requires_completed_class"]


def test_load_plan_keeps_a_rule_the_office_changed(plan, roles):
    from appraisal.services.bodies import level_rule_update

    rule = LevelRule.objects.get(level=3)
    level_rule_update(
        rule=rule,
        requires_lower_certificate=True,
        requires_completed_class=False,
        min_years_in_trade=7,
        actor=user_with_role(Role.OFFICE),
    )
    result = plan_load()
    assert "level_rules" not in result.created
    assert LevelRule.objects.get(level=3).min_years_in_trade == 7
