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

from . import xlsx_sheet
from .xlsx_sheet import Cell

# A spreadsheet runs a cell starting with one of these as a formula; some read the
# full-width forms (＝ ＋ － ＠) as the plain ones.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Bytes read back from the xlsx temporary file per chunk of the response.
CHUNK = 64 * 1024


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


def xlsx_chunks(header: list[str], rows: Iterable[Sequence[Cell]], sheet: str,
                kinds: Sequence[str] | None = None) -> Iterator[bytes]:
    """An xlsx workbook (xlsx_sheet), written row by row to a temporary file at
    constant memory, then sent in chunks. With ``kinds`` (one per column, of
    xlsx_sheet.KINDS), every value of a column is of that kind or None."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        xlsx_sheet.write(path, header, rows, sheet, kinds)
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.remove(path)
