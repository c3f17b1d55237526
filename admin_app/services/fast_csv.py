"""CSV from plain database rows (tuples), a million rows in seconds.

The same text as ``exports.csv_chunks`` writes for the same cells, but the rows
are handled a batch at a time, column by column: each column's values go through
one list comprehension chosen beforehand for its kind (no per-cell type tests,
Decimal or Babel calls), numbers and empty cells go to ``csv.writer`` as they
are, and the text is sent in large chunks.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from .exports import FORMULA_PREFIXES, csv_writer, header_text, neutralise

# A column's values (None for an empty cell) -> what csv.writer writes for them.
Column = Callable[[Sequence], Sequence]

CHUNK_CHARS = 256 * 1024  # characters buffered before a chunk is sent


def money_text(amount_minor: int) -> str:
    """-123450 -> "-1234.50": what str(major_units(...)) gives, without a Decimal."""
    units, cents = divmod(abs(amount_minor), 100)
    return f"-{units}.{cents:02d}" if amount_minor < 0 else f"{units}.{cents:02d}"


def as_is(values: Sequence) -> Sequence:
    """Whole numbers (and Decimals): csv.writer writes str() of them, None as empty."""
    return values


def texts(values: Sequence) -> list:
    return [value if value is None or not value.startswith(FORMULA_PREFIXES)
            else neutralise(value) for value in values]


def amounts(values: Sequence) -> list:
    return [value if value is None else money_text(value) for value in values]


def days(values: Sequence) -> list:
    return [value if value is None else value.isoformat() for value in values]


def moments(values: Sequence) -> list:
    return [value if value is None else value.isoformat(sep=" ", timespec="seconds")
            for value in values]


def words(labels: dict) -> Column:
    """A choice or yes/no column, or a related record's id: the word for each value,
    itself if it has none."""
    shown = {value: neutralise(str(label)) for value, label in labels.items()}

    def convert(values: Sequence) -> list:
        return [value if value is None else shown[value] if value in shown
                else neutralise(str(value)) for value in values]
    convert.shown = shown  # type: ignore[attr-defined]  # for lines made by the database
    convert.labels = {value: str(label)  # type: ignore[attr-defined]  # for xlsx: as they are
                      for value, label in labels.items()}
    return convert


def csv_text(header: Sequence[str], batches: Iterable[Sequence[Sequence]],
             columns: Sequence[Column], chunk_chars: int = CHUNK_CHARS) -> Iterator[str]:
    """The CSV text: the BOM and header first (sent before any row is read), then
    the rows, read in batches, each column's values through that column's function."""
    yield header_text(header)
    buffer, writer = csv_writer()
    for batch in batches:
        # Column by column: one comprehension per column, not a call per cell.
        shown = [convert(values) for convert, values in zip(columns, zip(*batch, strict=True),
                                                          strict=True)]
        writer.writerows(zip(*shown, strict=True))
        if buffer.tell() >= chunk_chars:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def quoted(field: str) -> str:
    """One field as csv.writer writes it among others (quotes when needed)."""
    if any(mark in field for mark in QUOTED_IF):
        return '"' + field.replace('"', '""') + '"'
    return field


QUOTED_IF = (",", '"', "\r", "\n")


def lines_text(header: Sequence[str], texts_: Iterable[str],
               chunk_chars: int = CHUNK_CHARS) -> Iterator[str]:
    """The CSV text from whole lines the database wrote, given as texts of one or
    more lines each."""
    yield from csv_text(header, [], [], chunk_chars)
    chunk: list[str] = []
    size = 0
    for text in texts_:
        chunk.append(text)
        size += len(text)
        if size >= chunk_chars:
            yield "".join(chunk)
            chunk, size = [], 0
    if chunk:
        yield "".join(chunk)
