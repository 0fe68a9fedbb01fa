"""The audit workbook's 责任分解 and 1688工程 sheets opened with openpyxl, their query counts, and
the demo seeder of the ledger and the programme (run twice)."""

import datetime
import io
import random
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import demo as core_demo
from core.exports import audit_exporter_classes, write_exporters
from core.models import AuditEvent
from training.demo_ledger import seed_ledger
from training.exports_ledger import FacilitiesExporter, LedgerExporter
from training.models import Facility, FacilityEvidence, JointMeeting, LedgerTask
from training.selectors.facilities import facility_progress
from training.services import ledger as services
from training.tests.test_ledger_support import (  # noqa: F401 (fixtures)
    at,
    bulk_facilities,
    clerk,
    frozen_fixture,
    media_root,
    meeting,
    meeting_task,
    office_user,
    plan_task,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen", "media_root")]

Status = Facility.Status


def book_of(plan, *exporters):
    buffer = io.BytesIO()
    write_exporters(buffer, [cls(campaign=plan, user=None) for cls in exporters])
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def rows_of(sheet):
    return list(sheet.iter_rows(values_only=True))


def test_both_sheets_join_the_audit_workbook_in_order():
    names = [cls.sheet_name for cls in audit_exporter_classes()]
    assert names.index("责任分解") < names.index("1688工程")


def test_ledger_sheet_lists_every_task_with_units_and_derived_state(plan):
    office = office_user()
    earlier = meeting(plan, office, held_on=datetime.date(2014, 2, 20))
    task = meeting_task(plan, office, meeting=earlier, deadline=datetime.date(2014, 3, 1))
    services.ledger_note_create(task=plan_task(plan), text="进展", percent=40, actor=clerk("rsj"))
    sheet = book_of(plan, LedgerExporter)["责任分解"]
    rows = rows_of(sheet)
    assert rows[0][:4] == ("编号", "来源", "联席会议", "工作任务")
    by_code = {row[0]: row for row in rows[1:]}
    assert len(by_code) == 19  # 18 plan tasks + 1 follow-up
    row = by_code["4.2.2"]
    assert row[5] == "市人社局"
    assert set(row[6].split("、")) == {"市工信局", "市教育局"}
    assert row[8].date() == datetime.date(2014, 9, 30)
    assert (row[9], row[10], row[11]) == ("推进中", None, 40)
    follow_up = by_code[task.code]
    assert follow_up[1] == "联席会议"
    assert follow_up[2] == "第1次联席会议（2014-02-20）"
    assert (follow_up[9], follow_up[10]) == ("已逾期", 2)


def test_ledger_sheet_writes_hostile_text_as_text(plan):
    office = office_user()
    meeting_task(plan, office, title='=HYPERLINK("http://x")')
    sheet = book_of(plan, LedgerExporter)["责任分解"]
    cell = next(row for row in sheet.iter_rows() if row[0].value == "H1-1")[3]
    assert cell.data_type == "s"
    assert cell.value.startswith("=HYPERLINK")


def test_facilities_sheet_has_a_subtotal_per_target_then_its_facilities(plan):
    bulk_facilities(plan, "service_centre", Status.COMPLETED, 40, prefix="甲")
    bulk_facilities(plan, "service_centre", Status.ACCEPTED, 39, prefix="乙")
    bulk_facilities(plan, "service_centre", Status.UNDER_CONSTRUCTION, 1, prefix="丙")
    bulk_facilities(plan, "county_school", Status.PLANNED, 1, prefix="丁")
    rows = rows_of(book_of(plan, FacilitiesExporter)["1688工程"])
    subtotals = [row for row in rows[1:] if row[1] == "小计"]
    assert [(r[0], r[9], r[10]) for r in subtotals] == [
        ("技师学院", 1, 0),
        ("县办技工学校（技能培训中心）", 6, 0),
        ("公共实训基地", 8, 0),
        ("就业培训服务中心", 80, 79),
    ]
    # 79 ÷ 80 = 98.75 → 98.8, written as a number with the percent format.
    assert subtotals[3][11] == pytest.approx(98.8)
    assert len(rows) == 1 + 4 + 81
    county_rows = [row for row in rows if row[1] and row[1].startswith("丁")]
    assert county_rows[0][0] == "县办技工学校（技能培训中心）"
    assert county_rows[0][3] == "规划中"
    index = rows.index(subtotals[1])
    assert rows[index + 1] == county_rows[0]  # the facility follows its target's subtotal


def test_exports_run_a_constant_number_of_queries(plan):
    office = office_user()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            book_of(plan, LedgerExporter, FacilitiesExporter)
        return len(ctx.captured_queries)

    small = count()
    for i in range(10):
        meeting_task(plan, office, title=f"任务{i}")
    bulk_facilities(plan, "service_centre", Status.COMPLETED, 50)
    bulk_facilities(plan, "training_base", Status.ACCEPTED, 8)
    assert count() == small


# --------------------------------------------------------------------------------------------
# Demo
# --------------------------------------------------------------------------------------------


@pytest.fixture
def demo_day(frozen, roles, plan):
    frozen.move_to(at(2014, 7, 2, 10), tick=False)
    core_demo.seed_accounts()
    return plan


def test_demo_seeds_ledger_and_facilities_and_is_safe_twice(demo_day):
    plan = demo_day
    messages = []
    seed_ledger(campaign=plan, scale=1, rng=random.Random(2013), log=messages.append)
    assert JointMeeting.objects.filter(campaign=plan).count() == 2
    assert LedgerTask.objects.filter(campaign=plan, source="meeting").count() == 4
    overdue = LedgerTask.objects.filter(campaign=plan).overdue_on(datetime.date(2014, 7, 2))
    assert list(overdue.values_list("code", flat=True)) == ["H2-1"]
    assert plan_task(plan, "3.1").status == LedgerTask.Status.DONE
    progress = {row.target.kind: row for row in facility_progress(campaign=plan)}
    assert progress["technician_college"].percent == Decimal("100.0")
    assert progress["service_centre"].counted == 58
    assert progress["service_centre"].percent == Decimal("72.5")  # 58 × 100 ÷ 80
    # Every built facility has its evidence, as the services require.
    built = Facility.objects.filter(status__in=Facility.COUNTED)
    for facility in built:
        assert FacilityEvidence.objects.filter(facility=facility, status="completed").exists()
    assert AuditEvent.objects.filter(action="demo.seed_ledger").count() == 1

    def sizes():
        return [m.objects.count() for m in (LedgerTask, Facility, FacilityEvidence, JointMeeting)]

    before = sizes()
    seed_ledger(campaign=plan, scale=1, rng=random.Random(2013), log=messages.append)
    assert sizes() == before
    assert AuditEvent.objects.filter(action="demo.seed_ledger").count() == 1
    assert any("跳过" in m for m in messages)


def test_row_counts_match_the_rows_written(plan):
    meeting_task(plan, office_user())
    bulk_facilities(plan, "service_centre", Status.COMPLETED, 3)
    bulk_facilities(plan, "county_school", Status.PLANNED, 2)
    book = book_of(plan, LedgerExporter, FacilitiesExporter)
    for cls in (LedgerExporter, FacilitiesExporter):
        written = len(rows_of(book[cls.sheet_name])) - 1  # the header row
        assert cls(campaign=plan, user=None).row_count() == written
