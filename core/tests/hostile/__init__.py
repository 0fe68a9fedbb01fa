"""A corpus of hostile and broken Excel files, built at test time (no binary file is committed).

``build_corpus(context)`` turns one upload's description (``uploads.UploadContext``: sheet,
headers, valid rows, column kinds, rows of someone else) into well over 100 ``Case`` objects,
each a file that the upload must refuse with a clear error. Three layers:

* the container: not a zip, wrong extension, macros, zip bombs, too many entries, entry names
  escaping the archive, XML entity tricks and external entities in every part, broken XML,
  encrypted or corrupted entries, oversized files;
* the sheet: wrong or missing sheet, headers missing, misspelt, swapped, merged or moved down, no
  data, far-away stray cells, 100k rows, rows hidden beyond a lying ``<dimension>``;
* the cells: per column kind, text in numbers, negatives, fractions, huge numbers, dates in
  number columns, bad ID check digits, numeric IDs, empty required cells, duplicates, another
  department's rows — each in the first and in the last data row, so that the error must name
  the right row and column.

Files are built with openpyxl's normal workbook (which, unlike our writer, can hold formulas,
numbers in text columns and merged cells) and then edited as raw zip entries.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import struct
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from core.tests.hostile.uploads import UploadContext

SHEET_XML = "xl/worksheets/sheet1.xml"
CONTENT_TYPES = "[Content_Types].xml"


@dataclass(frozen=True)
class Case:
    """One bad file. ``row``/``header`` say where the error must point (``None``: anywhere)."""

    name: str
    data: bytes
    filename: str = "上传.xlsx"
    row: int | None = None
    header: str | None = None

    @property
    def layer(self) -> str:
        return self.name.split(":", 1)[0]


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


def workbook_bytes(
    sheet: str,
    headers: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    edit: Callable[[Any], None] | None = None,
    header_row: int = 1,
) -> bytes:
    """An xlsx written by openpyxl's normal workbook (values typed as given)."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for column, header in enumerate(headers, start=1):
        worksheet.cell(row=header_row, column=column, value=header)
    for offset, values in enumerate(rows, start=header_row + 1):
        for column, value in enumerate(values, start=1):
            if value is not None:
                worksheet.cell(row=offset, column=column, value=value)
    if edit is not None:
        edit(worksheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(
    data: bytes,
    *,
    replace: dict[str, bytes | None] | None = None,
    add: dict[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """Copy an xlsx, replacing (``None``: dropping) entries and adding new ones."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as target:
        for name, content in entries(data).items():
            content = replace.get(name, content)
            if content is not None:
                target.writestr(name, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def _set_encrypted_flag(data: bytes) -> bytes:
    """Mark every entry as encrypted (general purpose bit 0), as a password-protected zip is."""
    raw = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (index := raw.find(signature, start)) != -1:
            (flags,) = struct.unpack_from("<H", raw, index + offset)
            struct.pack_into("<H", raw, index + offset, flags | 1)
            start = index + 4
    return bytes(raw)


def _corrupt_entry(data: bytes, name: str) -> bytes:
    """Flip bytes inside the compressed data of ``name`` (its CRC no longer matches)."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    header = info.header_offset
    name_length, extra_length = struct.unpack_from("<HH", raw, header + 26)
    start = header + 30 + name_length + extra_length
    for index in range(start + 5, start + min(info.compress_size, 60), 7):
        raw[index] ^= 0xFF
    return bytes(raw)


def _with_doctype(xml: bytes, doctype: str, reference: str) -> bytes:
    """Put a DOCTYPE in front of the root element and a reference to it in its first text."""
    text = xml.decode("utf-8")
    text = re.sub(r"^<\?xml[^>]*\?>", "", text).lstrip()
    if "<t>" in text and reference:
        text = text.replace("<t>", f"<t>{reference}", 1)
    elif reference:
        # No text node: put the reference inside the root element's content.
        root_end = text.index(">") + 1
        text = text[:root_end] + reference + text[root_end:]
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n{text}'.encode()


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    '<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
    '<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">'
    '<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">'
    '<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">'
    '<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>'
)
QUADRATIC = '<!DOCTYPE q [<!ENTITY a "' + "x" * 50_000 + '">]>'
XXE_FILE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_HTTP = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/evil">]>'
XXE_PARAMETER = (
    '<!DOCTYPE x [<!ENTITY % remote SYSTEM "file:///etc/passwd"> %remote; '
    '<!ENTITY % dtd SYSTEM "http://127.0.0.1:9/evil.dtd"> %dtd;]>'
)
ENTITY_ATTACKS = {
    "billion-laughs": (BILLION_LAUGHS, "&lol9;"),
    "quadratic-blowup": (QUADRATIC, "&a;" * 2000),
    "external-file": (XXE_FILE, "&xxe;"),
    "external-http": (XXE_HTTP, "&xxe;"),
    "parameter-entity": (XXE_PARAMETER, ""),
}


def _bad_check_digit(number: str) -> str:
    digits = "0123456789X"
    last = number[-1].upper()
    return number[:-1] + digits[(digits.index(last) + 1) % len(digits)]


def _replace_cells(rows: Sequence[Sequence[Any]], row_index: int, column: int, value: Any):
    copied = [list(values) for values in rows]
    copied[row_index][column] = value
    return copied


def _repeat_rows_xml(data: bytes, count: int, *, dimension: str | None = "A1:B2") -> bytes:
    """The file with its first data row repeated ``count`` times, written as raw XML (fast), and
    a ``<dimension>`` that claims two rows, as a hostile file would."""
    parts = entries(data)
    xml = parts[SHEET_XML].decode()
    first = re.search(r'<row r="2".*?</row>', xml).group(0)
    copies = "".join(
        re.sub(r'r="([A-Z]*)2"', lambda match, n=n: f'r="{match.group(1)}{n}"', first)
        for n in range(2, count + 2)
    )
    xml = re.sub(r'<row r="2".*</sheetData>', lambda _m: copies + "</sheetData>", xml, flags=re.S)
    if dimension:
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>', xml)
    return rezip(data, replace={SHEET_XML: xml.encode()})


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, context: UploadContext) -> None:
        self.context = context
        self.sheet = context.sheet
        self.headers = list(context.headers)
        self.rows = [list(values) for values in context.rows]
        self.good = workbook_bytes(self.sheet, self.headers, self.rows)
        self.cases: list[Case] = []

    def add(self, name: str, data: bytes, **kwargs: Any) -> None:
        self.cases.append(Case(name=name, data=data, **kwargs))

    def file(self, name: str, headers=None, rows=None, **kwargs: Any) -> bytes:
        return workbook_bytes(
            kwargs.pop("sheet", self.sheet),
            self.headers if headers is None else headers,
            self.rows if rows is None else rows,
            **kwargs,
        )

    # -- container ----------------------------------------------------------------------------

    def container(self) -> None:
        good = self.good
        parts = entries(good)
        add = self.add
        csv = "\n".join(",".join(str(v) for v in row) for row in [self.headers, *self.rows])
        add("container:empty-file", b"")
        add("container:plain-text", "这不是Excel文件".encode())
        add("container:csv-renamed", csv.encode("utf-8"))
        add("container:csv-gbk-renamed", csv.encode("gbk", errors="replace"))
        add(
            "container:html-renamed",
            b"<html><body><table><tr><td>1</td></tr></table></body></html>",
        )
        add("container:pdf-renamed", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
        add("container:png-renamed", b"\x89PNG\r\n\x1a\n" + os.urandom(256))
        add("container:old-xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
        add("container:random-bytes", os.urandom(4096))
        add("container:truncated-half", good[: len(good) // 2])
        add("container:truncated-no-directory", good[:-30])
        add("container:zip-of-text", _zip_of({"readme.txt": b"hello"}))
        add("container:zip-nested-xlsx", _zip_of({"data.xlsx": good}))
        add("container:no-workbook-part", rezip(good, replace={"xl/workbook.xml": None}))
        add("container:no-content-types", rezip(good, replace={CONTENT_TYPES: None}))
        add("container:no-sheet-part", rezip(good, replace={SHEET_XML: None}))
        add("container:no-rels", rezip(good, replace={"xl/_rels/workbook.xml.rels": None}))
        add("container:encrypted-entries", _set_encrypted_flag(good))
        add("container:corrupted-sheet-crc", _corrupt_entry(good, SHEET_XML))
        add("container:corrupted-workbook-crc", _corrupt_entry(good, "xl/workbook.xml"))
        # The extension is checked whatever the content (a good file under a wrong name).
        for suffix in (".xls", ".csv", ".xlsm", ".xlsb", ".zip", ".xlsx.exe", ""):
            add(f"container:extension{suffix or '-none'}", good, filename=f"上传{suffix}")
        # Macros: a VBA project, in any case and place, or a macro-enabled content type.
        add("container:macro-vba-project", rezip(good, add={"xl/vbaProject.bin": b"\0" * 512}))
        add("container:macro-vba-upper", rezip(good, add={"xl/VBAPROJECT.BIN": b"\0" * 512}))
        add("container:macro-vba-elsewhere", rezip(good, add={"customUI/vbaProject.bin": b"\0"}))
        macro_types = parts[CONTENT_TYPES].replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
        add("container:macro-content-type", rezip(good, replace={CONTENT_TYPES: macro_types}))
        # Zip bombs: a huge entry of zeros, a sheet padded with whitespace, many small entries.
        add("container:bomb-zeros", rezip(good, add={"xl/media/pad.bin": b"\0" * 60_000_000}))
        padded = parts[SHEET_XML].replace(b"<sheetData>", b"<sheetData>" + b" " * 12_000_000, 1)
        add("container:bomb-padded-sheet", rezip(good, replace={SHEET_XML: padded}))
        add(
            "container:bomb-many-medium",
            rezip(good, add={f"xl/media/p{n}.bin": b"\0" * 3_000_000 for n in range(20)}),
        )
        add(
            "container:too-many-entries-60",
            rezip(good, add={f"xl/media/i{n}.png": b"x" for n in range(60)}),
        )
        add(
            "container:too-many-entries-5000",
            rezip(good, add={f"xl/media/i{n}.png": b"" for n in range(5000)}),
        )
        add(
            "container:oversized-file",
            rezip(good, add={"xl/media/photo.jpg": os.urandom(6 * 1024 * 1024)}),
        )
        for label, name in (
            ("dotdot", "../../evil.xml"),
            ("absolute", "/etc/cron.d/evil"),
            ("drive", "C:/Windows/evil.xml"),
            ("backslash", "..\\..\\evil.xml"),
            ("nested-dotdot", "xl/../../evil.xml"),
        ):
            add(f"container:entry-name-{label}", rezip(good, add={name: b"<x/>"}))
        # XML tricks in every part openpyxl parses.
        for part in (
            SHEET_XML,
            "xl/workbook.xml",
            "xl/styles.xml",
            "xl/_rels/workbook.xml.rels",
            "_rels/.rels",
            CONTENT_TYPES,
            "docProps/core.xml",
        ):
            short = part.rsplit("/", 1)[-1]
            for attack, (doctype, reference) in ENTITY_ATTACKS.items():
                if part != SHEET_XML and attack in ("quadratic-blowup", "external-http"):
                    continue  # one of each per part is enough; the sheet gets them all
                xml = _with_doctype(parts[part], doctype, reference)
                add(f"container:xml-{attack}-{short}", rezip(good, replace={part: xml}))
        add(
            "container:xml-broken-sheet",
            rezip(good, replace={SHEET_XML: parts[SHEET_XML][: len(parts[SHEET_XML]) // 2]}),
        )
        add(
            "container:xml-broken-workbook",
            rezip(good, replace={"xl/workbook.xml": b"<workbook><sheets><sheet"}),
        )
        add("container:xml-random-sheet", rezip(good, replace={SHEET_XML: os.urandom(2048)}))
        # The same entity attack, in UTF-16 (a byte search for "<!DOCTYPE" would miss it).
        laughs = _with_doctype(parts[SHEET_XML], BILLION_LAUGHS, "&lol9;").decode()
        utf16 = laughs.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
        add("container:xml-billion-laughs-utf16-sheet", rezip(good, replace={SHEET_XML: utf16}))

    # -- sheet --------------------------------------------------------------------------------

    def sheet_layer(self) -> None:
        headers, rows, add, file = self.headers, self.rows, self.add, self.file
        last = get_column_letter(len(headers))
        add("sheet:wrong-name", file("x", sheet="Sheet1"))
        add("sheet:name-with-space", file("x", sheet=self.sheet + " "))
        add("sheet:name-translated", file("x", sheet="Data"))

        def second_sheet_only(worksheet):
            worksheet.title = "说明"
            other = worksheet.parent.create_sheet("数据")
            for values in [headers, *rows]:
                other.append(values)

        add("sheet:data-in-another-sheet", file("x", edit=second_sheet_only))
        add("sheet:no-header-row", file("x", headers=[None] * len(headers)))
        add("sheet:header-moved-down", file("x", header_row=2))
        swapped = list(headers)
        swapped[0], swapped[1] = swapped[1], swapped[0]
        add("sheet:headers-swapped", file("x", headers=swapped), row=1)
        add("sheet:header-misspelt", file("x", headers=[headers[0] + "号", *headers[1:]]), row=1)
        add(
            "sheet:header-missing-last",
            file("x", headers=headers[:-1], rows=[r[:-1] for r in rows]),
            row=1,
        )
        add(
            "sheet:header-extra-column",
            file("x", headers=[*headers, "其他"], rows=[[*r, "x"] for r in rows]),
            row=1,
        )
        add("sheet:header-english", file("x", headers=[f"col{n}" for n in range(len(headers))]))
        add(
            "sheet:header-merged-first-two",
            file("x", edit=lambda ws: ws.merge_cells("A1:B1")),
            row=1,
        )
        add(
            "sheet:header-merged-whole-row",
            file("x", edit=lambda ws: ws.merge_cells(f"A1:{last}1")),
            row=1,
        )

        def title_row(worksheet):
            worksheet.insert_rows(1)
            worksheet["A1"] = "许昌市技能振兴专项活动"
            worksheet.merge_cells(f"A1:{last}1")

        add("sheet:merged-title-above-header", file("x", edit=title_row), row=1)
        add("sheet:header-only", file("x", rows=[]))
        add("sheet:empty-sheet", file("x", headers=[], rows=[]))
        add(
            "sheet:stray-cell-far-right",
            file("x", edit=lambda ws: ws.cell(row=2, column=30, value="多余")),
            row=2,
        )
        add(
            "sheet:stray-cell-last-excel-cell",
            file("x", edit=lambda ws: ws.cell(row=1_048_576, column=16_384, value="x")),
        )
        add(
            "sheet:merged-data-cells",
            file("x", edit=lambda ws: ws.merge_cells(f"A2:{last}2")),
            row=2,
        )
        add("sheet:hundred-thousand-rows", _repeat_rows_xml(self.good, 100_000))
        if self.context.max_rows is not None:
            add(
                "sheet:one-row-over-the-limit",
                _repeat_rows_xml(self.good, self.context.max_rows + 1, dimension=None),
            )
        # A duplicate of row 2 hidden beyond a <dimension> that claims only the header and row 2.
        duplicate = self.file("x", rows=[*rows, rows[0]])
        add(
            "sheet:duplicate-hidden-beyond-dimension",
            _with_dimension(duplicate, f"A1:{last}2"),
            row=len(rows) + 2,
        )

        def blank_formatted_cells(worksheet):
            font = openpyxl.styles.Font(bold=True)
            # 30,000 styled empty cells: enough to prove they are skipped, not so many that
            # the parse alone nears the 5 s budget on a loaded machine.
            for row in range(len(rows) + 2, len(rows) + 302):
                for column in range(1, 101):
                    worksheet.cell(row=row, column=column).font = font
            worksheet.cell(row=len(rows) + 600, column=3000, value="x")

        add("sheet:formatted-blank-cells-and-stray", file("x", edit=blank_formatted_cells))

    # -- cells --------------------------------------------------------------------------------

    def cell_layer(self) -> None:
        targets = [0] if len(self.rows) == 1 else [0, len(self.rows) - 1]
        for column, header in enumerate(self.headers):
            kind = self.context.kinds.get(header, "text?")
            optional = kind.endswith("?")
            kind = kind.rstrip("?")
            good_value = self.rows[0][column]
            for label, value in _bad_values(kind, optional, good_value):
                for index in targets:
                    where = "first" if index == 0 else "last"
                    rows = _replace_cells(self.rows, index, column, value)
                    self.add(
                        f"cell:{header}:{label}:{where}-row",
                        self.file("x", rows=rows),
                        row=index + 2,
                        header=header,
                    )
        for column, header in enumerate(self.headers):
            kind = self.context.kinds.get(header, "text?").rstrip("?")
            if kind in ("int", "score", "match", "code", "id", "month"):
                rows = _replace_cells(self.rows, 0, column, "=1+1")
                self.add(f"cell:{header}:formula", self.file("x", rows=rows), row=2, header=header)
                break
        for index, values in enumerate(self.rows):
            rows = [*self.rows, values]
            self.add(
                f"cell:duplicate-of-row-{index + 2}", self.file("x", rows=rows), row=len(rows) + 1
            )
        for index, values in enumerate(self.context.foreign_rows):
            rows = [*self.rows, list(values)]
            self.add(f"cell:foreign-row-{index + 1}", self.file("x", rows=rows), row=len(rows) + 1)
            rows = [list(values), *self.rows]
            self.add(f"cell:foreign-row-{index + 1}-first", self.file("x", rows=rows), row=2)


def _with_dimension(data: bytes, ref: str) -> bytes:
    xml = entries(data)[SHEET_XML].decode()
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml)
    return rezip(data, replace={SHEET_XML: xml.encode()})


# Excel dates have no time zone; openpyxl reads them back as naive datetimes.
_A_DATE = datetime.datetime(2014, 5, 1, 0, 0)  # noqa: DTZ001


def _bad_values(kind: str, optional: bool, good: Any) -> list[tuple[str, Any]]:
    """Values that a column of ``kind`` must refuse (whatever the rest of the row)."""
    values: list[tuple[str, Any]] = []
    if not optional:
        values += [("empty", None), ("spaces", "   ")]
    if kind == "id":
        text = str(good)
        values += [
            ("bad-check-digit", _bad_check_digit(text)),
            ("as-number", float(text[:-1] + "0") if text[:-1].isdigit() else 4.1e17),
            ("as-integer-number", int(text[:17])),
            ("impossible-birth-date", text[:10] + "0231" + text[14:]),
            ("seventeen-digits", text[:17]),
            ("letters", "ABCDEFGHIJKLMNOPQR"),
            ("with-formula-prefix", "=" + text[1:]),
        ]
    elif kind == "int":
        values += [
            ("text", "十二"),
            ("negative", -1),
            ("negative-text", "-3"),
            ("fraction", 1.5),
            ("huge", 10**16),
            ("date", _A_DATE),
            ("full-width-digits", "１２"),
            ("formula-text", "+1+1"),
        ]
    elif kind == "score":
        values += [
            ("text", "优秀"),
            ("negative", -1),
            ("huge", 10**16),
            ("date", _A_DATE),
            ("formula-text", "@SUM(1,1)"),
        ]
    elif kind == "code":
        values += [("unknown-code", "ZZ99999999"), ("formula-text", "-2+3")]
    elif kind == "match":
        values += [
            ("unknown", "不存在的名称"),
            ("very-long", "长" * 5000),
            ("control-chars", "\t=1"),
        ]
    elif kind == "month":
        values += [("text", "五月"), ("impossible-month", "2014-13"), ("other-month", "2013-01")]
    return values


def build_corpus(context: UploadContext) -> list[Case]:
    """Every bad file for one upload (at least 100 for any upload with three columns)."""
    builder = _Builder(context)
    builder.container()
    builder.sheet_layer()
    builder.cell_layer()
    return builder.cases


def good_file(context: UploadContext) -> bytes:
    """The file holding exactly the context's valid rows (it must import)."""
    return workbook_bytes(context.sheet, context.headers, context.rows)
