"""Export memory stays flat however many rows (issue 10).

The audit workbook must be written in constant memory: rows stream from the database in chunks
(``.iterator(chunk_size=…)``) into openpyxl's write-only sheets, which go to temporary files.
Each test writes a sheet at N and at 4N rows and compares the peak of Python allocations
(tracemalloc): anything that keeps rows — a list of rows, a query fetched whole, an id → name
cache, a workbook written to memory — makes the bigger run's peak grow with the extra rows.
Each bound is checked against a control that does keep the rows, so the measure can fail.

Writing speed (rows/s against bare openpyxl, the benchmark's ``audit_export_vs_openpyxl``) comes
from handing openpyxl plain values where it types them as we do; the last test checks that this
fast path writes exactly the XML of the careful one.
"""

import datetime
import gc
import io
import tracemalloc
import zipfile
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy

from core.exports import PERCENT_FORMAT, Exporter, write_exporters
from core.xlsx import TextCell, XlsxWriter
from training.exports_labour import TeachersExporter
from training.models import Institution, Teacher

# The peak may differ by a few buffers and interned objects between runs (~2 KB measured), never
# by rows: the 1,500 more rows of this sheet kept in memory take ~900 KB.
FLAT_BOUND = 256 * 1024


def _peak(write: Callable[[], object]) -> int:
    """The peak of Python allocations made while ``write`` runs, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        write()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------------------------
# The writer (no database): the shape of the biggest audit sheet, 补贴发放
# --------------------------------------------------------------------------------------------


class ClaimsLikeExporter(Exporter):
    """Rows like 补贴发放's: numbers, Chinese labels, masked IDs, money, dates, empty cells."""

    sheet_name = "补贴发放"
    headers = (
        "申请编号",
        "补贴类型",
        "姓名",
        "身份证号码",
        "金额（元）",
        "占比%",
        "发放日期",
        "备注",
    )
    number_formats = {5: PERCENT_FORMAT}

    def __init__(self, rows: int, *, keep: bool = False) -> None:
        super().__init__(campaign=None, user=None)
        self.rows = rows
        self.kept: list[tuple] | None = [] if keep else None

    def iter_rows(self):
        day = datetime.date(2014, 6, 30)
        for index in range(self.rows):
            row = (
                f"BT2014{index:08d}",
                "职业培训补贴",
                f"张{index % 97}丰",
                TextCell(f"4110**********{index % 1000:03d}X"),
                Decimal(index % 5000) / 4,
                Decimal(index % 1000) / 10,
                day - datetime.timedelta(days=index % 365),
                None,
            )
            if self.kept is not None:
                self.kept.append(row)
            yield row

    def row_count(self) -> int:
        return self.rows


def _write_claims(tmp_path, rows: int, *, keep: bool = False) -> int:
    path = tmp_path / f"claims_{rows}.xlsx"
    counts: dict[str, int] = {}

    def write():
        counts.update(write_exporters(path, [ClaimsLikeExporter(rows, keep=keep)]))

    peak = _peak(write)
    assert counts == {"补贴发放": rows}
    return peak


N_WRITER = 500


def test_writing_4n_rows_peaks_no_higher_than_n_rows(tmp_path):
    _write_claims(tmp_path, 50)  # openpyxl's and Django's one-time imports and caches
    small = _write_claims(tmp_path, N_WRITER)
    big = _write_claims(tmp_path, 4 * N_WRITER)

    assert big - small < FLAT_BOUND, (small, big)


def test_the_writer_measure_sees_rows_kept_in_memory(tmp_path):
    _write_claims(tmp_path, 50)
    small = _write_claims(tmp_path, N_WRITER, keep=True)
    big = _write_claims(tmp_path, 4 * N_WRITER, keep=True)

    assert big - small > 2 * FLAT_BOUND, (small, big)


# --------------------------------------------------------------------------------------------
# An audit sheet over the database: 师资队伍 (one grouped query streamed with .iterator())
# --------------------------------------------------------------------------------------------

N_DB = 300
CHUNK = 100
# 900 more rows of this sheet fetched at once take ~400 KB; streamed, the peaks differ by ~20 KB.
DB_BOUND = 128 * 1024


def _add_teachers(count: int, start: int) -> None:
    institution = Institution.objects.get_or_create(
        name="许昌测试培训学校", defaults={"kind": Institution.Kind.PRIVATE}
    )[0]
    Teacher.objects.bulk_create(
        Teacher(
            institution=institution,
            name=f"教师{start + index:05d}",
            education=Teacher.Education.BACHELOR,
            employment=Teacher.Employment.PART_TIME,
            honours=[Teacher.Honour.CHIEF_TECHNICIAN],
        )
        for index in range(count)
    )


def _write_teachers(tmp_path, expected_rows: int) -> int:
    path = tmp_path / f"teachers_{expected_rows}.xlsx"
    counts: dict[str, int] = {}

    def write():
        counts.update(write_exporters(path, [TeachersExporter(campaign=None, user=None)]))

    peak = _peak(write)
    assert counts == {"师资队伍": expected_rows}
    return peak


def _teachers_peaks(tmp_path) -> tuple[int, int]:
    _add_teachers(N_DB, 0)
    _write_teachers(tmp_path, N_DB)  # first query compiled, connection opened
    small = _write_teachers(tmp_path, N_DB)
    _add_teachers(3 * N_DB, N_DB)
    big = _write_teachers(tmp_path, 4 * N_DB)
    return small, big


@pytest.mark.django_db
def test_audit_sheet_streams_from_the_database(tmp_path, monkeypatch):
    # Chunks smaller than N, so that a query fetched whole would show at these sizes.
    monkeypatch.setattr(TeachersExporter, "chunk_size", CHUNK)

    small, big = _teachers_peaks(tmp_path)

    assert big - small < DB_BOUND, (small, big)


@pytest.mark.django_db
def test_the_database_measure_sees_a_query_fetched_whole(tmp_path, monkeypatch):
    # One chunk holds every row: what .iterator() falling back to a client-side fetch (or a
    # list() of the queryset) would do.
    monkeypatch.setattr(TeachersExporter, "chunk_size", 100 * N_DB)

    small, big = _teachers_peaks(tmp_path)

    assert big - small > 2 * DB_BOUND, (small, big)


# --------------------------------------------------------------------------------------------
# The writer's fast path (plain values) types every value as the cell path does
# --------------------------------------------------------------------------------------------

EVERY_KIND = [
    "张三",
    "",
    "=1+1",
    "=",
    "#N/A",
    "#DIV/0!",
    "\0=x",
    "a\x07b",
    "\x01",
    " 前后空格 ",
    "+1",
    TextCell("41100219900307123X"),
    gettext_lazy("合格"),
    0,
    -7,
    10**15 - 1,
    -(10**15 - 1),
    10**15,
    411002199003071236,
    True,
    False,
    1.5,
    -0.0,
    Decimal("1234.5"),
    datetime.date(2014, 6, 30),
    datetime.datetime(2014, 6, 30, 9, 30),  # noqa: DTZ001 - naive on purpose (written as is)
    datetime.datetime(2014, 6, 30, 1, 30, tzinfo=datetime.UTC),
    None,
]


def _sheet_xml(*, careful: bool) -> bytes:
    out = io.BytesIO()
    with XlsxWriter() as writer:
        if careful:
            writer._value = writer._cell  # every value through a cell of ours
        sheet = writer.add_sheet("表", [f"列{index}" for index in range(len(EVERY_KIND))])
        writer.append(sheet, EVERY_KIND)
        writer.append(sheet, list(reversed(EVERY_KIND)))
        writer.save(out)
    with zipfile.ZipFile(out) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_plain_values_are_written_exactly_as_cells_would_be():
    fast = _sheet_xml(careful=False)

    assert fast == _sheet_xml(careful=True)
    assert b"<f>" not in fast
