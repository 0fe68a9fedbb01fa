"""Builders for the worker and roster tests: valid ID numbers, institutions, classes made
directly with the ORM, and roster files (through our own writer, or openpyxl directly when the
file must hold what our writer never writes, such as a number in the ID column)."""

import datetime
import io
import itertools
from collections.abc import Iterable, Sequence

import openpyxl

from core.roles import Role
from core.tests.factories import user_with_role
from core.validators import make_resident_id
from core.xlsx import XlsxWriter
from training.models import Institution, Occupation, TrainingCategory, TrainingClass
from training.services.workers import ROSTER_HEADERS, ROSTER_SHEET

_codes = itertools.count(1)


def make_id(serial: int, *, birth: str = "19900101", region: str = "411002") -> str:
    """A valid 18-digit ID number; ``serial`` (0–999) sets the sequence digits (odd → male)."""
    return make_resident_id(f"{region}{birth}{serial % 1000:03d}")


def many_ids(count: int) -> list[str]:
    """``count`` distinct valid ID numbers (birth dates spread over the 1980s and 1990s)."""
    ids = []
    start = datetime.date(1980, 1, 1)
    for index in range(count):
        birth = start + datetime.timedelta(days=index // 900)
        ids.append(make_resident_id(f"411002{birth:%Y%m%d}{index % 900 + 100:03d}"))
    return ids


def institution(name: str = "许昌测试培训学校") -> Institution:
    return Institution.objects.get_or_create(
        name=name, defaults={"kind": Institution.Kind.PRIVATE}
    )[0]


def staff_of(inst: Institution, **kwargs):
    return user_with_role(Role.INSTITUTION, institution=inst, **kwargs)


def training_class(campaign, inst: Institution, **overrides) -> TrainingClass:
    """A draft class of ``inst`` in the first category of the plan."""
    number = next(_codes)
    values = {
        "campaign": campaign,
        "code": f"T{number:05d}",
        "name": f"测试培训班{number}",
        "institution": inst,
        "category": TrainingCategory.objects.filter(campaign=campaign).order_by("number").first(),
        "occupation": Occupation.objects.order_by("code").first(),
        "kind": TrainingClass.Kind.EMPLOYMENT,
        "start_date": datetime.date(2014, 3, 1),
        "end_date": datetime.date(2014, 3, 31),
        "planned_sessions": 20,
        "capacity": 50,
        "teachers": "王老师",
        "status": TrainingClass.Status.DRAFT,
    }
    values.update(overrides)
    return TrainingClass.objects.create(**values)


def row(
    id_number,
    name="张三",
    phone="13800000000",
    county="禹州市",
    household="农村",
    education="初中",
    groups="农村转移就业劳动者",
) -> list:
    return [id_number, name, phone, county, household, education, groups]


def roster_bytes(
    rows: Iterable[Sequence],
    *,
    sheet: str = ROSTER_SHEET,
    headers: Sequence[str] = ROSTER_HEADERS,
) -> bytes:
    """A roster as our writer writes it (every string a text cell)."""
    buffer = io.BytesIO()
    with XlsxWriter() as writer:
        worksheet = writer.add_sheet(sheet, headers)
        for values in rows:
            writer.append(worksheet, values)
        writer.save(buffer)
    return buffer.getvalue()


def roster_openpyxl(rows: Iterable[Sequence], *, sheet: str = ROSTER_SHEET) -> bytes:
    """A roster saved by openpyxl's normal workbook, which keeps numbers as numbers."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(list(ROSTER_HEADERS))
    for values in rows:
        worksheet.append(list(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
