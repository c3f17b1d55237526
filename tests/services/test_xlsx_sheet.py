"""The xlsx file an export gives: what a spreadsheet shows when it opens it (read
here with openpyxl), whether the columns' kinds are known beforehand or not."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree

import openpyxl
import pytest

from admin_app.services import xlsx_sheet
from admin_app.services.exports import xlsx_chunks
from admin_app.services.xlsx_sheet import DAY, DECIMAL, NUMBER, TEXT, TIME

HEADER = ["Name", "Count", "Balance", "Birthday", "Date added"]
KINDS = [TEXT, NUMBER, DECIMAL, DAY, TIME]
LONG = "abcdefghij" * 4_000  # 40,000 characters: past Excel's 32,767 per cell
TEXTS = ["a < b & c > d", "  leading spaces", "trailing ", "tab\tand\nline",
         "control \x01\x08\x0b\x1f end", "Windows line\r\nend", "_x0041_ typed as is",
         "lone \ud800 surrogate, \ufffe", "emoji 🎉 and ñ", "=1+2",
         # Typed in a note's field: "_x0041" then a line break (CR LF), or a control.
         "code _x0041\r\nnext line", "_x00F8\x0c", LONG]
ROWS = [
    ["Lucía", 320, Decimal("-1234.56"), date(1990, 5, 17), datetime(2026, 1, 15, 10, 30, 5)],
    ["Bruno", 0, Decimal("0.05"), None, datetime(2024, 2, 29)],
    [None, None, None, None, None],
    ["Zoë", 10**12, Decimal("999999999.99"), date(1900, 1, 1), datetime(1999, 12, 31, 23, 59, 59)],
    *([text, 1, Decimal("1.00"), date(2000, 1, 1), datetime(2000, 1, 1, 12)] for text in TEXTS),
]


def as_excel_reads(text: str) -> str:
    """Excel and LibreOffice read _xHHHH_ in a cell's text as that character (a
    typed "_x0041_" is written "_x005F_x0041_"); openpyxl leaves them as they are."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda match: chr(int(match[1], 16)), text)


def workbook_bytes(header=HEADER, rows=ROWS, sheet="Customers", kinds=None) -> bytes:
    return b"".join(xlsx_chunks(header, rows, sheet=sheet, kinds=kinds))


def opened(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


@pytest.fixture(params=[KINDS, None], ids=["kinds known", "types tested"])
def kinds(request):
    return request.param


def test_every_cell_reads_back_as_it_was_written(kinds):
    sheet = opened(workbook_bytes(kinds=kinds))
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER
    assert rows[1] == ["Lucía", 320, pytest.approx(-1234.56), datetime(1990, 5, 17),
                       datetime(2026, 1, 15, 10, 30, 5)]
    assert rows[2] == ["Bruno", 0, pytest.approx(0.05), None, datetime(2024, 2, 29)]
    assert rows[3] == [None] * 5
    assert rows[4] == ["Zoë", 10**12, pytest.approx(999999999.99), datetime(1900, 1, 1),
                       datetime(1999, 12, 31, 23, 59, 59)]
    texts = [as_excel_reads(row[0]) for row in rows[5:]]
    # Every text as typed, a formula's too (a text cell never runs); cut at 32,767.
    assert texts == TEXTS[:-1] + [LONG[:32_767]]


def test_each_kind_of_cell_has_its_type_and_number_format(kinds):
    sheet = opened(workbook_bytes(kinds=kinds))
    name, count, balance, birthday, added = sheet[2]
    assert (name.data_type, name.number_format) == ("s", "General")
    assert (count.data_type, count.number_format) == ("n", "General")
    assert (balance.data_type, balance.number_format) == ("n", "#,##0.00")
    assert birthday.is_date and birthday.number_format == "yyyy-mm-dd"
    assert added.is_date and added.number_format == "yyyy-mm-dd hh:mm:ss"
    assert all(cell.font.b for cell in sheet[1]) and not name.font.b
    formula = sheet.cell(6 + TEXTS.index("=1+2"), 1)  # after the header and 4 rows
    assert formula.data_type == "s" and formula.value == "=1+2"


def test_both_ways_write_the_same_file():
    assert workbook_bytes(kinds=KINDS) == workbook_bytes(kinds=None)


def test_an_empty_cell_is_no_cell_and_spaces_at_the_ends_are_kept():
    with zipfile.ZipFile(io.BytesIO(workbook_bytes(kinds=KINDS))) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert '<row r="4"></row>' in xml and 'r="D3"' not in xml
    assert '<t xml:space="preserve">  leading spaces</t>' in xml
    assert '<t xml:space="preserve">trailing </t>' in xml
    assert "<v>-1234.56</v>" in xml  # money exact, never through a float


def test_the_file_is_a_valid_zip_of_well_formed_parts():
    with zipfile.ZipFile(io.BytesIO(workbook_bytes())) as archive:
        assert archive.testzip() is None
        assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
                "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                "xl/worksheets/sheet1.xml"} <= set(archive.namelist())
        for name in archive.namelist():
            ElementTree.fromstring(archive.read(name))


def test_the_header_stays_in_view_with_a_filter_over_every_row():
    sheet = opened(workbook_bytes())
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:E{len(ROWS) + 1}"


@pytest.mark.parametrize(("title", "shown"), [
    ("Clientes & <grupos>", "Clientes & <grupos>"),
    ("O'Brien's list", "O'Brien's list"),
    ("Import/Export [old]: a very long name indeed", "Import Export  old   a very lon"),
])
def test_the_sheet_is_named_after_the_list(title, shown):
    data = workbook_bytes(sheet=title)
    assert opened(data).title == shown
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    names = workbook.findall(".//{*}definedName")
    quoted = shown.replace("'", "''")
    assert [(name.get("name"), name.text) for name in names] == [
        ("_xlnm._FilterDatabase", f"'{quoted}'!$A$1:$E${len(ROWS) + 1}")]


def test_past_excel_s_last_row_the_file_stops_there_and_stays_valid(monkeypatch):
    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 4)
    read = []
    rows = (read.append(n) or [n] for n in range(10_000))
    data = b"".join(xlsx_chunks(["N"], rows, sheet="Numbers", kinds=[NUMBER]))
    sheet = opened(data)
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["N", 0, 1, 2]
    assert sheet.auto_filter.ref == "A1:A4"
    assert len(read) <= xlsx_sheet.WIDTH_ROWS  # the rest is not even read


def test_an_empty_list_gives_its_header_alone():
    sheet = opened(workbook_bytes(rows=[]))
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [HEADER]
    assert sheet.auto_filter.ref == "A1:E1"


def test_an_empty_text_is_a_blank_cell_as_in_the_csv(kinds):
    """An audit event with no summary exported to xlsx: its cell is blank, so that a
    spreadsheet's "(Blanks)" filter and ISBLANK find it, not an empty text."""
    data = workbook_bytes(header=["Action", "Summary"], rows=[["login", ""], ["export", "csv"]],
                          kinds=[TEXT, TEXT] if kinds else None)
    with zipfile.ZipFile(io.BytesIO(data)) as workbook:
        assert b'r="B2"' not in workbook.read("xl/worksheets/sheet1.xml")
    assert [list(row) for row in opened(data).iter_rows(values_only=True)][1:] == [
        ["login", None], ["export", "csv"]]


def test_a_time_is_written_to_the_second_as_the_csv_shows_it(kinds):
    """A customer added in the app at 20:11:16.9 shows 20:11:16 in the CSV: the xlsx
    holds the same second (a spreadsheet would round the fraction up to :17)."""
    added = datetime(2026, 12, 6, 20, 11, 16, 900_000)
    data = workbook_bytes(header=["Date added"], rows=[[added]],
                          kinds=[TIME] if kinds else None)
    assert [list(row) for row in opened(data).iter_rows(values_only=True)][1] == [
        datetime(2026, 12, 6, 20, 11, 16)]


def test_the_zip_has_no_zip64_markers_a_spreadsheet_program_may_refuse():
    """Excel expects a plain zip: the sheet, of a size known when it is zipped, carries
    Zip64 markers only past 2 GB (a streamed entry of unknown size had them)."""
    data = workbook_bytes()
    zip64_extra = b"\x01\x00"  # the Zip64 extra field's id, in a local file header
    with zipfile.ZipFile(io.BytesIO(data)) as workbook:
        for entry in workbook.infolist():
            start = entry.header_offset + 30  # past the local header's fixed part
            name_length = int.from_bytes(data[start - 4:start - 2], "little")
            extra_length = int.from_bytes(data[start - 2:start], "little")
            extra = data[start + name_length:start + name_length + extra_length]
            assert not extra.startswith(zip64_extra), entry.filename
            assert entry.extract_version < 45, entry.filename  # 4.5: Zip64
