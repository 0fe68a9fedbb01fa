"""The project's one Excel writer and one Excel reader (openpyxl).

Every export and every import goes through this module so that the traps listed in PITFALLS.md
("Excel (openpyxl)") are handled once:

* Writing: every ``str`` becomes a text cell, so user input such as ``=HYPERLINK(...)``,
  ``+1``, ``-2+3``, ``@SUM(A1)`` is stored as literal text and never runs as a formula, and an ID
  or account number keeps all its digits (Excel keeps only 15 significant digits of a number).
  Rows are streamed (write-only workbook), so memory stays flat for any number of rows.
* Reading: uploads are untrusted. ``open_workbook`` checks the zip container (size, entry count,
  entry names, macros, decompression bombs, DOCTYPE/entity declarations in any XML part) before
  openpyxl parses anything, and turns every parser failure into ``XlsxError``. ``SheetReader``
  checks the header row against the template (naming merged header cells), reads without
  trusting the sheet's ``<dimension>`` element (which can hide rows), and bounds rows and cells
  so that a hostile sheet cannot make it run for minutes (a large row limit is checked first on
  the raw XML). ``core/tests/test_hostile_uploads.py`` runs ≥ 100 hostile files against every
  upload registered in ``core.tests.hostile.uploads``.

Typical import::

    workbook = open_workbook(upload, filename=upload.name)
    try:
        errors = ErrorCollector()
        reader = SheetReader(workbook, sheet="学员", headers=HEADERS, errors=errors)
        prepared = []
        for row in reader:
            name = errors.parse(row, "姓名", cell_text)
            id_number = errors.parse(row, "身份证号码", cell_id_number)
            hours = errors.parse(row, "课时", cell_int, min_value=0)
            if errors.row_ok(row):
                prepared.append((row.number, name, id_number, hours))
        errors.raise_if_any()
    finally:
        workbook.close()
    # Only now write to the database, inside one transaction.

The importer collects every problem in the file (up to ``ErrorCollector.limit``) and shows them
together, so the clerk can fix the whole sheet in one go. Nothing here writes to the database:
all-or-nothing is the caller's job, by doing its writes in one ``transaction.atomic`` block only
after ``raise_if_any()`` has passed.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import openpyxl
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import INLINE_STRING, WorkSheetParser
from openpyxl.xml import DEFUSEDXML
from openpyxl.xml.constants import SHEET_MAIN_NS

if TYPE_CHECKING:
    from os import PathLike

    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# Without defusedxml openpyxl expands XML entity bombs in uploads. Failing at import time makes a
# missing dependency visible at start-up instead of on the first hostile file.
if not DEFUSEDXML:
    raise RuntimeError(
        "core.xlsx needs defusedxml: install it (and do not set OPENPYXL_DEFUSEDXML=False) "
        "so that openpyxl parses uploaded files safely."
    )

CHINA_TZ = ZoneInfo("Asia/Shanghai")
EXCEL_MAX_ROWS = 1_048_576
# Excel keeps 15 significant digits; a bigger integer would silently lose its last digits.
_MAX_EXACT_NUMBER = 10**15

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------------


class TextCell(str):
    """Marks a value that must appear in Excel as text, e.g. ``TextCell(worker.id_number)``.

    Every ``str`` is already written as text, so this marker changes nothing at run time; it makes
    the intent visible at call sites for digit strings (ID numbers, bank accounts, mobile numbers)
    that must never be passed as ``int``: Excel would keep only 15 significant digits.
    """

    __slots__ = ()


@dataclass
class SheetSpec:
    """One sheet for ``write_workbook``; ``rows`` may be a generator, it is consumed once."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float] | None = None
    freeze: str | None = "A2"


def _display_width(text: str) -> int:
    # Chinese characters take two columns in Excel's default font.
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _default_width(header: str) -> float:
    return float(min(max(_display_width(header) + 2, 8), 60))


class XlsxWriter:
    """Streams rows into a write-only workbook.

    Use ``add_sheet`` for each sheet, ``append`` for each row, then ``save`` exactly once; use
    it as a context manager (or call ``close``) so that a failed export leaves no temporary files.
    Values are typed as follows: ``str`` → text (never a formula); ``int``/``float`` → number
    (integers of 16 or more digits → text, so no digit is lost); ``Decimal`` → number shown with
    two decimals; ``date``/``datetime`` → Excel date (aware datetimes converted to Beijing time);
    ``bool`` → 是/否; ``None`` → empty cell. Other types raise ``TypeError`` so that a model
    instance or a list is not exported by accident.
    """

    def __init__(self) -> None:
        self._workbook = openpyxl.Workbook(write_only=True)
        self._header_font = Font(bold=True)
        self._finished = False

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add_sheet(
        self,
        title: str,
        headers: Sequence[str],
        widths: Sequence[float] | None = None,
        freeze: str | None = "A2",
    ) -> WriteOnlyWorksheet:
        """Create a sheet with a bold header row; widths and panes must precede the first row."""
        header_texts = [str(header) for header in headers]
        if widths is None:
            widths = [_default_width(header) for header in header_texts]
        elif len(widths) != len(header_texts):
            raise ValueError("widths must have one entry per header")
        worksheet = self._workbook.create_sheet(title=title)
        for index, width in enumerate(widths, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = width
        if freeze:
            worksheet.freeze_panes = freeze
        header_cells = []
        for header in header_texts:
            cell = self._text_cell(worksheet, header)
            if cell is not None:
                cell.font = self._header_font
            header_cells.append(cell)
        worksheet.append(header_cells)
        return worksheet

    def append(self, worksheet: WriteOnlyWorksheet, values: Iterable[Any]) -> None:
        """Write one row; see the class docstring for how each value is typed."""
        worksheet.append([self._value(worksheet, value) for value in values])

    def save(self, target: str | PathLike[str] | IO[bytes]) -> None:
        """Write the workbook to a path or a binary file object (once; write-only workbooks
        cannot be saved twice)."""
        self._finished = True
        self._workbook.save(target)

    def close(self) -> None:
        """Discard an unsaved workbook (after an error in the middle of an export).

        Each write-only sheet streams into a temporary file that only ``save`` removes; without
        this a failed export in a long-running worker leaves the file behind until exit. Does
        nothing after ``save``.
        """
        if self._finished:
            return
        self._finished = True
        for worksheet in self._workbook.worksheets:
            # Best effort: the sheet may be half-written; any failure here must not hide the
            # error that made the caller give up.
            with contextlib.suppress(Exception):
                worksheet.close()
            with contextlib.suppress(Exception):
                worksheet._writer.cleanup()

    def _text_cell(self, worksheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell | None:
        # Characters illegal in XML (NUL, other control characters) would make openpyxl raise in
        # the middle of an export; dropping them keeps the rest of the text.
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        if not text:
            return None
        cell = WriteOnlyCell(worksheet, value=text)
        # openpyxl marks text starting with "=" as a formula (and "#N/A" etc. as an error);
        # forcing the string type stores it as an inline string that no spreadsheet evaluates.
        cell.data_type = "s"
        return cell

    def _value(self, worksheet: WriteOnlyWorksheet, value: Any) -> Any:
        """What to hand openpyxl for ``value``: the plain value where openpyxl types it exactly
        as ``_cell`` would (ordinary text, integers, finite floats, dates), else ``_cell``'s cell.

        Plain values are the fast path for the bulk of an export: openpyxl fills one reusable
        cell with them, whereas a cell of ours costs a second cell, a second type check and the
        exception openpyxl raises and catches before it accepts a ready-made cell (a quarter of
        the CPU time of writing the audit workbook's big sheets). core/tests/test_export_memory.py
        checks that both paths write the same XML.
        """
        kind = type(value)
        if kind is str:
            # Exactly the strings openpyxl stores as text by itself: not a formula ("=…"), not
            # an error code ("#N/A"), no illegal character, not empty once those are dropped.
            text = ILLEGAL_CHARACTERS_RE.sub("", value)
            if text and text[0] != "=" and text not in ERROR_CODES:
                return text
            return self._text_cell(worksheet, text)
        if kind is int:
            if -_MAX_EXACT_NUMBER < value < _MAX_EXACT_NUMBER:
                return value
        elif kind is float:
            if math.isfinite(value):
                return value
        elif kind is datetime.date:
            # openpyxl's own format for a date is ours, "yyyy-mm-dd".
            return value
        return self._cell(worksheet, value)

    def _cell(self, worksheet: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell | None:
        if value is None:
            return None
        # bool before int: bool is a subclass of int.
        if isinstance(value, bool):
            return self._text_cell(worksheet, "是" if value else "否")
        if isinstance(value, str | Promise):
            return self._text_cell(worksheet, str(value))
        if isinstance(value, int):
            if abs(value) >= _MAX_EXACT_NUMBER:
                return self._text_cell(worksheet, str(value))
            return WriteOnlyCell(worksheet, value=value)
        if isinstance(value, float | Decimal):
            if not math.isfinite(value):
                raise ValueError(f"cannot export the non-finite number {value!r} to Excel")
            cell = WriteOnlyCell(worksheet, value=value)
            if isinstance(value, Decimal):
                cell.number_format = "0.00"
            return cell
        # datetime before date: datetime is a subclass of date.
        if isinstance(value, datetime.datetime):
            if value.tzinfo is not None:
                # Excel has no time zones; clerks read times in Beijing time.
                value = value.astimezone(CHINA_TZ).replace(tzinfo=None)
            cell = WriteOnlyCell(worksheet, value=value)
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
            return cell
        if isinstance(value, datetime.date):
            cell = WriteOnlyCell(worksheet, value=value)
            cell.number_format = "yyyy-mm-dd"
            return cell
        raise TypeError(f"cannot export a value of type {type(value).__name__} to Excel")


def write_workbook(target: str | PathLike[str] | IO[bytes], sheets: Iterable[SheetSpec]) -> None:
    """Write several sheets, pulling rows from each ``SheetSpec.rows`` one at a time.

    Pass generators (for example over ``queryset.iterator()``) to keep memory constant.
    """
    with XlsxWriter() as writer:
        for spec in sheets:
            worksheet = writer.add_sheet(
                spec.title, spec.headers, widths=spec.widths, freeze=spec.freeze
            )
            for row in spec.rows:
                writer.append(worksheet, row)
        writer.save(target)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """One problem in an uploaded file, located as precisely as known.

    ``sheet`` is "" for problems with the file itself; ``row`` is the Excel row number (the header
    is row 1); ``column`` is the Excel column letter; ``header`` names the template column.
    """

    sheet: str
    row: int | None
    column: str | None
    message: str
    header: str | None = None

    def __str__(self) -> str:
        location = ""
        if self.sheet:
            location += f"工作表“{self.sheet}”"
        if self.row is not None:
            location += f"第{self.row}行"
        if self.column:
            location += f"第{self.column}列"
        if self.header:
            location += f"（{self.header}）"
        return f"{location}：{self.message}" if location else self.message


class XlsxError(Exception):
    """An uploaded file cannot be imported; ``errors`` lists every problem found.

    Views show ``messages`` to the user (one line each). ``truncated`` is set when checking
    stopped because the error limit was reached.
    """

    def __init__(
        self, errors: str | CellError | Iterable[CellError], *, truncated: bool = False
    ) -> None:
        if isinstance(errors, str):
            errors = [CellError("", None, None, errors)]
        elif isinstance(errors, CellError):
            errors = [errors]
        self.errors: list[CellError] = list(errors)
        self.truncated = truncated
        super().__init__("\n".join(self.messages))

    @property
    def messages(self) -> list[str]:
        lines = [str(error) for error in self.errors]
        if self.truncated:
            lines.append(f"错误已达{len(self.errors)}条，停止检查；请先修改以上错误后重新上传")
        return lines


class CellValueError(ValueError):
    """Raised by the ``cell_*`` parsers; ``ErrorCollector.parse`` adds the cell's location."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------------------------
# Opening an upload
# --------------------------------------------------------------------------------------------

_UNREADABLE = "文件无法读取，请确认文件未损坏，并用 Excel 或 WPS 另存为 .xlsx 后重新上传"
_NOT_XLSX = "文件不是有效的 Excel（xlsx）文件"
_MACROS = "不接受包含宏的文件"
_BOMB = "文件解压后过大，不是正常的 Excel 文件"
# Old .xls files and password-protected workbooks are OLE compound files, not zips; people often
# rename an .xls to .xlsx, so this gets its own, actionable message.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The compression-ratio test only matters for entries big enough to hurt; tiny parts such as
# docProps can legitimately compress very well.
_RATIO_MIN_SIZE = 1024 * 1024
_MAX_CONTENT_TYPES_SIZE = 1024 * 1024


def _read_bounded(fileobj: IO[bytes], max_bytes: int) -> bytes:
    # Uploaded files may have been read already (for a hash, a content sniff); start over.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        fileobj.seek(0)
    data = fileobj.read(max_bytes + 1)
    if not isinstance(data, bytes):
        raise TypeError("open_workbook needs a file opened in binary mode")
    if len(data) > max_bytes:
        raise XlsxError(f"文件大小超过上限（最大 {max_bytes / (1024 * 1024):g} MB）")
    return data


def _check_archive(data: bytes, *, max_entries: int, max_uncompressed: int, max_ratio: int) -> None:
    if data.startswith(_OLE_MAGIC):
        raise XlsxError("文件是旧版 .xls 格式或设置了打开密码，请去掉密码并另存为 .xlsx 后重新上传")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:
        raise XlsxError(_NOT_XLSX) from exc

    with archive:
        if len(infos) > max_entries:
            raise XlsxError(f"文件内部条目过多（超过 {max_entries} 个），不是正常的 Excel 文件")
        total = 0
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = name.split("/")
            if name.startswith("/") or ".." in parts or ":" in parts[0]:
                raise XlsxError("文件包含非法的内部路径，不是正常的 Excel 文件")
            if parts[-1].lower() == "vbaproject.bin":
                raise XlsxError(_MACROS)
            total += info.file_size
            if total > max_uncompressed:
                raise XlsxError(_BOMB)
            ratio_too_high = info.file_size > max_ratio * max(info.compress_size, 1)
            if info.file_size > _RATIO_MIN_SIZE and ratio_too_high:
                raise XlsxError(_BOMB)

        for info in infos:
            _refuse_doctype(archive, info)

        names = {info.filename for info in infos}
        if "xl/workbook.xml" not in names:
            raise XlsxError(_NOT_XLSX)
        if "[Content_Types].xml" not in names:
            raise XlsxError(_NOT_XLSX)
        content_types = archive.getinfo("[Content_Types].xml")
        if content_types.file_size > _MAX_CONTENT_TYPES_SIZE:
            raise XlsxError(_NOT_XLSX)
        try:
            declared = archive.read(content_types).lower()
        except Exception as exc:
            raise XlsxError(_NOT_XLSX) from exc
        # An .xlsm renamed to .xlsx still declares a macro-enabled main part.
        if b"macroenabled" in declared or b"vbaproject" in declared:
            raise XlsxError(_MACROS)


# A DOCTYPE can only come before the root element, so the head of each part is enough. Excel and
# WPS never write one; defusedxml refuses entities in the parts openpyxl parses, and this check
# refuses them in every other part too, with a message naming the part.
_XML_HEAD_BYTES = 64 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")


def _refuse_doctype(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    if not info.filename.lower().endswith(_XML_SUFFIXES) or info.file_size == 0:
        return
    try:
        with archive.open(info) as part:
            head = part.read(_XML_HEAD_BYTES)
    except Exception as exc:
        raise XlsxError(_NOT_XLSX) from exc
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[1:2] == b"\0" or head[:1] == b"\0":
        head = head.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    if b"<!doctype" in head.lower() or b"<!entity" in head.lower():
        raise XlsxError(
            f"文件内部的“{info.filename}”含有 DOCTYPE 或实体声明，不是正常的 Excel 文件，"
            "请用 Excel 或 WPS 另存为 .xlsx 后重新上传"
        )


def open_workbook(
    fileobj: IO[bytes],
    *,
    filename: str,
    max_bytes: int = 5 * 1024 * 1024,
    max_entries: int = 50,
    max_uncompressed: int = 50 * 1024 * 1024,
    max_ratio: int = 100,
) -> Workbook:
    """Check an uploaded file and open it read-only (cached values, no formulas).

    ``fileobj`` is a binary file object (a Django ``UploadedFile`` works); at most
    ``max_bytes + 1`` bytes are read from it. The checks on the container run before openpyxl
    sees the file, because openpyxl itself accepts macro files, ``../`` entry names and huge
    archives. The caller must ``close()`` the returned workbook.

    Raises ``XlsxError`` with a message the uploader can act on, never another exception for a
    bad file.
    """
    if not isinstance(filename, str) or not filename.strip().lower().endswith(".xlsx"):
        raise XlsxError("只接受 .xlsx 格式的 Excel 文件")
    data = _read_bounded(fileobj, max_bytes)
    _check_archive(
        data, max_entries=max_entries, max_uncompressed=max_uncompressed, max_ratio=max_ratio
    )
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        # openpyxl lets at least nine exception types escape on bad files (PITFALLS.md).
        raise XlsxError(_UNREADABLE) from exc


# --------------------------------------------------------------------------------------------
# Reading rows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One non-empty data row: ``values`` maps each template header to the raw cell value."""

    number: int
    values: dict[str, Any]
    sheet: str
    columns: Mapping[str, str] = field(repr=False)  # header -> column letter

    def __getitem__(self, header: str) -> Any:
        return self.values[header]


class ErrorCollector:
    """Collects problems across a whole file, up to ``limit``.

    Reaching the limit raises ``XlsxError`` at once: a file with hundreds of errors is usually
    the wrong file, and going on would only waste time. Shared between several ``SheetReader``
    instances when one import reads several sheets.
    """

    def __init__(self, *, limit: int = 200) -> None:
        self.limit = limit
        self.errors: list[CellError] = []
        self._rows_with_errors: set[tuple[str, int]] = set()

    def __len__(self) -> int:
        return len(self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def add(self, error: CellError) -> None:
        self.errors.append(error)
        if error.row is not None:
            self._rows_with_errors.add((error.sheet, error.row))
        if len(self.errors) >= self.limit:
            raise XlsxError(self.errors, truncated=True)

    def add_for(self, row: Row, header: str | None, message: str) -> None:
        """Record a problem found by the caller (a duplicate, a rule) at a row or cell."""
        column = row.columns.get(header) if header else None
        self.add(CellError(row.sheet, row.number, column, message, header=header))

    def parse(self, row: Row, header: str, parser: Callable[..., T], /, **options: Any) -> T | None:
        """Run ``parser`` on the row's cell; on failure record the error and return ``None``.

        ``parser`` may raise ``CellValueError`` (the ``cell_*`` functions) or Django's
        ``ValidationError`` (the validators in ``core.validators``).
        """
        try:
            return parser(row.values[header], **options)
        except CellValueError as exc:
            self.add_for(row, header, exc.message)
        except ValidationError as exc:
            self.add_for(row, header, "；".join(exc.messages))
        return None

    def row_ok(self, row: Row) -> bool:
        """Whether no problem has been recorded for this row (so it can be kept)."""
        return (row.sheet, row.number) not in self._rows_with_errors

    def raise_if_any(self) -> None:
        if self.errors:
            raise XlsxError(self.errors)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


_ROW_TAG = b"<row"
_VALUE_TAGS = (b"<v>", b"<v ", b"<is>")
_MERGE_REF = re.compile(rb'<mergeCell\s+ref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"')
_SCAN_CHUNK = 1024 * 1024
# Below this row limit the row-by-row reader reaches the limit in well under a second.
_PRESCAN_FROM_ROWS = 1000


@dataclass(frozen=True)
class _SheetScan:
    rows_with_values: int
    merged_header_ranges: tuple[str, ...]


def _scan_sheet(worksheet: Any) -> _SheetScan | None:
    """Counts the ``<row>`` elements of a read-only sheet that hold a value and finds merged
    ranges touching row 1, from the raw XML (streamed, constant memory). ``None`` when the part
    cannot be located or read (the row-by-row reader then reports what is wrong)."""
    try:
        archive = worksheet.parent._archive
        part = archive.open(worksheet._worksheet_path)
    except Exception:
        return None
    count = 0
    merged: list[str] = []
    carry = b""
    try:
        with part:
            while True:
                chunk = part.read(_SCAN_CHUNK)
                segments = (carry + chunk).split(_ROW_TAG)
                # The last segment may continue in the next chunk (or hold a split tag).
                carry = segments.pop() if chunk else b""
                for segment in segments:
                    if any(tag in segment for tag in _VALUE_TAGS):
                        count += 1
                    if b"<mergeCell" in segment:
                        merged.extend(
                            f"{m[1].decode()}{m[2].decode()}:{m[3].decode()}{m[4].decode()}"
                            for m in _MERGE_REF.finditer(segment)
                            if m[2] == b"1"
                        )
                if not chunk:
                    break
    except Exception:
        return None
    return _SheetScan(rows_with_values=count, merged_header_ranges=tuple(merged[:10]))


_TEXT_TAG = f"{{{SHEET_MAIN_NS}}}t"


class _SheetParser(WorkSheetParser):
    """openpyxl's sheet parser with a shortcut for the commonest cell of an upload: an inline
    string that is one plain ``<t>`` (as our writer, openpyxl and WPS write text). openpyxl builds
    its rich-text object model for it, a third of the time of reading a sheet of text; the
    shortcut returns the same value and cell dict. Every other cell — shared strings, numbers,
    dates, rich or phonetic runs, anything unusual — goes through openpyxl unchanged.
    ``core/tests/test_xlsx_fast_reader.py`` compares both (openpyxl is pinned to 3.1, whose
    ``parse_cell`` this mirrors).
    """

    def parse_cell(self, element: Any) -> dict[str, Any]:
        if self.data_only and not self.rich_text and element.get("t") == "inlineStr":
            child = element.find(INLINE_STRING)
            if (
                child is not None
                and not child.attrib
                and len(child) == 1
                and child[0].tag == _TEXT_TAG
            ):
                coordinate = element.get("r")
                style_id = element.get("s", 0)
                if style_id:
                    style_id = int(style_id)
                if coordinate:
                    row, column = coordinate_to_tuple(coordinate)
                    self.col_counter = column
                else:
                    self.col_counter += 1
                    row, column = self.row_counter, self.col_counter
                text = child[0].text
                return {
                    "row": row,
                    "column": column,
                    "value": "" if text is None else text,
                    "data_type": "s",
                    "style_id": style_id,
                }
        return super().parse_cell(element)


def _read_only_rows(worksheet: ReadOnlyWorksheet) -> Iterator[Sequence[Any]]:
    """``worksheet.iter_rows(max_row=EXCEL_MAX_ROWS, values_only=True)`` after
    ``reset_dimensions()`` — the same rows, each as wide as its last cell, a missing row as an
    empty one (openpyxl 3.1's ``ReadOnlyWorksheet._cells_by_row``) — parsed by ``_SheetParser``.
    """
    workbook = worksheet.parent
    counter = 1
    index = 0
    with worksheet._get_source() as source:
        parser = _SheetParser(
            source,
            worksheet._shared_strings,
            data_only=workbook.data_only,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for index, cells in parser.parse():
            if index > EXCEL_MAX_ROWS:
                break
            while counter < index:
                counter += 1
                yield ()
            if counter <= index:
                counter += 1
                yield worksheet._get_row(cells, 1, None, True)
    if index > EXCEL_MAX_ROWS:
        for _ in range(counter, EXCEL_MAX_ROWS + 1):
            yield ()


def _merged_header_ranges(worksheet: Any) -> tuple[str, ...]:
    scan = _scan_sheet(worksheet)
    return scan.merged_header_ranges if scan is not None else ()


class SheetReader:
    """Iterates over the data rows of one sheet of a workbook from ``open_workbook``.

    On iteration the header row (row 1) must match ``headers`` exactly (surrounding spaces
    ignored); otherwise ``XlsxError`` lists every wrong column before any data row is read.
    Then each row that has a value in the template's columns is yielded as a ``Row``; empty rows
    are skipped. Non-empty cells right of the template are recorded in ``errors`` (once per
    column), not raised, so that the caller's own checks still run; call
    ``errors.raise_if_any()`` after the loop.

    Raises ``XlsxError`` immediately when there are more than ``max_rows`` data rows, when the
    sheet holds more than ``max_cells`` cells (mostly blank formatted cells: a cheap way to make
    a reader spin), or when the sheet's XML is broken.
    """

    def __init__(
        self,
        workbook: Workbook,
        *,
        sheet: str,
        headers: Sequence[str],
        max_rows: int = 20_000,
        max_cells: int = 5_000_000,
        errors: ErrorCollector | None = None,
    ) -> None:
        self.sheet = sheet
        self.headers = [str(header) for header in headers]
        self.max_rows = max_rows
        self.max_cells = max_cells
        self.errors = errors if errors is not None else ErrorCollector()
        self.columns = {
            header: get_column_letter(index) for index, header in enumerate(self.headers, 1)
        }
        if sheet not in workbook.sheetnames:
            raise XlsxError(f"缺少工作表“{sheet}”")
        try:
            self._worksheet = workbook[sheet]
        except Exception as exc:
            raise XlsxError(CellError(sheet, None, None, _UNREADABLE)) from exc
        if not hasattr(self._worksheet, "iter_rows"):
            raise XlsxError(CellError(sheet, None, None, "不是数据工作表（可能是图表）"))

    def __iter__(self) -> Iterator[Row]:
        worksheet = self._worksheet
        if hasattr(worksheet, "reset_dimensions"):
            # Read-only mode stops at the row/column named in <dimension>, which the file
            # controls: rows beyond it would be silently skipped.
            worksheet.reset_dimensions()
        self._refuse_too_many_rows()
        # No max_col: each row is as wide as its last cell, so stray far-right cells are seen.
        # max_row only caps the filler rows openpyxl invents for gaps in absurd row numbers.
        if isinstance(worksheet, ReadOnlyWorksheet):
            rows = self._guarded(_read_only_rows(worksheet))
        else:
            rows = self._guarded(worksheet.iter_rows(max_row=EXCEL_MAX_ROWS, values_only=True))
        width = len(self.headers)

        header_seen = False
        data_rows = 0
        cells_seen = 0
        reported_columns: set[int] = set()
        for number, values in enumerate(rows, start=1):
            if number == 1:
                self._check_header(values)
                header_seen = True
                continue
            if not values:
                continue
            cells_seen += len(values)
            if cells_seen > self.max_cells:
                raise XlsxError(
                    CellError(
                        self.sheet,
                        None,
                        None,
                        "工作表中空白或格式化的单元格过多，请删除多余的行和列后重新上传",
                    )
                )
            inside = list(values[:width])
            outside = values[width:]
            # count(None) runs in C: wide rows of empty cells are the common hostile case.
            stray = []
            if outside and outside.count(None) != len(outside):
                stray = [
                    index
                    for index, value in enumerate(outside, start=width + 1)
                    if not _is_blank(value)
                ]
            inside_blank = all(_is_blank(value) for value in inside)
            if not stray and inside_blank:
                continue

            data_rows += 1
            if data_rows > self.max_rows:
                raise XlsxError(
                    [
                        CellError(
                            self.sheet, None, None, f"数据行数超过上限（最多 {self.max_rows} 行）"
                        ),
                        *self.errors.errors,
                    ]
                )
            for index in stray:
                if index not in reported_columns:
                    reported_columns.add(index)
                    letter = get_column_letter(index)
                    self.errors.add(
                        CellError(
                            self.sheet,
                            number,
                            None,
                            f"第{letter}列超出模板范围（模板共{width}列），请删除该列内容",
                        )
                    )
            if inside_blank:
                continue
            inside.extend([None] * (width - len(inside)))
            yield Row(
                number=number,
                values=dict(zip(self.headers, inside, strict=True)),
                sheet=self.sheet,
                columns=self.columns,
            )

        if not header_seen:
            self._check_header(())

    def _refuse_too_many_rows(self) -> None:
        """Refuse at once a sheet whose raw XML holds more rows with values than ``max_rows``.

        openpyxl parses ~4,000 rows a second, so reaching the limit row by row costs seconds for
        a limit of 20,000; counting ``<row`` elements that hold a value (``<v>`` or an inline
        ``<is>``) in the decompressed XML costs ~0.1 s for 100,000 rows. Only a shortcut: when the
        sheet's part cannot be found, the row-by-row limit still applies.
        """
        if self.max_rows < _PRESCAN_FROM_ROWS:
            # Reading up to a small limit row by row is quick and reports more (the rows'
            # own errors, the caller's own "too many" message).
            return
        scan = _scan_sheet(self._worksheet)
        # The header row holds values too.
        if scan is not None and scan.rows_with_values - 1 > self.max_rows:
            raise XlsxError(
                CellError(
                    self.sheet,
                    None,
                    None,
                    f"数据行数超过上限（最多 {self.max_rows} 行）",
                )
            )

    def _guarded(self, rows: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        # In read-only mode the sheet XML is parsed during iteration, so a broken file fails
        # here rather than in open_workbook.
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as exc:
                raise XlsxError(CellError(self.sheet, None, None, _UNREADABLE)) from exc
            yield values

    def _check_header(self, values: Sequence[Any]) -> None:
        problems = []
        for index, expected in enumerate(self.headers):
            actual = _header_text(values[index]) if index < len(values) else ""
            letter = get_column_letter(index + 1)
            if not actual:
                problems.append(CellError(self.sheet, 1, letter, f"缺少列“{expected}”"))
            elif actual != expected:
                problems.append(
                    CellError(self.sheet, 1, letter, f"表头应为“{expected}”，实际为“{actual}”")
                )
        for index, value in enumerate(values[len(self.headers) :], start=len(self.headers) + 1):
            if not _is_blank(value):
                letter = get_column_letter(index)
                problems.append(
                    CellError(
                        self.sheet,
                        1,
                        None,
                        f"第{letter}列超出模板范围（模板共{len(self.headers)}列），请删除该列",
                    )
                )
        if problems:
            merged = [
                CellError(
                    self.sheet,
                    1,
                    None,
                    f"表头单元格{ref}被合并，请取消合并，每列各填一个表头（第1行应为："
                    f"{'、'.join(self.headers)}）",
                )
                for ref in _merged_header_ranges(self._worksheet)
            ]
            raise XlsxError([*merged, *problems])


def read_sheet(
    workbook: Workbook, *, sheet: str, headers: Sequence[str], max_rows: int = 20_000
) -> list[Row]:
    """All data rows of a sheet at once (at most ``max_rows``), or ``XlsxError``."""
    reader = SheetReader(workbook, sheet=sheet, headers=headers, max_rows=max_rows)
    rows = list(reader)
    reader.errors.raise_if_any()
    return rows


# --------------------------------------------------------------------------------------------
# Cell parsers: raw value in, typed value out, or CellValueError with a message for the uploader
# --------------------------------------------------------------------------------------------

_REQUIRED = "不能为空"
_INT_TEXT = re.compile(r"[+-]?[0-9]{1,15}")
_DECIMAL_TEXT = re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,15})?")
_DATE_TEXT = re.compile(r"([0-9]{4})(?:[-/.]|年)([0-9]{1,2})(?:[-/.]|月)([0-9]{1,2})日?")


def _preview(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _check_range(number: int | Decimal, min_value: Any, max_value: Any) -> None:
    if min_value is not None and number < min_value:
        raise CellValueError("不能为负数" if min_value == 0 else f"不能小于{min_value}")
    if max_value is not None and number > max_value:
        raise CellValueError(f"不能大于{max_value}")


def cell_text(value: Any, *, required: bool = True, max_length: int | None = None) -> str:
    """Text with surrounding spaces removed; "" for an empty optional cell.

    Whole numbers are accepted as their digits (a name column rarely holds one, a code column
    often does); anything that would need rounding is refused rather than guessed.
    """
    if isinstance(value, str):
        text = value.strip()
    elif value is None:
        text = ""
    elif _is_number(value) and math.isfinite(value) and value == int(value):
        if abs(value) >= _MAX_EXACT_NUMBER:
            raise CellValueError("数字位数过多，请以文本格式填写")
        text = str(int(value))
    else:
        raise CellValueError("应为文本，请以文本格式填写")
    if not text:
        if required:
            raise CellValueError(_REQUIRED)
        return ""
    if max_length is not None and len(text) > max_length:
        raise CellValueError(f"不能超过{max_length}个字符（当前{len(text)}个）")
    return text


def cell_id_number(value: Any, *, label: str = "身份证号码", required: bool = True) -> str:
    """The text of an ID or account number column; a numeric cell is refused.

    Excel turns an 18-digit number into a float with 15 significant digits; rounding it back can
    give a different, even valid, ID, so a number is never converted (PITFALLS.md). The content
    is checked by the caller (``core.validators``).
    """
    if _is_blank(value):
        if required:
            raise CellValueError(_REQUIRED)
        return ""
    if not isinstance(value, str):
        raise CellValueError(f"{label}必须以文本格式填写")
    return value.strip()


def cell_int(
    value: Any,
    *,
    required: bool = True,
    min_value: int | None = 0,
    max_value: int | None = None,
) -> int | None:
    """A whole number (digits typed as text are accepted); ``None`` for an empty optional cell."""
    if _is_blank(value):
        if required:
            raise CellValueError(_REQUIRED)
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _INT_TEXT.fullmatch(text):
            raise CellValueError(f"应为整数，实际为文本“{_preview(text)}”")
        number = int(text)
    elif _is_number(value):
        if not math.isfinite(value) or value != int(value):
            raise CellValueError("应为整数")
        number = int(value)
    elif isinstance(value, datetime.date | datetime.time):
        raise CellValueError("应为整数，实际为日期或时间")
    else:
        raise CellValueError("应为整数")
    _check_range(number, min_value, max_value)
    return number


def cell_decimal(
    value: Any,
    *,
    required: bool = True,
    places: int = 2,
    min_value: Decimal | int | None = 0,
    max_value: Decimal | int | None = None,
) -> Decimal | None:
    """An amount with at most ``places`` decimals; ``None`` for an empty optional cell.

    More decimals are refused rather than rounded: money must not change on import.
    """
    if _is_blank(value):
        if required:
            raise CellValueError(_REQUIRED)
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _DECIMAL_TEXT.fullmatch(text):
            raise CellValueError(f"应为数字，实际为文本“{_preview(text)}”")
        number = Decimal(text)
    elif _is_number(value):
        if not math.isfinite(value):
            raise CellValueError("应为数字")
        # repr gives the shortest text that round-trips, so 0.1 becomes Decimal("0.1").
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        raise CellValueError("应为数字")
    # Checked first because quantize() fails outright beyond the decimal context's precision.
    if abs(number) >= _MAX_EXACT_NUMBER:
        raise CellValueError("数字过大")
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise CellValueError(f"最多保留{places}位小数")
    _check_range(number, min_value, max_value)
    return number


def cell_date(value: Any, *, required: bool = True) -> datetime.date | None:
    """A date cell, or text like 2024-03-01, 2024/3/1 or 2024年3月1日."""
    if _is_blank(value):
        if required:
            raise CellValueError(_REQUIRED)
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        match = _DATE_TEXT.fullmatch(text)
        if not match:
            raise CellValueError(f"应为日期（如 2024-03-01），实际为文本“{_preview(text)}”")
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            raise CellValueError(f"日期无效：“{text}”") from None
    if _is_number(value):
        # A date typed into a cell formatted as a number arrives as a serial like 45352.
        raise CellValueError("应为日期（如 2024-03-01），实际为数字；请把单元格设为日期格式")
    raise CellValueError("应为日期（如 2024-03-01）")
