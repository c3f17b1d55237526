"""A one-sheet xlsx workbook, its XML written as text straight into the zip, a
thousand rows at a time, at constant memory.

Why not XlsxWriter: its per-cell calls (bounds checks, a cell object, an XML
writer call) cost several microseconds each: writing a million customers (17
columns) took about 80 CPU-seconds in it, 14 here, where each column's cells come
from one function chosen beforehand for its kind and a row is one string.

The sheet: a bold header row, frozen, with a filter over every row; columns as
wide as their first rows; texts as inline strings (shown as typed, never run as
formulas); whole numbers, money (#,##0.00), days and times as Excel numbers with
their formats; no cell for None or an empty text.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import chain, islice
from typing import IO, Any

# Column kinds: every value of a column of a known kind is of that kind, or None.
TEXT, NUMBER, DECIMAL, DAY, TIME = "text", "number", "decimal", "day", "time"
KINDS = (TEXT, NUMBER, DECIMAL, DAY, TIME)

MAX_ROWS = 1_048_576   # Excel's rows per sheet, the header's included
MAX_TEXT = 32_767      # Excel's characters per cell: longer texts are cut, as XlsxWriter did
WIDTH_ROWS = 200       # rows read ahead to size the columns
MAX_WIDTH = 60         # characters: longer texts wrap off the edge rather than widen
# Excel stores a width of n characters as n plus 5 pixels of padding (at 7 pixels
# a character), in steps of 1/256.
WIDTH_PADDING = 182 / 256
BATCH_ROWS = 1_000     # rows joined into one write of the sheet's XML
COPY_BYTES = 1 << 20   # bytes of the sheet's XML moved into the zip at a time
# Deflate's fastest level: files a quarter larger than at the default level (6),
# for about 40% less of the writing's time (measured: 14 CPU-s against 21 for a
# million customers).
COMPRESS_LEVEL = 1

# Cell styles, by their place in styles.xml's cellXfs.
HEADER_STYLE, STYLES = 1, {DECIMAL: 2, DAY: 3, TIME: 4}
STYLES_XML = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    # 4 is Excel's built-in "#,##0.00": money, shown with the reader's own separators.
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_XML = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
ROOT_RELS_XML = (
    f'<Relationships xmlns="{PACKAGE_RELATIONS}"><Relationship Id="rId1" '
    f'Type="{RELATIONS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK_RELS_XML = (
    f'<Relationships xmlns="{PACKAGE_RELATIONS}">'
    f'<Relationship Id="rId1" Type="{RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELATIONS}/styles" Target="styles.xml"/></Relationships>')
SHEET_START = (
    f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONS}"><sheetViews>'
    '<sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
    '</sheetViews><sheetFormatPr defaultRowHeight="15"/>')

# A text needs more than its markup when it has one of these: XML's own marks;
# characters XML 1.0 cannot hold, which Excel reads back from _xHHHH_ (CR too, or
# it would come back as LF); "_" for a typed "_xHHHH_", which Excel would decode.
NEEDS_ESCAPING = re.compile("[&<>_\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
NOT_IN_XML = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
# A typed "_x" and four hex digits that Excel would read as an escape: followed by
# "_", or by a character that becomes an escape (which starts with "_").
TYPED_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}[_\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff])")
NOT_IN_SHEET_NAME = re.compile("[\\[\\]:*?/\\\\\x00-\x1f]")

EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system, as counted from March 1900
EPOCH_DAY = EPOCH.toordinal()
LEAP_BUG_END = 61  # Excel counts a 29 February 1900: days before 1 March 1900 are one less
ONE_DAY = timedelta(days=1)

Cell = int | Decimal | date | datetime | str | None
CellWriter = Callable[[str, Any], str]  # (row number, value) -> the cell's XML


def write(file: str | IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Cell]],
          sheet: str, kinds: Sequence[str] | None = None) -> None:
    """Write the workbook to ``file``. With ``kinds`` (one per column), each
    column's values are of that kind or None; without, each value's type is
    tested. Rows past Excel's last row are left out (as XlsxWriter did), unread."""
    rows = iter(rows)
    first = list(islice(rows, WIDTH_ROWS))
    letters = [column_letters(column) for column in range(len(header))]
    if kinds is None:
        writers = [_any_cell({kind: _cell_writer(kind, letter) for kind in KINDS})
                   for letter in letters]
    else:
        writers = [_cell_writer(kind, letter) for kind, letter in zip(kinds, letters, strict=True)]
    # The sheet's XML goes to a temporary file first, its size then known to the
    # zip: Zip64 only past 2 GB, as spreadsheet programs expect (a streamed entry
    # of unknown size would carry Zip64 markers that some of them refuse).
    with tempfile.TemporaryFile() as sheet_xml, \
            zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED,
                            compresslevel=COMPRESS_LEVEL) as archive:
        sheet_xml.write((XML + SHEET_START + _columns(_widths(header, first))
                         + "<sheetData>" + _header_row(header, letters)).encode())
        written = 0
        rows = islice(chain(first, rows), MAX_ROWS - 1)  # the header is row 1
        while batch := list(islice(rows, BATCH_ROWS)):
            sheet_xml.write(_rows_xml(batch, written + 2, writers).encode())
            written += len(batch)
        # The filter covers the header and every row; no columns, no filter.
        last = (letters[-1], written + 1) if letters else None
        sheet_xml.write(("</sheetData>" + (f'<autoFilter ref="A1:{last[0]}{last[1]}"/>'
                                           if last else "") + "</worksheet>").encode())
        archive.writestr("[Content_Types].xml", XML + CONTENT_TYPES_XML)
        archive.writestr("_rels/.rels", XML + ROOT_RELS_XML)
        # Zip64 by the rule zipfile applies to a file of known size.
        zip64 = sheet_xml.tell() * 1.05 > zipfile.ZIP64_LIMIT
        sheet_xml.seek(0)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=zip64) as stream:
            shutil.copyfileobj(sheet_xml, stream, COPY_BYTES)
        archive.writestr("xl/workbook.xml", XML + _workbook_xml(sheet, last))
        archive.writestr("xl/_rels/workbook.xml.rels", XML + WORKBOOK_RELS_XML)
        archive.writestr("xl/styles.xml", XML + STYLES_XML)


def _rows_xml(batch: list[Sequence[Cell]], first: int, writers: list[CellWriter]) -> str:
    parts = []
    for number, row in enumerate(batch, first):
        n = str(number)
        # An empty text is no cell either, as in the CSV: a spreadsheet's "blanks"
        # (filters, Go To, ISBLANK) count it.
        cells = [cell(n, value) for cell, value in zip(writers, row, strict=True)
                 if value is not None and value != ""]
        parts.append(f'<row r="{n}">{"".join(cells)}</row>')
    return "".join(parts)


def _cell_writer(kind: str, letter: str) -> CellWriter:
    """The function that writes a cell of ``kind`` in column ``letter``."""
    if kind == TEXT:
        return _text_writer(letter, "")
    style = f' s="{STYLES[kind]}"' if kind in STYLES else ""
    number = f'<c r="{letter}{{}}"{style}><v>{{}}</v></c>'.format
    if kind in (NUMBER, DECIMAL):
        return number  # a Decimal as str() gives it: exact, no float
    if kind == DAY:
        return lambda row, day: number(row, _day_serial(day))
    if kind == TIME:
        return lambda row, moment: number(row, _time_serial(moment))
    raise ValueError(f"unknown column kind {kind!r}")


def _day_serial(day: date) -> int:
    days = day.toordinal() - EPOCH_DAY
    return days - 1 if days < LEAP_BUG_END else days


def _time_serial(moment: datetime) -> float:
    # To the second, as the CSV and the format show it: a spreadsheet rounds a
    # time's fraction of a second to the nearest, which could show the next one.
    days = (moment.replace(microsecond=0) - EPOCH) / ONE_DAY
    return days - 1 if days < LEAP_BUG_END else days


def _text_writer(letter: str, style: str) -> CellWriter:
    start = f'<c r="{letter}{{}}"{style} t="inlineStr"><is>'
    plain = (start + "<t>{}</t></is></c>").format
    spaced = (start + '<t xml:space="preserve">{}</t></is></c>').format

    def text(row: str, value) -> str:
        if len(value) > MAX_TEXT or NEEDS_ESCAPING.search(value):
            value = escape_text(value)
        # Excel drops a text's leading and trailing spaces unless told to keep them.
        return (plain if value.strip() == value else spaced)(row, value)
    return text


def escape_text(text: str) -> str:
    """A text as a cell's XML holds it: cut to Excel's length, characters XML cannot
    hold as Excel's _xHHHH_ (a typed "_xHHHH_" keeps its "_" as _x005F_), then
    XML's own escapes."""
    text = TYPED_ESCAPE.sub("_x005F_", text[:MAX_TEXT])
    text = NOT_IN_XML.sub(lambda match: f"_x{ord(match[0]):04X}_", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# The kind of a value of exactly these types, looked up without a chain of
# isinstance tests; others (bool, subclasses) go through _kind_of, which must say
# the same for these types. A bool is written as its text ("True"), as before.
KIND_OF_TYPE = {str: TEXT, int: NUMBER, Decimal: DECIMAL, datetime: TIME, date: DAY}


def _any_cell(writers: dict[str, CellWriter]) -> CellWriter:
    """A column's writer that tests each value's type."""
    def cell(row: str, value) -> str:
        kind = KIND_OF_TYPE.get(value.__class__)
        if kind is None:
            kind, value = _kind_of(value)
        return writers[kind](row, value)
    return cell


def _kind_of(value) -> tuple[str, Any]:
    if isinstance(value, bool):
        return TEXT, str(value)
    if isinstance(value, Decimal):
        return DECIMAL, value
    if isinstance(value, int):
        return NUMBER, value
    if isinstance(value, datetime):
        return TIME, value
    if isinstance(value, date):
        return DAY, value
    return TEXT, str(value)


def _header_row(header: Sequence[str], letters: list[str]) -> str:
    cells = [_text_writer(letter, f' s="{HEADER_STYLE}"')("1", str(title))
             for letter, title in zip(letters, header, strict=True)]
    return f'<row r="1">{"".join(cells)}</row>'


def _columns(widths: list[int]) -> str:
    if not widths:
        return ""
    return "<cols>" + "".join(
        f'<col min="{column}" max="{column}" width="{width + WIDTH_PADDING}" customWidth="1"/>'
        for column, width in enumerate(widths, 1)) + "</cols>"


def _workbook_xml(sheet: str, last: tuple[str, int] | None) -> str:
    name = sheet_name(sheet)
    names = ""
    if last is not None:
        # Excel keeps a sheet's filter range in this hidden name.
        area = "'" + name.replace("'", "''") + f"'!$A$1:${last[0]}${last[1]}"
        names = ('<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" '
                 f'hidden="1">{_escape_attribute(area)}</definedName></definedNames>')
    return (f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}"><bookViews><workbookView/>'
            f'</bookViews><sheets><sheet name="{_escape_attribute(name)}" sheetId="1" '
            f'r:id="rId1"/></sheets>{names}</workbook>')


def sheet_name(title: str) -> str:
    """What Excel accepts as a sheet's name: up to 31 characters, none of []:*?/\\,
    not starting or ending with an apostrophe."""
    return NOT_IN_SHEET_NAME.sub(" ", title)[:31].strip("'") or "Sheet1"


def _escape_attribute(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def column_letters(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _widths(header: Sequence[str], rows: list[Sequence[Cell]]) -> list[int]:
    """Characters per column: the longest of the header and the first rows, plus a
    margin (room for the filter button), at most MAX_WIDTH."""
    widths = [len(str(title)) + 4 for title in header]
    for row in rows:
        for column, value in enumerate(row[:len(widths)]):
            widths[column] = max(widths[column], len(_shown(value)) + 2)
    return [min(width, MAX_WIDTH) for width in widths]


def _shown(value: Cell) -> str:
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm:ss"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return "" if value is None else str(value)
