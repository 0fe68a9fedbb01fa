"""The plan file's per-level application rules ([[level_rules]]), loaded by ``load_plan``."""

from typing import Any

from appraisal.models import LevelRule


def load_level_rules_section(*, campaign, data: dict[str, Any], result) -> None:
    """Create the rule of every level that has none; never touch an existing rule (人社 and the
    office own them once loaded: ``level_rule_update``). Idempotent. Runs inside ``plan_load``'s
    transaction, which writes the audit row."""
    for raw in data.get("level_rules", []):
        _, created = LevelRule.objects.get_or_create(
            level=raw["level"],
            defaults={
                "requires_lower_certificate": raw["requires_lower_certificate"],
                "requires_completed_class": raw["requires_completed_class"],
                "min_years_in_trade": raw["min_years_in_trade"],
            },
        )
        result.count("level_rules", created=created, updated=False)
