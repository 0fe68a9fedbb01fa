import datetime
import importlib.util
import io
import os
import re
import time
import zipfile
from decimal import Decimal

import openpyxl
import openpyxl.xml
import pytest

import core.xlsx
from core.validators import parse_resident_id
from core.xlsx import (
    CellError,
    CellValueError,
    ErrorCollector,
    SheetReader,
    SheetSpec,
    TextCell,
    XlsxError,
    XlsxWriter,
    cell_date,
    cell_decimal,
    cell_id_number,
    cell_int,
    cell_text,
    open_workbook,
    read_sheet,
    write_workbook,
)

HEADERS = ["姓名", "身份证号码", "课时"]
SHEET_XML = "xl/worksheets/sheet1.xml"
UNREADABLE = "文件无法读取，请确认文件未损坏，并用 Excel 或 WPS 另存为 .xlsx 后重新上传"


# --- helpers ---------------------------------------------------------------------------------


def _naive(year, month, day, *time_parts) -> datetime.datetime:
    """A wall-clock datetime as Excel holds it: spreadsheets have no time zones."""
    return datetime.datetime.combine(datetime.date(year, month, day), datetime.time(*time_parts))


def _export(headers, rows, *, title="学员", **sheet_options) -> bytes:
    writer = XlsxWriter()
    worksheet = writer.add_sheet(title, headers, **sheet_options)
    for row in rows:
        writer.append(worksheet, row)
    buffer = io.BytesIO()
    writer.save(buffer)
    return buffer.getvalue()


def _reopen(data: bytes):
    """Open as a spreadsheet program would, formulas kept as formulas."""
    return openpyxl.load_workbook(io.BytesIO(data))


def _upload(rows, *, headers=HEADERS, title="学员") -> bytes:
    """A file as a user would fill it in (numbers typed as numbers)."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = title
    worksheet.append(headers)
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, *, replace=None, add=None, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """Copy an xlsx, replacing (or with None dropping) entries and adding new ones."""
    replace = replace or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", compression) as target,
    ):
        for info in source.infolist():
            content = replace.get(info.filename, source.read(info))
            if content is not None:
                target.writestr(info.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _append_all(writer, worksheet, rows) -> None:
    for row in rows:
        writer.append(worksheet, row)


def _sheet_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(SHEET_XML)


def _open(data: bytes, filename="名单.xlsx", **limits):
    return open_workbook(io.BytesIO(data), filename=filename, **limits)


def _open_error(data: bytes, filename="名单.xlsx", **limits) -> list[str]:
    with pytest.raises(XlsxError) as excinfo:
        _open(data, filename, **limits)
    return excinfo.value.messages


def _read_error(data: bytes, **options) -> list[str]:
    workbook = _open(data)
    with pytest.raises(XlsxError) as excinfo:
        read_sheet(workbook, sheet="学员", headers=options.pop("headers", HEADERS), **options)
    workbook.close()
    return excinfo.value.messages


def _rows(data: bytes, **options):
    workbook = _open(data)
    try:
        return read_sheet(
            workbook, sheet="学员", headers=options.pop("headers", HEADERS), **options
        )
    finally:
        workbook.close()


def _big_sheet(row_count: int) -> bytes:
    """A valid file whose sheet holds ``row_count`` data rows, built as raw XML for speed."""
    template = _upload([])
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>张三</t></is></c>'
        f'<c r="C{n}"><v>8</v></c></row>'
        for n in range(2, row_count + 2)
    )
    xml = _sheet_xml(template).decode()
    # Excel always writes <dimension>; here it understates the rows, as a hostile file would.
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:C2"/>', xml)
    xml = xml.replace("</row></sheetData>", f"</row>{rows}</sheetData>")
    return _rezip(template, replace={SHEET_XML: xml.encode()})


# --- writer ----------------------------------------------------------------------------------


def test_writer_keeps_numbers_decimals_dates_and_booleans_typed():
    data = _export(
        ["整数", "小数", "金额", "日期", "时间", "是否", "空"],
        [
            [
                42,
                1.5,
                Decimal("1234.56"),
                datetime.date(2024, 3, 1),
                _naive(2024, 3, 1, 9, 30),
                True,
                None,
            ]
        ],
    )

    row = next(_reopen(data).active.iter_rows(min_row=2))

    assert [cell.value for cell in row[:6]] == [
        42,
        1.5,
        1234.56,
        _naive(2024, 3, 1),
        _naive(2024, 3, 1, 9, 30),
        "是",
    ]
    assert [cell.data_type for cell in row[:6]] == ["n", "n", "n", "d", "d", "s"]
    assert row[2].number_format == "0.00"
    assert row[3].number_format == "yyyy-mm-dd"
    assert row[6].value is None


def test_writer_stores_false_as_fou():
    data = _export(["是否"], [[False]])

    assert _reopen(data).active["A2"].value == "否"


def test_writer_converts_aware_datetime_to_beijing_time():
    moment = datetime.datetime(2024, 3, 1, 1, 0, tzinfo=datetime.UTC)

    data = _export(["时间"], [[moment]])

    assert _reopen(data).active["A2"].value == _naive(2024, 3, 1, 9, 0)


def test_id_and_account_numbers_stay_exact_text():
    data = _export(
        ["身份证号码", "银行账号", "标记"],
        [["41100219900307123X", "62220202000012345678", TextCell("411002199003071236")]],
    )

    cells = _reopen(data).active[2]

    assert [cell.value for cell in cells] == [
        "41100219900307123X",
        "62220202000012345678",
        "411002199003071236",
    ]
    assert all(cell.data_type == "s" for cell in cells)


def test_integers_too_long_for_excel_are_written_as_text():
    data = _export(["号码", "普通"], [[411002199003071236, 10**15 - 1]])

    sheet = _reopen(data).active

    assert sheet["A2"].value == "411002199003071236"
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 10**15 - 1


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-2+3",
        "@SUM(A1)",
        "\t=x",
        '=HYPERLINK("http://example.com","点击")',
        "=cmd|' /C calc'!A0",
        "#N/A",
        "=",
    ],
)
def test_hostile_text_is_stored_as_literal_text_never_a_formula(text):
    data = _export(["备注"], [[text]])

    cell = _reopen(data).active["A2"]

    assert cell.data_type == "s"
    assert cell.data_type != "f"
    assert cell.value == text
    assert b"<f>" not in _sheet_xml(data)


def test_header_text_that_looks_like_a_formula_is_also_text():
    data = _export(["=1+1"], [])

    assert _reopen(data).active["A1"].data_type == "s"


def test_characters_illegal_in_xml_are_removed_and_rest_stays_text():
    data = _export(["备注", "其他"], [["\0=x", "a\x07b\x1fc"]])

    sheet = _reopen(data).active

    assert sheet["A2"].value == "=x"
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].value == "abc"


def test_header_is_bold_frozen_and_widths_count_chinese_double():
    data = _export(["姓名", "ID", "身份证号码"], [])

    sheet = _reopen(data).active

    assert sheet["A1"].font.b is True
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 8  # minimum
    assert sheet.column_dimensions["C"].width == 12  # 5 Chinese characters count 10, plus 2


def test_given_widths_and_no_freeze_are_respected():
    data = _export(["A", "B"], [], widths=[30, 5], freeze=None)

    sheet = _reopen(data).active

    assert sheet.column_dimensions["A"].width == 30
    assert sheet.column_dimensions["B"].width == 5
    assert sheet.freeze_panes is None


def test_widths_must_match_headers():
    with pytest.raises(ValueError, match="one entry per header"):
        XlsxWriter().add_sheet("学员", ["A", "B"], widths=[10])


@pytest.mark.parametrize("value", [object(), [1, 2], b"bytes", datetime.time(9, 0)])
def test_unsupported_types_are_refused(value):
    with XlsxWriter() as writer:
        worksheet = writer.add_sheet("学员", ["值"])

        with pytest.raises(TypeError, match="cannot export"):
            writer.append(worksheet, [value])


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN")])
def test_non_finite_numbers_are_refused(value):
    with XlsxWriter() as writer:
        worksheet = writer.add_sheet("学员", ["值"])

        with pytest.raises(ValueError, match="non-finite"):
            writer.append(worksheet, [value])


def test_failed_export_leaves_no_temporary_files():
    def rows():
        yield ["张三"]
        raise RuntimeError("database went away")

    with XlsxWriter() as writer:
        worksheet = writer.add_sheet("学员", ["姓名"])
        paths = [sheet._writer.out for sheet in writer._workbook.worksheets]
        with pytest.raises(RuntimeError, match="went away"):
            _append_all(writer, worksheet, rows())

    assert paths
    assert not any(os.path.exists(path) for path in paths)


def test_write_workbook_cleans_up_when_rows_fail(tmp_path):
    def rows():
        yield ["张三"]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="went away"):
        write_workbook(tmp_path / "x.xlsx", [SheetSpec("学员", ["姓名"], rows())])

    assert not (tmp_path / "x.xlsx").exists()


def test_write_workbook_streams_rows_from_generators_into_several_sheets(tmp_path):
    consumed = []

    def people():
        for index in range(1000):
            consumed.append(index)
            yield [f"学员{index}", index]

    target = tmp_path / "导出.xlsx"
    write_workbook(
        target,
        [
            SheetSpec("学员", ["姓名", "序号"], people()),
            SheetSpec("汇总", ["合计"], iter([[1000]]), widths=[20]),
        ],
    )

    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["学员", "汇总"]
    assert workbook["学员"].max_row == 1001
    assert workbook["学员"]["A1001"].value == "学员999"
    assert workbook["汇总"]["A2"].value == 1000
    assert len(consumed) == 1000


def test_written_file_can_be_read_back_by_the_reader():
    data = _export(HEADERS, [["张三", "11010519491231002X", 8], ["=1+1", "110105194912310021", 0]])

    rows = _rows(data)

    assert [row.values for row in rows] == [
        {"姓名": "张三", "身份证号码": "11010519491231002X", "课时": 8},
        {"姓名": "=1+1", "身份证号码": "110105194912310021", "课时": 0},
    ]


# --- opening uploads -------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["名单.xls", "名单.xlsm", "名单.csv", "名单", "", "xlsx"])
def test_only_xlsx_extension_is_accepted(filename):
    assert _open_error(_upload([]), filename) == ["只接受 .xlsx 格式的 Excel 文件"]


def test_extension_check_ignores_case():
    _open(_upload([]), "名单.XLSX").close()


def test_oversized_file_is_refused_before_parsing():
    data = b"\0" * (5 * 1024 * 1024 + 1)

    assert _open_error(data) == ["文件大小超过上限（最大 5 MB）"]


def test_file_of_exactly_max_bytes_passes_the_size_check():
    data = _upload([])

    _open(data, max_bytes=len(data)).close()
    assert _open_error(data, max_bytes=len(data) - 1)[0].startswith("文件大小超过上限")


def test_file_object_already_read_is_rewound(tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(_upload([["张三", "11010519491231002X", 8]]))

    with path.open("rb") as handle:
        handle.read(10)
        workbook = open_workbook(handle, filename=path.name)

    assert len(read_sheet(workbook, sheet="学员", headers=HEADERS)) == 1


@pytest.mark.parametrize("data", [b"", b"hello", b"PK\x03\x04broken", _upload([])[:2000]])
def test_non_zip_content_is_refused(data):
    assert _open_error(data) == ["文件不是有效的 Excel（xlsx）文件"]


def test_old_xls_renamed_to_xlsx_gets_its_own_message():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512

    assert _open_error(data) == [
        "文件是旧版 .xls 格式或设置了打开密码，请去掉密码并另存为 .xlsx 后重新上传"
    ]


def test_zip_without_workbook_is_refused():
    data = _rezip(_upload([]), replace={"xl/workbook.xml": None})

    assert _open_error(data) == ["文件不是有效的 Excel（xlsx）文件"]


def test_zip_bomb_exceeding_total_uncompressed_size_is_refused():
    data = _rezip(_upload([]), add={"xl/media/image1.png": b"\0" * (60 * 1024 * 1024)})
    assert len(data) < 1024 * 1024

    assert _open_error(data) == ["文件解压后过大，不是正常的 Excel 文件"]


def test_entry_with_extreme_compression_ratio_is_refused():
    data = _rezip(_upload([]), add={"xl/media/image1.png": b"\0" * (2 * 1024 * 1024)})

    assert _open_error(data) == ["文件解压后过大，不是正常的 Excel 文件"]


def test_too_many_entries_are_refused():
    extra = {f"xl/media/image{index}.png": b"x" for index in range(60)}

    assert _open_error(_rezip(_upload([]), add=extra)) == [
        "文件内部条目过多（超过 50 个），不是正常的 Excel 文件"
    ]


@pytest.mark.parametrize("name", ["../evil.xml", "xl/../../evil.xml", "/etc/evil.xml", "C:/x.xml"])
def test_entry_names_escaping_the_archive_are_refused(name):
    data = _rezip(_upload([]), add={name: b"<x/>"})

    assert _open_error(data) == ["文件包含非法的内部路径，不是正常的 Excel 文件"]


def test_vba_project_inside_an_xlsx_is_refused():
    data = _rezip(_upload([]), add={"xl/vbaProject.bin": b"macro"})

    assert _open_error(data) == ["不接受包含宏的文件"]


def test_macro_enabled_content_type_is_refused():
    template = _upload([])
    with zipfile.ZipFile(io.BytesIO(template)) as archive:
        types = archive.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )

    data = _rezip(template, replace={"[Content_Types].xml": types.encode()})

    assert _open_error(data) == ["不接受包含宏的文件"]


def test_corrupted_workbook_xml_becomes_xlsx_error():
    data = _rezip(_upload([]), replace={"xl/workbook.xml": b"<workbook"})

    assert _open_error(data) == [UNREADABLE]


def test_truncated_sheet_xml_becomes_xlsx_error_not_another_exception():
    template = _upload([["张三", "11010519491231002X", 8]] * 50)
    xml = _sheet_xml(template)
    data = _rezip(template, replace={SHEET_XML: xml[: len(xml) // 2]})

    assert _read_error(data) == [f"工作表“学员”：{UNREADABLE}"]


def test_xml_entity_expansion_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    data = _rezip(_upload([]), replace={SHEET_XML: bomb})

    with pytest.raises(XlsxError) as excinfo:
        _open(data)

    # Refused before parsing, naming the part; and openpyxl itself (defusedxml) is the backstop.
    assert excinfo.value.messages == [
        f"文件内部的“{SHEET_XML}”含有 DOCTYPE 或实体声明，不是正常的 Excel 文件，"
        "请用 Excel 或 WPS 另存为 .xlsx 后重新上传"
    ]
    from defusedxml import EntitiesForbidden

    # openpyxl wraps the parser's error in its own ValueError.
    with pytest.raises(ValueError, match="invalid XML") as excinfo:
        openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    causes = []
    cause = excinfo.value
    while cause is not None:
        causes.append(type(cause))
        cause = cause.__cause__ or cause.__context__
    assert EntitiesForbidden in causes


def test_entity_declaration_in_a_part_openpyxl_never_parses_is_refused_too():
    rels = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><Relationships/>'
    data = _rezip(_upload([]), replace={"_rels/.rels": rels})
    assert "_rels/.rels" in _open_error(data)[0]


def test_entity_declaration_in_utf16_is_refused():
    bomb = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY a "b">]><worksheet/>'
    data = _rezip(_upload([]), replace={SHEET_XML: bomb.encode("utf-16")})
    assert "DOCTYPE" in _open_error(data)[0]


def test_module_refuses_to_load_without_defusedxml(monkeypatch):
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    spec = importlib.util.spec_from_file_location("xlsx_without_defusedxml", core.xlsx.__file__)
    module = importlib.util.module_from_spec(spec)

    with pytest.raises(RuntimeError, match="defusedxml"):
        spec.loader.exec_module(module)


# --- sheets and headers ----------------------------------------------------------------------


def test_missing_sheet_is_reported_by_name():
    workbook = _open(_upload([], title="Sheet1"))

    with pytest.raises(XlsxError) as excinfo:
        SheetReader(workbook, sheet="学员", headers=HEADERS)

    assert excinfo.value.messages == ["缺少工作表“学员”"]


def test_wrong_missing_and_extra_headers_are_all_reported():
    data = _upload([], headers=["姓名", "身份证号", None, "备注"])

    assert _read_error(data) == [
        "工作表“学员”第1行第B列：表头应为“身份证号码”，实际为“身份证号”",
        "工作表“学员”第1行第C列：缺少列“课时”",
        "工作表“学员”第1行：第D列超出模板范围（模板共3列），请删除该列",
    ]


def test_merged_header_cells_are_named_before_the_column_errors():
    workbook = openpyxl.load_workbook(io.BytesIO(_upload([["张三", "11010519491231002X", 8]])))
    workbook["学员"].merge_cells("A1:B1")
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert _read_error(buffer.getvalue()) == [
        "工作表“学员”第1行：表头单元格A1:B1被合并，请取消合并，每列各填一个表头"
        "（第1行应为：姓名、身份证号码、课时）",
        "工作表“学员”第1行第B列：缺少列“身份证号码”",
    ]


def test_merged_data_cells_do_not_trigger_the_header_message():
    workbook = openpyxl.load_workbook(io.BytesIO(_upload([["张三", "11010519491231002X", 8]])))
    workbook["学员"].merge_cells("A2:B2")
    buffer = io.BytesIO()
    workbook.save(buffer)

    rows = _rows(buffer.getvalue())
    assert rows[0].values["身份证号码"] is None


def test_headers_with_surrounding_spaces_are_accepted():
    data = _upload([["张三", "11010519491231002X", 8]], headers=[" 姓名", "身份证号码 ", "\t课时"])

    assert len(_rows(data)) == 1


def test_empty_sheet_reports_every_missing_header():
    workbook = openpyxl.Workbook()
    workbook.active.title = "学员"
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert _read_error(buffer.getvalue()) == [
        "工作表“学员”第1行第A列：缺少列“姓名”",
        "工作表“学员”第1行第B列：缺少列“身份证号码”",
        "工作表“学员”第1行第C列：缺少列“课时”",
    ]


# --- rows ------------------------------------------------------------------------------------


def test_rows_carry_excel_row_numbers_and_skip_empty_rows():
    data = _upload(
        [
            ["张三", "11010519491231002X", 8],
            [None, None, None],
            ["  ", "", None],
            ["李四", "110105194912310021", None],
        ]
    )

    rows = _rows(data)

    assert [row.number for row in rows] == [2, 5]
    assert rows[1]["姓名"] == "李四"
    assert rows[1].values["课时"] is None
    assert rows[1].columns["课时"] == "C"


def test_rows_hidden_beyond_a_lying_dimension_are_still_read():
    data = _upload([[f"学员{index}", "11010519491231002X", index] for index in range(10)])
    xml = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:B2"/>', _sheet_xml(data))
    data = _rezip(data, replace={SHEET_XML: xml})
    # Plain read-only openpyxl believes the dimension and misses rows and a column.
    naive = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert len(list(naive["学员"].iter_rows(values_only=True))) == 2

    rows = _rows(data)

    assert len(rows) == 10
    assert rows[-1].values == {"姓名": "学员9", "身份证号码": "11010519491231002X", "课时": 9}


def test_row_limit_boundary():
    data = _upload([["张三", "11010519491231002X", 8]] * 3)

    assert len(_rows(data, max_rows=3)) == 3
    assert _read_error(data, max_rows=2) == ["工作表“学员”：数据行数超过上限（最多 2 行）"]


def test_hundred_thousand_rows_fail_fast_at_the_row_limit():
    data = _big_sheet(100_000)
    yielded = []

    started = time.perf_counter()
    workbook = _open(data)
    reader = SheetReader(workbook, sheet="学员", headers=HEADERS)
    with pytest.raises(XlsxError) as excinfo:
        yielded.extend(reader)
    elapsed = time.perf_counter() - started

    assert excinfo.value.messages == ["工作表“学员”：数据行数超过上限（最多 20000 行）"]
    # Refused from a count of the raw XML before any row is parsed.
    assert yielded == []
    assert elapsed < 1


def test_row_count_shortcut_ignores_blank_formatted_rows():
    """Rows holding only styled empty cells do not count against the limit."""
    template = _upload([["张三", "11010519491231002X", 8]])
    blank = "".join(f'<row r="{n}"><c r="A{n}" s="0"/></row>' for n in range(3, 30_000))
    xml = _sheet_xml(template).decode().replace("</sheetData>", blank + "</sheetData>")
    data = _rezip(template, replace={SHEET_XML: xml.encode()})

    assert len(_rows(data, max_rows=1)) == 1


def test_stray_cell_far_right_is_reported_once_with_its_column():
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = "学员"
    worksheet.append(HEADERS)
    worksheet.append(["张三", "11010519491231002X", 8])
    worksheet.append(["李四", "110105194912310021", 6])
    worksheet["XFD3"] = "多余"
    worksheet["XFD20"] = "又一个"
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook = _open(buffer.getvalue())

    reader = SheetReader(workbook, sheet="学员", headers=HEADERS)
    rows = list(reader)

    assert [row.number for row in rows] == [2, 3]
    assert [str(error) for error in reader.errors.errors] == [
        "工作表“学员”第3行：第XFD列超出模板范围（模板共3列），请删除该列内容"
    ]
    with pytest.raises(XlsxError):
        reader.errors.raise_if_any()


def test_stray_cell_in_the_last_excel_row_is_read_quickly():
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = "学员"
    worksheet.append(HEADERS)
    worksheet.cell(row=1_048_576, column=1, value="最后一行")
    buffer = io.BytesIO()
    workbook.save(buffer)

    started = time.perf_counter()
    rows = _rows(buffer.getvalue())

    assert [row.number for row in rows] == [1_048_576]
    assert time.perf_counter() - started < 5


def test_sheet_with_too_many_cells_is_refused():
    data = _upload([["张三", "11010519491231002X", 8]] * 30)

    workbook = _open(data)
    with pytest.raises(XlsxError) as excinfo:
        list(SheetReader(workbook, sheet="学员", headers=HEADERS, max_cells=50))

    assert excinfo.value.messages == [
        "工作表“学员”：工作表中空白或格式化的单元格过多，请删除多余的行和列后重新上传"
    ]


# --- collecting cell errors ------------------------------------------------------------------


def _import(data: bytes, *, limit=200):
    """A minimal importer as the apps will write it."""
    workbook = _open(data)
    errors = ErrorCollector(limit=limit)
    prepared = []
    try:
        for row in SheetReader(workbook, sheet="学员", headers=HEADERS, errors=errors):
            name = errors.parse(row, "姓名", cell_text)
            id_number = errors.parse(row, "身份证号码", cell_id_number)
            if id_number:
                errors.parse(row, "身份证号码", parse_resident_id)
            hours = errors.parse(row, "课时", cell_int, min_value=0)
            if errors.row_ok(row):
                prepared.append((row.number, name, id_number, hours))
        errors.raise_if_any()
    finally:
        workbook.close()
    return prepared


def test_valid_file_is_imported():
    data = _upload([["张三", "11010519491231002X", 8], ["李四", "411002199003071236", "6"]])

    assert _import(data) == [
        (2, "张三", "11010519491231002X", 8),
        (3, "李四", "411002199003071236", 6),
    ]


def test_all_cell_errors_across_rows_are_reported_with_location():
    data = _upload(
        [
            ["张三", "11010519491231002X", "abc"],
            ["李四", 411002199003071236, -1],
            [None, float(411002199003071236), 1.5],
            ["王五", "110105194912310021", 3],
        ]
    )

    with pytest.raises(XlsxError) as excinfo:
        _import(data)

    assert excinfo.value.messages == [
        "工作表“学员”第2行第C列（课时）：应为整数，实际为文本“abc”",
        "工作表“学员”第3行第B列（身份证号码）：身份证号码必须以文本格式填写",
        "工作表“学员”第3行第C列（课时）：不能为负数",
        "工作表“学员”第4行第A列（姓名）：不能为空",
        "工作表“学员”第4行第B列（身份证号码）：身份证号码必须以文本格式填写",
        "工作表“学员”第4行第C列（课时）：应为整数",
        "工作表“学员”第5行第B列（身份证号码）：校验位错误",
    ]
    assert excinfo.value.truncated is False


def test_error_limit_stops_reading_early():
    data = _upload([["张三", "11010519491231002X", "abc"]] * 50)

    with pytest.raises(XlsxError) as excinfo:
        _import(data, limit=5)

    assert len(excinfo.value.errors) == 5
    assert excinfo.value.errors[-1].row == 6
    assert excinfo.value.truncated is True
    assert excinfo.value.messages[-1] == "错误已达5条，停止检查；请先修改以上错误后重新上传"


def test_caller_can_add_its_own_row_errors():
    data = _upload([["张三", "11010519491231002X", 8], ["张三", "11010519491231002X", 8]])
    workbook = _open(data)
    errors = ErrorCollector()
    seen = set()
    for row in SheetReader(workbook, sheet="学员", headers=HEADERS, errors=errors):
        if row["身份证号码"] in seen:
            errors.add_for(row, "身份证号码", "与上面的行重复")
        seen.add(row["身份证号码"])

    assert [str(error) for error in errors.errors] == [
        "工作表“学员”第3行第B列（身份证号码）：与上面的行重复"
    ]


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (CellError("学员", 5, "C", "应为整数", "课时"), "工作表“学员”第5行第C列（课时）：应为整数"),
        (CellError("学员", 5, "C", "应为整数"), "工作表“学员”第5行第C列：应为整数"),
        (CellError("学员", 5, None, "重复"), "工作表“学员”第5行：重复"),
        (CellError("学员", None, None, "缺少"), "工作表“学员”：缺少"),
        (CellError("", None, None, "文件太大"), "文件太大"),
    ],
)
def test_cell_error_text_omits_unknown_parts(error, text):
    assert str(error) == text


def test_xlsx_error_accepts_a_plain_message():
    error = XlsxError("文件太大")

    assert error.messages == ["文件太大"]
    assert str(error) == "文件太大"


# --- cell parsers ----------------------------------------------------------------------------


def _message(parser, value, **options) -> str:
    with pytest.raises(CellValueError) as excinfo:
        parser(value, **options)
    return excinfo.value.message


@pytest.mark.parametrize(("value", "expected"), [(8, 8), (8.0, 8), ("8", 8), (" 12 ", 12), (0, 0)])
def test_cell_int_accepts_whole_numbers(value, expected):
    assert cell_int(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "应为整数，实际为文本“abc”"),
        ("1.5", "应为整数，实际为文本“1.5”"),
        ("一" * 30, "应为整数，实际为文本“" + "一" * 20 + "…”"),
        ("9" * 400, "应为整数，实际为文本“" + "9" * 20 + "…”"),
        (1.5, "应为整数"),
        (float("inf"), "应为整数"),
        (True, "应为整数"),
        (-1, "不能为负数"),
        ("-3", "不能为负数"),
        (None, "不能为空"),
        ("  ", "不能为空"),
        (_naive(2024, 1, 1), "应为整数，实际为日期或时间"),
    ],
)
def test_cell_int_refusals(value, message):
    assert _message(cell_int, value) == message


def test_cell_int_optional_and_custom_bounds():
    assert cell_int(None, required=False) is None
    assert cell_int(-5, min_value=None) == -5
    assert _message(cell_int, 0, min_value=1) == "不能小于1"
    assert _message(cell_int, 13, max_value=12) == "不能大于12"


@pytest.mark.parametrize("value", [411002199003071236, 4.110021990030712e17, Decimal("1.5"), 0])
def test_cell_id_number_refuses_numeric_cells(value):
    assert _message(cell_id_number, value) == "身份证号码必须以文本格式填写"


def test_cell_id_number_returns_stripped_text_and_uses_label():
    assert cell_id_number(" 11010519491231002X ") == "11010519491231002X"
    assert cell_id_number(None, required=False) == ""
    assert (
        _message(cell_id_number, 6222020200001234, label="银行账号") == "银行账号必须以文本格式填写"
    )
    assert _message(cell_id_number, "") == "不能为空"


def test_cell_text_rules():
    assert cell_text("  张三 ") == "张三"
    assert cell_text(2024) == "2024"
    assert cell_text(2024.0) == "2024"
    assert cell_text(None, required=False) == ""
    assert _message(cell_text, None) == "不能为空"
    assert _message(cell_text, 1.5) == "应为文本，请以文本格式填写"
    assert _message(cell_text, 4.110021990030712e17) == "数字位数过多，请以文本格式填写"
    assert _message(cell_text, "张三丰", max_length=2) == "不能超过2个字符（当前3个）"


@pytest.mark.parametrize(
    "value",
    [
        datetime.date(2024, 3, 1),
        _naive(2024, 3, 1, 15, 30),
        "2024-03-01",
        " 2024-3-1 ",
        "2024/03/01",
        "2024.3.1",
        "2024年3月1日",
    ],
)
def test_cell_date_accepts_dates_and_date_text(value):
    assert cell_date(value) == datetime.date(2024, 3, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-02-30", "日期无效：“2024-02-30”"),
        ("2023-02-29", "日期无效：“2023-02-29”"),
        ("下周一", "应为日期（如 2024-03-01），实际为文本“下周一”"),
        ("20240301", "应为日期（如 2024-03-01），实际为文本“20240301”"),
        (45352, "应为日期（如 2024-03-01），实际为数字；请把单元格设为日期格式"),
        (None, "不能为空"),
    ],
)
def test_cell_date_refusals(value, message):
    assert _message(cell_date, value) == message


def test_cell_date_optional_empty_is_none():
    assert cell_date("", required=False) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, Decimal(12)),
        (0.1, Decimal("0.1")),
        (1234.56, Decimal("1234.56")),
        ("1234.5", Decimal("1234.5")),
        (Decimal("3.00"), Decimal("3.00")),
    ],
)
def test_cell_decimal_accepts_amounts(value, expected):
    assert cell_decimal(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0.1 + 0.2, "最多保留2位小数"),
        ("1.005", "最多保留2位小数"),
        ("1,000", "应为数字，实际为文本“1,000”"),
        (-0.01, "不能为负数"),
        (float("nan"), "应为数字"),
        (True, "应为数字"),
        (None, "不能为空"),
        (10**30, "数字过大"),
        (1e300, "数字过大"),
    ],
)
def test_cell_decimal_refusals(value, message):
    assert _message(cell_decimal, value) == message
