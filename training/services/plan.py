"""Loading a campaign plan (a TOML file in ``training/plans/``) into the database."""

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models, transaction

from core.models import County, Department, User
from core.services import audit_record
from training.models import (
    Campaign,
    Institution,
    Occupation,
    Phase,
    PopulationGroup,
    SpecialtyIndustry,
    Target,
    TrainingCategory,
)

PLANS_DIR = Path(__file__).resolve().parent.parent / "plans"
DEFAULT_PLAN = PLANS_DIR / "xuchang_2013.toml"

_CAMPAIGN_FIELDS = (
    "name",
    "document_number",
    "start_date",
    "end_date",
    "reporting_start",
    "due_day",
    "lock_day",
    "attendance_threshold",
    "institution_pass_rate_threshold",
    "min_inspections_per_class",
    "idle_years_before_revocation",
    "behind_pace_points",
    "evidence_tolerance",
)
_DECIMAL_FIELDS = frozenset(
    {
        "attendance_threshold",
        "institution_pass_rate_threshold",
        "behind_pace_points",
        "evidence_tolerance",
    }
)
# Fields a plan file may leave out (older plans); the model's default applies then.
_OPTIONAL_FIELDS = frozenset({"document_number", "evidence_tolerance"})


@dataclass
class LoadResult:
    campaign: Campaign
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())

    def count(self, kind: str, *, created: bool, updated: bool) -> None:
        if created:
            self.created[kind] = self.created.get(kind, 0) + 1
        elif updated:
            self.updated[kind] = self.updated.get(kind, 0) + 1


def upsert(
    model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[models.Model, bool, bool]:
    """get-or-create by natural key, saving only when a value differs, so that loading the
    same plan twice writes nothing (not even ``updated_at``)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), True, False
    dirty = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in dirty:
        setattr(obj, name, values[name])
    if dirty:
        obj.save(update_fields=[*dirty, "updated_at"])
    return obj, False, bool(dirty)


def _campaign_values(raw: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for name in _CAMPAIGN_FIELDS:
        if name in _OPTIONAL_FIELDS and name not in raw:
            continue
        value = raw[name]
        if name in _DECIMAL_FIELDS:
            value = Decimal(str(value))
        values[name] = value
    return values


# Sections of the plan file that belong to other features or apps (the awards, the ledger, …).
# A loader takes (campaign, data, result), upserts by natural key and counts what it changed.
PlanSectionLoader = Callable[..., None]
_PLAN_SECTIONS: dict[str, PlanSectionLoader] = {}


def register_plan_section(name: str, loader: PlanSectionLoader) -> None:
    """Have ``plan_load`` also load ``name`` (idempotent: registering twice replaces). Apps call
    this from ``AppConfig.ready``; loaders run in registration order inside the same
    transaction, after the campaign's own sections."""
    _PLAN_SECTIONS[name] = loader


def read_plan(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@transaction.atomic
def plan_load(*, path: Path = DEFAULT_PLAN, actor: User | None = None) -> LoadResult:
    """Load (or complete) a campaign from its plan file. Idempotent: a second run changes no row,
    and a half-loaded database is completed without duplicates because every row is matched by
    its natural key. Writes one audit row when anything changed."""
    data = read_plan(path)
    raw_campaign = data["campaign"]
    campaign, created, updated = upsert(
        Campaign, {"code": raw_campaign["code"]}, _campaign_values(raw_campaign)
    )
    result = LoadResult(campaign=campaign)
    result.count("campaign", created=created, updated=updated)

    for order, raw in enumerate(data.get("departments", []), start=1):
        _, c, u = upsert(
            Department,
            {"code": raw["code"]},
            {
                "name": raw["name"],
                "short_name": raw["short_name"],
                "kind": raw["kind"],
                "sort_order": order,
            },
        )
        result.count("departments", created=c, updated=u)
    departments = {d.code: d for d in Department.objects.all()}

    for order, raw in enumerate(data.get("counties", []), start=1):
        county, c, u = upsert(
            County,
            {"code": raw["code"]},
            {"name": raw["name"], "kind": raw["kind"], "sort_order": order},
        )
        result.count("counties", created=c, updated=u)
        for name in raw.get("specialties", []):
            _, c, u = upsert(
                SpecialtyIndustry, {"campaign": campaign, "county": county, "name": name}, {}
            )
            result.count("specialties", created=c, updated=u)
    counties = {c.code: c for c in County.objects.all()}

    for raw in data.get("phases", []):
        _, c, u = upsert(
            Phase,
            {"campaign": campaign, "number": raw["number"]},
            {
                "name": raw["name"],
                "description": raw.get("description", ""),
                "start_date": raw["start_date"],
                "end_date": raw["end_date"],
            },
        )
        result.count("phases", created=c, updated=u)

    for order, raw in enumerate(data.get("targets", []), start=1):
        _, c, u = upsert(
            Target,
            {"campaign": campaign, "code": raw["code"]},
            {
                "name": raw["name"],
                "figure": raw["figure"],
                "unit": raw["unit"],
                "sort_order": order,
            },
        )
        result.count("targets", created=c, updated=u)

    for raw in data.get("categories", []):
        _, c, u = upsert(
            TrainingCategory,
            {"campaign": campaign, "number": raw["number"]},
            {
                "name": raw["name"],
                "department": departments[raw["department"]],
                "quota": raw["quota"],
            },
        )
        result.count("categories", created=c, updated=u)

    for raw in data.get("institutions", []):
        _, c, u = upsert(
            Institution,
            {"name": raw["name"]},
            {"kind": raw["kind"], "county": counties.get(raw.get("county"))},
        )
        result.count("institutions", created=c, updated=u)

    for order, raw in enumerate(data.get("population_groups", []), start=1):
        _, c, u = upsert(
            PopulationGroup,
            {"code": raw["code"]},
            {
                "name": raw["name"],
                "subsidy_eligible": raw["subsidy_eligible"],
                "sort_order": order,
            },
        )
        result.count("population_groups", created=c, updated=u)

    for raw in data.get("occupations", []):
        # The shortage flag is the office's to maintain after the first load: only set it once.
        occupation = Occupation.objects.filter(code=raw["code"]).first()
        if occupation is None:
            Occupation.objects.create(
                code=raw["code"], name=raw["name"], is_shortage=raw.get("shortage", False)
            )
            result.count("occupations", created=True, updated=False)
        elif occupation.name != raw["name"]:
            occupation.name = raw["name"]
            occupation.save(update_fields=["name", "updated_at"])
            result.count("occupations", created=False, updated=True)

    for section in _PLAN_SECTIONS.values():
        section(campaign=campaign, data=data, result=result)

    if result.changed:
        audit_record(
            actor=actor,
            action="plan.load",
            obj=campaign,
            changes={"created": result.created, "updated": result.updated},
            reason=path.name,
        )
    return result
