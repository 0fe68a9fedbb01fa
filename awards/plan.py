"""The ``[[awards]]`` and ``[awards_settings]`` sections of the plan file: the two award kinds,
their published criteria, and the nominating units (every county and the departments of the
kinds listed). Registered with ``training.services.plan.register_plan_section`` from
``AwardsConfig.ready``; idempotent (a second load changes nothing)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.models import County, Department
from training.services.plan import upsert


def load_awards_section(*, campaign, data: dict[str, Any], result) -> None:
    from awards.models import AwardKind, NominatingUnit, ReviewCriterion

    for order, raw in enumerate(data.get("awards", []), start=1):
        kind, c, u = upsert(
            AwardKind,
            {"campaign": campaign, "code": raw["code"]},
            {
                "name": raw["name"],
                "winners_per_cycle": raw["winners_per_cycle"],
                "prize": Decimal(str(raw["prize"])).quantize(Decimal("0.01")),
                "cycle_years": raw["cycle_years"],
                "min_certificate_level": raw.get("min_certificate_level"),
                "max_competition_rank": raw.get("max_competition_rank"),
                "default_unit_ceiling": raw["default_unit_ceiling"],
                "notice_working_days": raw["notice_working_days"],
                "eligibility_text": raw.get("eligibility_text", ""),
                "sort_order": order,
            },
        )
        result.count("award_kinds", created=c, updated=u)
        for position, criterion in enumerate(raw.get("criteria", []), start=1):
            _, c, u = upsert(
                ReviewCriterion,
                {"award_kind": kind, "code": criterion["code"]},
                {
                    "name": criterion["name"],
                    "weight": Decimal(str(criterion["weight"])),
                    "max_score": criterion["max_score"],
                    "sort_order": position,
                },
            )
            result.count("award_criteria", created=c, updated=u)

    settings = data.get("awards_settings", {})
    kinds = settings.get("nominating_department_kinds", [])
    for department in Department.objects.filter(kind__in=kinds):
        _, c, u = upsert(
            NominatingUnit,
            {"department": department},
            {
                "kind": NominatingUnit.Kind.DEPARTMENT,
                "name": department.name,
                "sort_order": department.sort_order,
            },
        )
        result.count("nominating_units", created=c, updated=u)
    if data.get("awards"):
        for county in County.objects.all():
            _, c, u = upsert(
                NominatingUnit,
                {"county": county},
                {
                    "kind": NominatingUnit.Kind.COUNTY,
                    "name": county.name,
                    "sort_order": county.sort_order,
                },
            )
            result.count("nominating_units", created=c, updated=u)
