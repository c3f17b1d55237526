"""Uploaded CSV files: bytes in, a clean table out, or a refusal the user can act on.

Knows nothing about customers: callers map columns to fields with ``match_columns``
and check the values themselves.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import charset_normalizer
import ftfy
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from ftfy.badness import is_bad

from .errors import ValidationError

DELIMITERS = (",", ";", "\t")
# Files saved as a spreadsheet or a document instead of CSV.
BINARY_SIGNATURES = (b"PK\x03\x04", b"%PDF")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF8_BOM = b"\xef\xbb\xbf"
# Legacy encodings of several bytes a character. Spreadsheets in our languages save
# Windows-1252, but a Japanese or Chinese file (Shift-JIS, GBK...) often decodes as
# Windows-1252 too, into nonsense such as "ŽR“c": charset_normalizer tells them apart.
MULTIBYTE_ENCODINGS = {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp",
                       "euc_jis_2004", "iso2022_jp", "gb2312", "gbk", "gb18030", "hz",
                       "big5", "big5hkscs", "cp950", "cp949", "euc_kr", "johab"}
SNIFF_BYTES = 64 * 1024  # enough text to recognise an encoding
# How an encoding is named to the user.
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                  "cp1252": "Windows-1252", "cp932": "Shift-JIS", "shift_jis": "Shift-JIS",
                  "euc_jp": "EUC-JP", "gb18030": "GB18030", "gbk": "GBK", "gb2312": "GB2312",
                  "big5": "Big5", "cp949": "EUC-KR", "euc_kr": "EUC-KR"}


class FileRefused(ValidationError):
    """The whole file is refused; nothing is read from it."""


@dataclass(frozen=True)
class Row:
    line: int  # physical line where the row starts in the file
    values: list[str]  # stripped, padded with "" to the number of headers


@dataclass(frozen=True)
class Table:
    headers: list[str]  # header cells as in the file, stripped
    rows: list[Row]  # data rows in file order, blank lines skipped
    encoding: str  # "utf-8", "utf-8-sig", "cp1252", "utf-16", or a multibyte one ("cp932")
    delimiter: str  # ",", ";" or "\t"


def read_csv(data: bytes, *, max_bytes: int, max_rows: int) -> Table:
    """The table in ``data``; raises FileRefused if the file cannot be used as a whole."""
    text, encoding = _text(data, max_bytes)
    delimiter = _guess_delimiter(text)
    records = _records(text, delimiter)
    headers = _header(records)
    rows = _rows(records, len(headers), max_rows)
    return Table(headers=headers, rows=rows, encoding=encoding, delimiter=delimiter)


def _text(data: bytes, max_bytes: int) -> tuple[str, str]:
    """The file's text and the name of its encoding, or FileRefused."""
    if not data:
        raise _empty()
    # Checked before decoding, so a huge upload costs nothing more.
    if len(data) > max_bytes:
        raise FileRefused(_("The file is larger than %(limit)s. Split it into smaller files "
                            "and import each part.", limit=_size_text(max_bytes)))
    text, encoding = _decode(data)
    # Some tools add a second byte order mark; it is never part of the header.
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise _empty()
    return text, encoding


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each record of the file, read as it is asked for: the line it starts on and its
    cells, cleaned. Raises FileRefused at the first record that cannot be read."""
    # newline="" hands csv every physical line with its ending, so line_num counts
    # the lines of the file whether they end in CRLF, LF or CR.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    # Looked for once in the whole text, rather than in every cell (most files have
    # no NUL, and no return character when their lines end in LF).
    has_nul, clean = "\x00" in text, _clean if "\r" in text else str.strip
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # csv's own limit on a cell (field_size_limit) says nothing of quotes.
            if str(error).startswith("field larger than field limit"):
                raise _cell_too_long(line) from None
            raise _bad_line(line) from None
        # csv accepts NUL characters since Python 3.11; they only reach here in
        # UTF-16 text and are never real data.
        if has_nul and any("\x00" in cell for cell in cells):
            raise _bad_line(line)
        yield line, [clean(cell) for cell in cells]


def _header(records: Iterator[tuple[int, list[str]]]) -> list[str]:
    """The first record with a value: the column names. Blank lines may come before it;
    a record of several blank cells may not."""
    for _line, cells in records:
        if "".join(cells):
            return cells
        if len(cells) > 1:
            raise _no_header()
    raise _no_header()  # only blank cells, such as a lone ""


def _rows(records: Iterator[tuple[int, list[str]]], width: int, max_rows: int) -> list[Row]:
    """The records after the header, blank ones skipped, each padded or cut to ``width``."""
    rows: list[Row] = []
    for line, cells in records:
        if not "".join(cells):
            continue
        if len(rows) == max_rows:
            # Stop here: the rest of the file is not parsed.
            raise FileRefused(_("The file has more than %(limit)s rows; split it and import "
                                "each part.", limit=max_rows))
        rows.append(Row(line=line, values=(cells + [""] * width)[:width]))
    return rows


def normalise_header(text: str) -> str:
    """'Correo electrónico ' -> 'correo electronico'; 'First_Name' -> 'first name':
    casefold, accents removed (unicodedata NFKD, drop combining marks), every run of
    non-alphanumeric characters becomes one space, stripped."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[\W_]+", " ", plain).strip()


def match_columns(
    headers: list[str], aliases: dict[str, set[str]]
) -> tuple[dict[str, int], list[str]]:
    """Which column holds each field. ``aliases`` maps a field name to the header texts
    that mean it (compared after normalise_header on both sides). Returns
    ({field: column index}, [headers that match no field, as written in the file]).
    The first column matching a field wins; a later duplicate is listed as unmatched.
    Blank headers (spreadsheets often add empty trailing columns) are never listed."""
    field_of: dict[str, str] = {}
    for name, texts in aliases.items():
        for alias in texts:
            field_of.setdefault(normalise_header(alias), name)
    found: dict[str, int] = {}
    unmatched: list[str] = []
    for index, header in enumerate(headers):
        key = normalise_header(header)
        field = field_of.get(key) if key else None
        if field is not None and field not in found:
            found[field] = index
        elif header.strip():
            unmatched.append(header)
    return found, unmatched


def _decode(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding, or FileRefused."""
    utf16 = data.startswith(UTF16_BOMS)
    if data.startswith(BINARY_SIGNATURES) or (b"\x00" in data and not utf16):
        raise FileRefused(_l("This is not a CSV file (it looks like a spreadsheet, a PDF or "
                             "another document). Open it in your spreadsheet program, save "
                             "it as CSV and upload that file."))
    if utf16:
        candidates = ["utf-16"]
    elif data.startswith(UTF8_BOM):
        candidates = ["utf-8-sig"]
    else:
        # Decoding is strict: strict cp1252 fails on its five undefined bytes, so
        # text that is none of these is refused rather than read as nonsense.
        candidates = ["utf-8", _legacy_encoding(data)]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    raise FileRefused(_l("The characters in this file could not be read. Open it in your "
                         "spreadsheet program, save it as \"CSV UTF-8\" and upload it again."))


def encoding_name(encoding: str) -> str:
    return ENCODING_NAMES.get(encoding, encoding.upper())


def garbled(text: str) -> str | None:
    """What a text that reads like mojibake probably meant ('JosÃ©' -> 'José'),
    or None when it reads well. Such text was decoded in the wrong encoding
    somewhere before it reached us (often UTF-8 read as Windows-1252 and saved)."""
    if text.isascii() or not is_bad(text):
        return None
    fixed = ftfy.fix_text(text)
    return fixed if fixed != text else None


def _legacy_encoding(data: bytes) -> str:
    """The encoding of a file that is not UTF-8: Windows-1252 unless the text
    reads as a multibyte encoding."""
    sample = data[:SNIFF_BYTES]
    if len(data) > SNIFF_BYTES:  # whole lines only: a cut character is not evidence
        sample = sample[:sample.rfind(b"\n") + 1] or sample
    best = charset_normalizer.from_bytes(sample).best()
    if best is not None and best.encoding in MULTIBYTE_ENCODINGS:
        return best.encoding
    return "cp1252"


def _guess_delimiter(text: str) -> str:
    """The delimiter used most often in the header line outside quotes; ',' on a tie."""
    first = next(line for line in io.StringIO(text, newline="") if line.strip())
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted  # a doubled quote toggles twice: no change
        elif char in counts and not quoted:
            counts[char] += 1
    best = max(counts.values())
    winners = [delimiter for delimiter, count in counts.items() if count == best]
    return winners[0] if best and len(winners) == 1 else ","


def _clean(cell: str) -> str:
    if "\r" in cell:  # one newline style inside multi-line cells, whatever the file used
        cell = cell.replace("\r\n", "\n").replace("\r", "\n")
    return cell.strip()


def _empty() -> FileRefused:
    return FileRefused(_l("The file is empty. Check that you chose the right file and "
                          "upload it again."))


def _no_header() -> FileRefused:
    return FileRefused(_l("The first line must name the columns. Put the column names "
                          "(for example Name, Email, Phone) on the first line and upload "
                          "the file again."))


def _bad_line(line: int) -> FileRefused:
    return FileRefused(_("Line %(line)s could not be read: check its quotation marks, fix "
                         "it and upload the file again.", line=line))


def _cell_too_long(line: int) -> FileRefused:
    return FileRefused(_("Line %(line)s has a cell longer than %(limit)s characters: "
                         "shorten it and upload the file again.", line=line,
                         limit=format_decimal(csv.field_size_limit())))


def _size_text(size: int) -> str:
    """1572864 -> '1.5 MB', 512000 -> '500 KB', 20 -> '20 B', in the user's number format."""
    if size >= 1024 * 1024:
        return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"
    if size >= 1024:
        return f"{format_decimal(round(size / 1024, 1))} KB"
    return f"{size} B"
