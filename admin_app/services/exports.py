"""Exports that are safe to open and cheap to make: rows stream out as they are
read, in CSV or Excel (xlsx), with spreadsheet formulas neutralised.

A cell is a number (int or Decimal: money as a decimal number, never a float),
a day or a time, a text, or empty (None). In CSV, texts that a spreadsheet would
run as a formula get a leading apostrophe (OWASP's advice against CSV injection);
an xlsx string cell never runs, so it keeps the text as it is. In xlsx, numbers,
days and times are real cells with their formats, under a frozen header row with
a filter, in columns as wide as their first rows.
"""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice

import xlsxwriter

Cell = int | Decimal | date | datetime | str | None

# A spreadsheet runs a cell starting with one of these as a formula; some read the
# full-width forms (＝ ＋ － ＠) as the plain ones.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Bytes read back from the xlsx temporary file per chunk of the response.
CHUNK = 64 * 1024
WIDTH_ROWS = 200    # rows read ahead to size the xlsx columns
MAX_WIDTH = 60      # characters: longer texts wrap off the edge rather than widen
DAY_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DECIMAL_FORMAT = "#,##0.00"  # money; shown with the reader's own separators


# A plain number such as "-42" is read as that number, never run: it stays as it is.
# What a spreadsheet reads as a number: ASCII digits only ("-١٢" would be a formula).
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def neutralise(text: str) -> str:
    """'=1+2' -> "'=1+2": shown as typed, never run."""
    if text.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def csv_writer():
    """A CSV writer into a text buffer, with the line ends spreadsheets expect."""
    buffer = io.StringIO()
    return buffer, csv.writer(buffer, lineterminator="\r\n")


def header_text(header: Sequence) -> str:
    """A CSV file's start: the BOM (spreadsheet programs then read it as UTF-8)
    and the header line, neutralised like every cell."""
    buffer, writer = csv_writer()
    writer.writerow([neutralise(str(title)) for title in header])
    return "\ufeff" + buffer.getvalue()


def csv_chunks(header: list[str], rows: Iterable[list[Cell]], batch: int = 500) -> Iterator[str]:
    """The CSV text in chunks of ``batch`` rows; starts with a BOM so that
    spreadsheet programs read it as UTF-8."""
    buffer, writer = csv_writer()
    yield header_text(header)
    for count, row in enumerate(rows, 1):
        writer.writerow([_csv_cell(value) for value in row])
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


# A column whose kind is known beforehand (rows read as plain tuples): written by
# one XlsxWriter call chosen once, with no type test per cell.
TEXT, NUMBER, DECIMAL, DAY, TIME = "text", "number", "decimal", "day", "time"


def xlsx_chunks(header: list[str], rows: Iterable[Sequence[Cell]], sheet: str,
                kinds: Sequence[str] | None = None) -> Iterator[bytes]:
    """An xlsx workbook, written row by row to a temporary file (XlsxWriter's
    constant-memory mode keeps one row in memory), then sent in chunks. With
    ``kinds`` (one per column), every value of a column is of that kind or None."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        _write_workbook(path, header, rows, sheet, kinds)
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.remove(path)


def _write_workbook(path: str, header: list[str], rows: Iterable[Sequence[Cell]],
                    sheet: str, kinds: Sequence[str] | None) -> None:
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True,
                                          "strings_to_numbers": False,
                                          "strings_to_formulas": False,
                                          "strings_to_urls": False})
    worksheet = workbook.add_worksheet(sheet[:31])
    formats = {"day": workbook.add_format({"num_format": DAY_FORMAT}),
               "time": workbook.add_format({"num_format": TIME_FORMAT}),
               "decimal": workbook.add_format({"num_format": DECIMAL_FORMAT})}
    rows = iter(rows)
    first = list(islice(rows, WIDTH_ROWS))
    for column, width in enumerate(_widths(header, first)):
        worksheet.set_column(column, column, width)
    worksheet.write_row(0, 0, [str(title) for title in header],
                        workbook.add_format({"bold": True}))
    worksheet.freeze_panes(1, 0)
    last = 0
    if kinds is None:
        for last, row in enumerate(chain(first, rows), 1):
            for column, value in enumerate(row):
                _write_cell(worksheet, last, column, value, formats)
    else:
        writers = list(enumerate(_column_writer(worksheet, kind, formats) for kind in kinds))
        for last, row in enumerate(chain(first, rows), 1):
            for column, write in writers:
                value = row[column]
                if value is not None:
                    write(last, column, value)
    if header:
        worksheet.autofilter(0, 0, last, len(header) - 1)
    workbook.close()


def _column_writer(worksheet, kind: str, formats: dict):
    """What _write_cell does for a value of ``kind``, as one call."""
    if kind == TEXT:
        return worksheet.write_string
    if kind == NUMBER:
        return worksheet.write_number
    if kind == DECIMAL:
        return lambda row, column, value: worksheet.write_number(row, column, value,
                                                                 formats["decimal"])
    if kind in (DAY, TIME):
        return lambda row, column, value: worksheet.write_datetime(row, column, value,
                                                                   formats[kind])
    raise ValueError(f"unknown column kind {kind!r}")


def _write_cell(worksheet, row: int, column: int, value: Cell, formats: dict) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        worksheet.write_string(row, column, str(value))
    elif isinstance(value, Decimal):
        # Exact to the cent; Excel stores it as a number.
        worksheet.write_number(row, column, value, formats["decimal"])
    elif isinstance(value, int):
        worksheet.write_number(row, column, value)
    elif isinstance(value, datetime):
        worksheet.write_datetime(row, column, value, formats["time"])
    elif isinstance(value, date):
        worksheet.write_datetime(row, column, value, formats["day"])
    else:
        # A string cell is shown as typed and never run: no apostrophe needed.
        worksheet.write_string(row, column, str(value))


def _widths(header: list[str], rows: list[Sequence[Cell]]) -> list[int]:
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
