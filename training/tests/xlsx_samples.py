"""Builders of good and bad upload files for the monthly-return import tests.

Files start from the real template (what a clerk downloads) and are changed the way a person, a
spreadsheet program or an attacker would change them. openpyxl is used directly here on purpose:
these files must be able to hold what our own writer never writes (formulas, numbers in text
columns, macros).
"""

import io
import re
import zipfile
from collections.abc import Callable

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from training.services.return_files import return_template

SHEET = "月度报送"
SHEET_XML = "xl/worksheets/sheet1.xml"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_bytes(*, campaign, department, month, monthly_return=None) -> bytes:
    """The template as the download view would serve it."""
    _filename, content = return_template(
        campaign=campaign, department=department, month=month, monthly_return=monthly_return
    )
    return content.getvalue()


def edit(data: bytes, change: Callable) -> bytes:
    """Open an xlsx as Excel would, let ``change(worksheet)`` edit sheet "月度报送", save."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    change(workbook[SHEET])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def set_cells(data: bytes, **cells) -> bytes:
    """``set_cells(data, F2=12, A3="gxj")``: the cells a clerk typed."""

    def change(worksheet):
        for ref, value in cells.items():
            worksheet[ref] = value

    return edit(data, change)


def rezip(data: bytes, *, replace=None, add=None) -> bytes:
    """Copy an xlsx, replacing (or with None dropping) entries and adding new ones."""
    replace = replace or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = replace.get(info.filename, source.read(info))
            if content is not None:
                target.writestr(info.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def many_rows(data: bytes, count: int) -> bytes:
    """The template with its first data row repeated ``count`` times, built as raw sheet XML so
    a 5,001-row file takes milliseconds. Its ``<dimension>`` claims two rows, as a hostile file
    would, to hide the rest from a reader that trusts it."""
    xml = _read(data, SHEET_XML).decode()
    first = re.search(r'<row r="2".*?</row>', xml).group(0)
    copies = "".join(
        re.sub(r'r="([A-Z]*)2"', lambda match, n=n: f'r="{match.group(1)}{n}"', first)
        for n in range(2, count + 2)
    )
    xml = re.sub(r'<row r="2".*</sheetData>', lambda _m: copies + "</sheetData>", xml)
    xml = xml.replace("<sheetViews>", '<dimension ref="A1:K2"/><sheetViews>', 1)
    return rezip(data, replace={SHEET_XML: xml.encode()})


def _read(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def upload(data: bytes, name: str = "市人社局_2014年05月_月度报送.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX_TYPE)
