"""The audit workbook (审计工作簿) for the superior-level audit: an ordered list of exporter classes
collected from the apps.

Each app registers its sheets in its own ``exports.py`` with
``core.exports.register_audit_exporter(cls, order=N)``; this module imports them (and
``core.exports`` imports every app's ``exports`` module anyway), assembles the workbook for the
current campaign and registers the ``audit_workbook`` export kind that the office's download
button starts as a job. ``manage.py export_audit`` writes the same workbook synchronously.
"""

from __future__ import annotations

import datetime
import re
from typing import IO, TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import training.exports  # noqa: F401 - registers the training sheets
from core import clock
from core.errors import RuleViolation
from core.exports import (
    Exporter,
    ExportKind,
    ProgressCallback,
    WorkbookPlan,
    audit_exporter_classes,
    register_export_kind,
    write_exporters,
)
from core.models import User
from core.services import audit_record
from training import selectors as training_selectors

if TYPE_CHECKING:
    from os import PathLike

    from training.models import Campaign

AUDIT_WORKBOOK = "audit_workbook"


def audit_workbook_exporters(*, campaign: Campaign, user: User | None) -> list[Exporter]:
    """One exporter per sheet, in the registered order."""
    return [cls(campaign=campaign, user=user) for cls in audit_exporter_classes()]


def audit_workbook_filename(campaign: Campaign, day: datetime.date) -> str:
    """``许昌市技能振兴专项活动_审计工作簿_20140702.xlsx``: the campaign's name without the
    bracketed years, so a later campaign gets its own name."""
    title = re.split(r"[（(]", campaign.name, maxsplit=1)[0].strip() or campaign.code
    return f"{title}_审计工作簿_{day:%Y%m%d}.xlsx"


def _current_campaign() -> Campaign:
    campaign = training_selectors.campaign_current()
    if campaign is None:
        raise RuleViolation(_("尚未载入专项活动方案，无法导出"), code="no_campaign")
    return campaign


def audit_workbook_plan(*, user: User | None, campaign: Campaign | None = None) -> WorkbookPlan:
    campaign = campaign or _current_campaign()
    return WorkbookPlan(
        exporters=audit_workbook_exporters(campaign=campaign, user=user),
        filename=audit_workbook_filename(campaign, clock.today()),
    )


register_export_kind(
    ExportKind(code=AUDIT_WORKBOOK, label=gettext_lazy("审计工作簿"), build=audit_workbook_plan)
)


def audit_workbook_write(
    target: str | PathLike[str] | IO[bytes],
    *,
    actor: User | None,
    campaign: Campaign | None = None,
    progress: ProgressCallback | None = None,
    via: str = "command",
) -> dict[str, int]:
    """Write the audit workbook synchronously (no job) and return the row count of each sheet.

    For ``manage.py export_audit`` and anything else that needs the file at once. Side effect:
    AuditEvent ``export.done`` naming the kind, the sheets' row counts and ``via``. Raises
    RuleViolation when no campaign is loaded.
    """
    plan = audit_workbook_plan(user=actor, campaign=campaign)
    counts = write_exporters(target, plan.exporters, progress=progress)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="export.done",
            changes={"kind": AUDIT_WORKBOOK, "rows": counts, "via": via},
        )
    return counts
