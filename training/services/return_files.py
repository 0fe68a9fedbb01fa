"""The Excel round-trip of a monthly return: the pre-filled template a clerk downloads, and the
import of the filled-in file.

The import is all-or-nothing: the whole file is checked first and every problem is reported at
once (sheet, row, column, reason); only a clean file reaches ``return_save``, so the same
permission, edit-window and version rules apply as to the web form.
"""

import datetime
import io
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import RuleViolation
from core.models import Department, User
from core.services import audit_record
from core.xlsx import (
    CellError,
    CellValueError,
    ErrorCollector,
    SheetReader,
    XlsxError,
    cell_id_number,
    cell_int,
    cell_text,
    open_workbook,
)
from training import deadlines, permissions
from training.exports import (
    COL_CATEGORY,
    COL_DEPARTMENT_CODE,
    COL_MONTH,
    COL_NOTE,
    COL_NUMBER,
    FIGURE_HEADERS,
    NOTE_MAX_LENGTH,
    RETURN_HEADERS,
    RETURN_SHEET,
    ReturnTemplateExporter,
    month_text,
)
from training.models import OUTCOME_FIELDS, Campaign, MonthlyReturn, TrainingCategory
from training.services import returns
from training.services.returns import LineInput

# A department owns at most a handful of categories; a template is a few kilobytes. These bounds
# are far above any honest file and far below what makes a hostile one expensive to read.
UPLOAD_MAX_BYTES = 2 * 1024 * 1024
# openpyxl parses a whole sheet at load when it has no <dimension> element, so the uncompressed
# size bounds the time a file can cost before the row limit is reached.
UPLOAD_MAX_UNCOMPRESSED = 10 * 1024 * 1024
UPLOAD_MAX_ROWS = 100
# A month's figure for one category of one city; also keeps every value inside the database's
# integer column.
MAX_FIGURE = 10_000_000


def return_template(
    *,
    campaign: Campaign,
    department: Department,
    month: datetime.date,
    monthly_return: MonthlyReturn | None,
) -> tuple[str, io.BytesIO]:
    """The month's return as a fillable xlsx: ``(filename, file rewound to the start)``.

    Two queries: the department's categories and the return's lines. Writes nothing.
    """
    categories = list(
        TrainingCategory.objects.filter(campaign=campaign, department=department).order_by("number")
    )
    lines = {}
    if monthly_return is not None:
        lines = {line.category_id: line for line in monthly_return.lines.all()}
    exporter = ReturnTemplateExporter(
        department=department, month=month, categories=categories, lines=lines
    )
    buffer = io.BytesIO()
    exporter.write(buffer)
    buffer.seek(0)
    return exporter.filename, buffer


def return_import(
    *,
    campaign: Campaign,
    department: Department,
    month: datetime.date,
    fileobj: IO[bytes],
    filename: str,
    version: int,
    actor: User,
) -> MonthlyReturn:
    """Save a month's figures from an uploaded template, as ``return_save`` does from the form.

    Checks, in order: the actor is the department's clerk (PermissionDenied), the month can be
    edited now (RuleViolation with the reason), the file itself (size, zip container, macros),
    then every row. Any problem in the file raises one ``XlsxError`` listing all of them and
    nothing is written. A clean file is saved through ``return_save`` (which writes the
    "monthly_return.save" audit row and raises ReturnConflict when ``version`` is stale) plus an
    audit row "monthly_return.import" naming the file, both in one transaction.
    """
    if not permissions.can_edit_return(actor, department):
        raise PermissionDenied
    if month not in campaign.reporting_months():
        raise RuleViolation(
            _("%(month)s 不在本专项活动的报送月份内") % {"month": f"{month:%Y年%m月}"}
        )
    # Say why the month is closed before asking the clerk to fix a file that could not be saved.
    current = MonthlyReturn.objects.filter(
        campaign=campaign, department=department, month=month
    ).first()
    state = returns.current_edit_state(
        campaign=campaign, department=department, month=month, ret=current
    )
    if not state.editable:
        raise RuleViolation(state.reason, code=state.code)

    categories = list(
        TrainingCategory.objects.filter(campaign=campaign, department=department).order_by("number")
    )
    # Parsed before the transaction opens: a slow file holds no database transaction.
    lines = _read_return_file(
        fileobj, filename=filename, department=department, month=month, categories=categories
    )
    with transaction.atomic():
        ret = returns.return_save(
            campaign=campaign,
            department=department,
            month=month,
            lines=lines,
            version=version,
            actor=actor,
        )
        audit_record(
            actor=actor,
            action="monthly_return.import",
            obj=ret,
            changes={"filename": str(filename)[:200], "lines": len(lines)},
        )
    return ret


def _read_return_file(
    fileobj: IO[bytes],
    *,
    filename: str,
    department: Department,
    month: datetime.date,
    categories: list[TrainingCategory],
) -> list[LineInput]:
    if _is_empty(fileobj):
        raise XlsxError(_("上传的文件是空的（0字节），请选择填好的月报文件"))
    workbook = open_workbook(
        fileobj,
        filename=filename,
        max_bytes=UPLOAD_MAX_BYTES,
        max_uncompressed=UPLOAD_MAX_UNCOMPRESSED,
    )
    try:
        return _read_rows(workbook, department=department, month=month, categories=categories)
    finally:
        workbook.close()


def _is_empty(fileobj: IO[bytes]) -> bool:
    try:
        fileobj.seek(0)
        return not fileobj.read(1)
    except (AttributeError, OSError, ValueError):
        return False


def _read_rows(
    workbook, *, department: Department, month: datetime.date, categories: list[TrainingCategory]
) -> list[LineInput]:
    errors = ErrorCollector()
    reader = SheetReader(
        workbook,
        sheet=RETURN_SHEET,
        headers=RETURN_HEADERS,
        max_rows=UPLOAD_MAX_ROWS,
        errors=errors,
    )
    by_number = {category.number: category for category in categories}
    expected_month = month_text(month)
    seen: dict[int, int] = {}  # category number → the row that holds it
    lines: list[LineInput] = []

    for row in reader:
        code = errors.parse(row, COL_DEPARTMENT_CODE, cell_id_number, label=COL_DEPARTMENT_CODE)
        if code is not None and code != department.code:
            errors.add_for(
                row,
                COL_DEPARTMENT_CODE,
                _("不是本单位的数据：单位代码应为“%(expected)s”，实际为“%(actual)s”")
                % {"expected": department.code, "actual": _preview(code)},
            )

        month_value = errors.parse(row, COL_MONTH, _cell_month)
        if month_value is not None and month_value != expected_month:
            errors.add_for(
                row,
                COL_MONTH,
                _("报送月份应为%(expected)s，实际为%(actual)s")
                % {"expected": expected_month, "actual": _preview(month_value)},
            )

        category = None
        number = errors.parse(row, COL_NUMBER, cell_int, min_value=None)
        if number is not None:
            category = by_number.get(number)
            if category is None:
                errors.add_for(
                    row, COL_NUMBER, _("序号%(number)s不是本单位的培训类别") % {"number": number}
                )
            elif number in seen:
                errors.add_for(
                    row,
                    COL_NUMBER,
                    _("序号%(number)s重复（第%(first)s行已填写该培训类别）")
                    % {"number": number, "first": seen[number]},
                )
                category = None
            else:
                seen[number] = row.number

        name = errors.parse(row, COL_CATEGORY, cell_text)
        if category is not None and name is not None and name != category.name:
            errors.add_for(
                row,
                COL_CATEGORY,
                _("序号%(number)s的培训类别应为“%(expected)s”，实际为“%(actual)s”")
                % {"number": category.number, "expected": category.name, "actual": _preview(name)},
            )

        figures: dict[str, int] = {}
        for field_name, header in FIGURE_HEADERS.items():
            value = errors.parse(row, header, cell_int, min_value=0, max_value=MAX_FIGURE)
            if value is not None:
                figures[field_name] = value
        trained = figures.get("trained")
        if trained is not None:
            for field_name in OUTCOME_FIELDS:
                value = figures.get(field_name)
                if value is not None and value > trained:
                    header = FIGURE_HEADERS[field_name]
                    errors.add_for(
                        row,
                        header,
                        _("%(field)s（%(value)s）不能大于培训人次（%(trained)s）")
                        % {"field": header, "value": value, "trained": trained},
                    )

        note = errors.parse(row, COL_NOTE, _cell_note)
        if category is not None and errors.row_ok(row):
            lines.append(LineInput(category_id=category.pk, figures=figures, note=note or ""))

    for category in categories:
        if category.number not in seen:
            errors.add(
                CellError(
                    RETURN_SHEET,
                    None,
                    None,
                    _("缺少培训类别“%(name)s”（序号%(number)s）的行")
                    % {"name": category.name, "number": category.number},
                )
            )
    errors.raise_if_any()
    return lines


def _preview(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"


def _cell_month(value: Any) -> str:
    """The month column as ``YYYY-MM``: the template writes text, but Excel turns a retyped
    "2014-06" into a date, and "2014-6" is the same month; anything else is returned as read so
    the error can show it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CellValueError(_("不能为空"))
    if isinstance(value, datetime.datetime | datetime.date):
        return f"{value:%Y-%m}" if value.day == 1 else f"{value:%Y-%m-%d}"
    if isinstance(value, str):
        text = value.strip()
        parsed = deadlines.parse_month(text)
        return month_text(parsed) if parsed is not None else text
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value)


def _cell_note(value: Any) -> str:
    """Free text; a note that Excel stored as a number or a date is kept as its text."""
    if isinstance(value, datetime.datetime | datetime.date):
        value = value.isoformat()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        value = f"{value:g}" if isinstance(value, float) else str(value)
    elif isinstance(value, bool):
        value = "是" if value else "否"
    return cell_text(value, required=False, max_length=NOTE_MAX_LENGTH)
