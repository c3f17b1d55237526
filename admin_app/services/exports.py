"""Exports that are safe to open and cheap to make: rows stream out as they are
read, in CSV or Excel (xlsx), with spreadsheet formulas neutralised.

A cell is a number (int or Decimal: money as a decimal number, never a float),
a text, or empty (None). Texts that a spreadsheet would run as a formula get a
leading apostrophe (OWASP's advice against CSV injection); numbers stay numbers.
"""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

import xlsxwriter

Cell = int | Decimal | str | None

# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Bytes read back from the xlsx temporary file per chunk of the response.
CHUNK = 64 * 1024


# A plain number such as "-42" is read as that number, never run: it stays as it is.
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


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
    return neutralise(str(value))


def csv_chunks(header: list[str], rows: Iterable[list[Cell]], batch: int = 500) -> Iterator[str]:
    """The CSV text in chunks of ``batch`` rows; starts with a BOM so that
    spreadsheet programs read it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(str(title)) for title in header])
    yield "\ufeff" + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, 1):
        writer.writerow([_csv_cell(value) for value in row])
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def xlsx_chunks(header: list[str], rows: Iterable[list[Cell]], sheet: str) -> Iterator[bytes]:
    """An xlsx workbook, written row by row to a temporary file (XlsxWriter's
    constant-memory mode keeps one row in memory), then sent in chunks."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True,
                                              "strings_to_numbers": False,
                                              "strings_to_formulas": False,
                                              "strings_to_urls": False})
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        worksheet.write_row(0, 0, [str(title) for title in header], bold)
        for number, row in enumerate(rows, 1):
            for column, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                    # Decimal money is exact to the cent; Excel stores it as a number.
                    worksheet.write_number(number, column, value)
                else:
                    worksheet.write_string(number, column, neutralise(str(value)))
        workbook.close()
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.remove(path)
