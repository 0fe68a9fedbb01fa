"""Audit-workbook sheets of the work ledger (``责任分解``) and the "1688" programme (``1688工程``).

Imported at the bottom of ``training/exports.py`` so that the registry finds them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from django.db.models import Count

from core import clock
from core.exports import PERCENT_FORMAT, Exporter, register_audit_exporter
from training.models import Facility, FacilityTarget, LedgerTask
from training.selectors.facilities import facility_progress

_SOURCES = dict(LedgerTask.Source.choices)
_STATES = dict(LedgerTask.State.choices)
_FACILITY_STATUSES = dict(Facility.Status.choices)


class LedgerExporter(Exporter):
    """责任分解: every task of the ledger with its units, leader, deadline and state on the day of
    the export (状态 and 逾期天数 derived as on the ledger page). Two queries whatever the number of
    tasks: the tasks, and the assisting units of all of them."""

    sheet_name = "责任分解"
    headers = (
        "编号",
        "来源",
        "联席会议",
        "工作任务",
        "工作要求",
        "主办单位",
        "协办单位",
        "责任领导",
        "完成时限",
        "状态",
        "逾期天数",
        "最近进度%",
        "最近报告日期",
        "完成日期",
    )
    widths = (8, 10, 22, 36, 50, 16, 36, 14, 12, 8, 8, 10, 12, 12)

    def _tasks(self):
        return LedgerTask.objects.filter(campaign=self.campaign)

    def _assisting(self) -> dict[int, list[str]]:
        through = LedgerTask.assisting_units.through
        names: dict[int, list[str]] = defaultdict(list)
        rows = (
            through.objects.filter(ledgertask__campaign=self.campaign)
            .order_by("department__sort_order")
            .values_list("ledgertask_id", "department__short_name")
        )
        for task_id, name in rows:
            names[task_id].append(name)
        return names

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        day = clock.today()
        assisting = self._assisting()
        tasks = (
            self._tasks()
            .select_related("lead_unit", "meeting")
            .order_by("sort_order", "code")
            .iterator(chunk_size=self.chunk_size)
        )
        for task in tasks:
            yield (
                task.code,
                _SOURCES.get(task.source, task.source),
                str(task.meeting) if task.meeting else "",
                task.title,
                task.requirements,
                task.lead_unit.short_name,
                "、".join(assisting.get(task.pk, [])),
                task.leader,
                task.deadline,
                _STATES[task.state_on(day)],
                task.days_overdue(day) or None,
                task.progress_percent,
                task.last_reported_on,
                task.completed_on,
            )

    def row_count(self) -> int:
        return self._tasks().count()


class FacilitiesExporter(Exporter):
    """1688工程: per target a 小计 row (目标, 已建成（含已验收）, 完成%) followed by that target's
    facilities with their county, status, the date of every step and the number of evidence files.
    完成% = completed-or-accepted ÷ target, one decimal, half up. Two queries."""

    sheet_name = "1688工程"
    headers = (
        "类型",
        "名称",
        "县（市、区）",
        "状态",
        "立项日期",
        "开工日期",
        "建成日期",
        "验收日期",
        "证明材料（份）",
        "目标（所）",
        "已建成（含已验收）",
        "完成%",
    )
    widths = (26, 32, 14, 10, 12, 12, 12, 12, 12, 10, 16, 10)
    number_formats: ClassVar[Mapping[int, str]] = {11: PERCENT_FORMAT}

    def _facilities(self):
        return Facility.objects.filter(target__campaign=self.campaign)

    def iter_rows(self) -> Iterator[Sequence[Any]]:
        progress = facility_progress(campaign=self.campaign)
        facilities = (
            self._facilities()
            .select_related("target", "county")
            .annotate(evidence_count=Count("evidence"))
            .order_by("target__sort_order", "target_id", "county__sort_order", "name")
            .iterator(chunk_size=self.chunk_size)
        )
        pending = next(facilities, None)
        for row in progress:
            target = row.target
            yield (
                target.get_kind_display(),
                "小计",
                "",
                "",
                None,
                None,
                None,
                None,
                None,
                target.figure,
                row.counted,
                row.percent,
            )
            while pending is not None and pending.target_id == target.pk:
                f = pending
                yield (
                    target.get_kind_display(),
                    f.name,
                    f.county.name,
                    _FACILITY_STATUSES.get(f.status, f.status),
                    f.planned_on,
                    f.construction_started_on,
                    f.completed_on,
                    f.accepted_on,
                    f.evidence_count,
                    None,
                    None,
                    None,
                )
                pending = next(facilities, None)

    def row_count(self) -> int:
        """Subtotal rows plus facility rows, in one query."""
        counts = FacilityTarget.objects.filter(campaign=self.campaign).aggregate(
            targets=Count("pk", distinct=True), facilities=Count("facilities")
        )
        return counts["targets"] + counts["facilities"]


register_audit_exporter(LedgerExporter, order=100)
register_audit_exporter(FacilitiesExporter, order=110)
