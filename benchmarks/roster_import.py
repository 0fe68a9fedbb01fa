"""Roster import (学员花名册) of 5,000 rows against a bare openpyxl read-only pass over the same
file (issue 5: the import should cost a small multiple of just reading the file; goal ≤ 2).

Prints ``roster_import_seconds``, ``openpyxl_read_seconds`` and ``roster_import_vs_openpyxl``
(the ratio) for the file as a spreadsheet program saves it, then the same three for the file as
our own writer writes it (``*_inline_strings``). Both are measured in the process as our app
server and workers run it: start-up objects frozen out of the garbage collector's sight
(``xuchang_skills/startup.py``); ``roster_import_vs_openpyxl_unfrozen`` is the same import in a
fresh interpreter's state, for comparison. Each side is timed ``REPEAT`` times (wall clock),
the two sides alternating, and the best run is kept; every import runs in a transaction that is
rolled back, so each one creates all 5,000 workers afresh.

    python -m benchmarks.roster_import          # SQLite in memory, or DATABASE_URL's server
"""

import datetime
import gc
import io
import tempfile
import time

ROWS = 5_000
REPEAT = 3


class _Rollback(Exception):
    pass


def _ids(count: int) -> list[str]:
    from core.validators import make_resident_id

    # Sequence numbers 100–499: the city-scale seed's workers use 500–999, so the roster's people
    # are new to the database whatever was seeded before.
    start = datetime.date(1975, 1, 1)
    return [
        make_resident_id(f"411002{start + datetime.timedelta(days=i // 400):%Y%m%d}{i % 400 + 100}")
        for i in range(count)
    ]


def roster_rows(count: int = ROWS) -> list[list[str]]:
    """Rows of a filled-in roster as an institution sends it: valid IDs, every column set."""
    from core.models import County
    from training.models import PopulationGroup

    counties = list(County.objects.values_list("name", flat=True))
    groups = list(PopulationGroup.objects.values_list("name", flat=True))
    educations = ["初中", "高中/中专/技校", "大专", "小学及以下", "本科及以上"]
    return [
        [
            number,
            f"学员{index:05d}",
            f"138{index:08d}",
            counties[index % len(counties)],
            "农村" if index % 3 else "城镇",
            educations[index % len(educations)],
            "、".join(groups[index % 4 : index % 4 + 1 + index % 2]),
        ]
        for index, number in enumerate(_ids(count))
    ]


def build_roster_as_excel_saves_it(rows: list[list[str]]) -> bytes:
    """The template filled in and saved by a spreadsheet program: shared strings and a
    <dimension> element (openpyxl's normal workbook writes both, as Excel and WPS do)."""
    import openpyxl

    from training.services.workers import ROSTER_HEADERS, ROSTER_SHEET

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = ROSTER_SHEET
    sheet.append(list(ROSTER_HEADERS))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_roster_as_we_write_it(rows: list[list[str]]) -> bytes:
    """The same rows through our own writer (inline strings, no <dimension>, which makes
    openpyxl parse the sheet once more on opening — for both sides of the ratio)."""
    from core.xlsx import XlsxWriter
    from training.services.workers import ROSTER_HEADERS, ROSTER_SHEET

    buffer = io.BytesIO()
    with XlsxWriter() as writer:
        sheet = writer.add_sheet(ROSTER_SHEET, ROSTER_HEADERS)
        for row in rows:
            writer.append(sheet, row)
        writer.save(buffer)
    return buffer.getvalue()


def openpyxl_read(data: bytes) -> int:
    """The baseline: open read-only and touch every cell of every row."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    cells = 0
    try:
        for worksheet in workbook.worksheets:
            for row in worksheet.iter_rows(values_only=True):
                for _value in row:
                    cells += 1
    finally:
        workbook.close()
    return cells


def _setup():
    from core.services import roles_sync, user_create
    from training.models import Institution, Occupation, TrainingCategory, TrainingClass
    from training.services.plan import plan_load

    campaign = plan_load().campaign
    roles_sync()
    institution = Institution.objects.order_by("name").first()
    from core.models import User
    from core.roles import Role

    existing = TrainingClass.objects.filter(code="BENCH-ROSTER").first()
    if existing is not None:  # a kept benchmark database (BENCH_KEEPDB=1)
        return existing, User.objects.get(username="bench_roster_staff")
    staff = user_create(
        username="bench_roster_staff",
        password=None,
        full_name="基准测试",
        roles=[Role.INSTITUTION],
        institution=institution,
        actor=None,
    )
    training_class = TrainingClass.objects.create(
        campaign=campaign,
        code="BENCH-ROSTER",
        name="花名册导入基准",
        institution=institution,
        category=TrainingCategory.objects.filter(campaign=campaign).order_by("number").first(),
        occupation=Occupation.objects.order_by("code").first(),
        kind=TrainingClass.Kind.EMPLOYMENT,
        start_date=datetime.date(2014, 3, 1),
        end_date=datetime.date(2014, 4, 30),
        planned_sessions=40,
        capacity=ROWS,
        teachers="基准",
    )
    return training_class, staff


def _time_import(training_class, staff, data: bytes) -> float:
    from django.db import transaction

    from training.services.workers import roster_import

    started = time.perf_counter()
    try:
        with transaction.atomic():
            enrollments = roster_import(
                training_class=training_class,
                fileobj=io.BytesIO(data),
                filename="学员花名册.xlsx",
                actor=staff,
            )
            elapsed = time.perf_counter() - started
            assert len(enrollments) == ROWS
            raise _Rollback
    except _Rollback:
        pass
    return elapsed


def _compare(training_class, staff, data: bytes) -> tuple[float, float]:
    assert openpyxl_read(data) >= ROWS * 7
    # Alternated, so that a change in the machine's load during the run (other processes on a
    # shared machine) weighs on both sides alike instead of on whichever ran later.
    reads, imports = [], []
    for _ in range(REPEAT):
        reads.append(_timed(openpyxl_read, data))
        imports.append(_time_import(training_class, staff, data))
    return min(imports), min(reads)


def main() -> None:
    import benchmarks

    with benchmarks.database():
        from django.test.utils import override_settings

        from xuchang_skills.startup import freeze_startup_objects

        training_class, staff = _setup()
        rows = roster_rows()
        excel = build_roster_as_excel_saves_it(rows)
        ours = build_roster_as_we_write_it(rows)
        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            # First as a fresh interpreter runs it, then as our app server and Celery workers
            # do: with the start-up objects frozen out of the collector's sight
            # (xuchang_skills/startup.py, called by wsgi.py and each worker process).
            unfrozen, unfrozen_read = _compare(training_class, staff, excel)
            freeze_startup_objects()
            try:
                imported, read = _compare(training_class, staff, excel)
                imported_inline, read_inline = _compare(training_class, staff, ours)
            finally:
                gc.unfreeze()
        print(f"roster_rows: {ROWS}")
        print(f"roster_file_kb: {len(excel) // 1024}")
        print(f"roster_import_seconds: {imported:.3f}")
        print(f"openpyxl_read_seconds: {read:.3f}")
        print(f"roster_import_vs_openpyxl: {imported / read:.2f}")
        print(f"roster_import_inline_strings_seconds: {imported_inline:.3f}")
        print(f"openpyxl_read_inline_strings_seconds: {read_inline:.3f}")
        print(f"roster_import_vs_openpyxl_inline_strings: {imported_inline / read_inline:.2f}")
        print(f"roster_import_unfrozen_seconds: {unfrozen:.3f}")
        print(f"roster_import_vs_openpyxl_unfrozen: {unfrozen / unfrozen_read:.2f}")


def _timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
