"""``SheetReader`` reads read-only sheets through ``core.xlsx._SheetParser``, which shortcuts plain
inline strings; every cell must come out exactly as openpyxl's own reader gives it."""

import io
import zipfile

import openpyxl
import pytest

from core.xlsx import EXCEL_MAX_ROWS, SheetReader, _read_only_rows, open_workbook

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

ROWS = """
<row r="1">
  <c r="A1" t="inlineStr"><is><t>甲</t></is></c>
  <c r="B1" t="inlineStr"><is><t>乙</t></is></c>
</row>
<row r="2">
  <c r="A2" t="inlineStr"><is><t xml:space="preserve">  带空格  </t></is></c>
  <c r="B2" t="inlineStr"><is><t/></is></c>
  <c r="D2" t="inlineStr" s="0"><is><r><t>富</t></r><r><rPr><b/></rPr><t>文本</t></r></is></c>
</row>
<row r="4">
  <c t="inlineStr"><is><t>无坐标</t><rPh sb="0" eb="1"><t>ピン</t></rPh></is></c>
  <c t="inlineStr"><is><t>1</t><t>2</t></is></c>
  <c r="C4"><v>41100219900101</v></c>
  <c r="D4" t="b"><v>1</v></c>
  <c r="E4" t="inlineStr"><is xmlns:x="urn:other"><x:t>别处的t</x:t></is></c>
  <c r="F4" t="str"><v>公式结果</v></c>
  <c r="G4" t="inlineStr"><is></is></c>
</row>
<row r="6"><c r="B6" t="inlineStr"><is><t>=HYPERLINK("x")</t></is></c></row>
"""


def _workbook_bytes(sheet_data: str) -> bytes:
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.title = "表"
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = (
                    f'<worksheet xmlns="{NS}"><sheetData>{sheet_data}</sheetData></worksheet>'
                ).encode()
            target.writestr(info, data)
    return out.getvalue()


def _both(data: bytes):
    workbook = open_workbook(io.BytesIO(data), filename="a.xlsx")
    try:
        worksheet = workbook["表"]
        worksheet.reset_dimensions()
        expected = [
            tuple(row) for row in worksheet.iter_rows(max_row=EXCEL_MAX_ROWS, values_only=True)
        ]
        actual = [tuple(row) for row in _read_only_rows(worksheet)]
    finally:
        workbook.close()
    return actual, expected


def test_fast_reader_gives_the_same_rows_as_openpyxl():
    actual, expected = _both(_workbook_bytes(ROWS))
    assert actual == expected
    # The cases above really are the tricky ones, not all empty.
    assert actual[1] == ("  带空格  ", "", None, "富文本")
    assert actual[2] == ()
    assert actual[3][:2] == ("无坐标", "2")
    assert actual[5] == (None, '=HYPERLINK("x")')


def test_sheet_reader_yields_the_same_values_as_before():
    data = _workbook_bytes(ROWS)
    workbook = open_workbook(io.BytesIO(data), filename="a.xlsx")
    try:
        rows = list(SheetReader(workbook, sheet="表", headers=["甲", "乙"]))
    finally:
        workbook.close()
    assert [(row.number, row["甲"], row["乙"]) for row in rows] == [
        (2, "  带空格  ", ""),
        (4, "无坐标", "2"),
        (6, None, '=HYPERLINK("x")'),
    ]


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="A2" t="inlineStr" s="x"><is><t>坏样式</t></is></c>',
        '<c r="?2" t="inlineStr"><is><t>坏坐标</t></is></c>',
        '<c r="A2" t="inlineStr"><is bad="1"><t>坏属性</t></is></c>',
    ],
)
def test_fast_reader_fails_where_openpyxl_fails(cell):
    data = _workbook_bytes(
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>甲</t></is></c></row><row r="2">{cell}</row>'
    )
    workbook = open_workbook(io.BytesIO(data), filename="a.xlsx")
    try:
        worksheet = workbook["表"]
        worksheet.reset_dimensions()
        failures = []
        for read in (
            lambda: list(worksheet.iter_rows(max_row=EXCEL_MAX_ROWS, values_only=True)),
            lambda: list(_read_only_rows(worksheet)),
        ):
            try:
                read()
            except Exception as exc:  # the type is what is compared
                failures.append(type(exc))
            else:
                failures.append(None)
    finally:
        workbook.close()
    assert failures[0] is not None
    assert failures[1] is failures[0]
