"""Whole CSV lines written by the database, for the fast export: each cell as
``fast_csv`` would write it (money from whole cents, yes/no and choices as words,
days and times in ISO form, formulas neutralised, quotes where csv.writer puts
them), so that Python receives one text per row instead of one value per cell.
"""
from __future__ import annotations

from sqlalchemy import String, case, cast, func, literal
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import BindParameter

from ..services import fast_csv
from ..services.exports import FORMULA_PREFIXES

# exports.PLAIN_NUMBER; \Z, not $: SQLite's REGEXP is Python's, whose $ also
# matches before a last line end ("-1\n" is no plain number).
PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?\Z"
NEEDS_QUOTES = '[",\r\n]'  # fast_csv.QUOTED_IF
NEEDS_WORK = NEEDS_QUOTES + "|^[" + "".join(p for p in FORMULA_PREFIXES if p != "-") + "-]"
# SQLite: GLOB is a C loop, where a REGEXP is a Python call per value.
GLOB_NEEDS_QUOTES = '*[",\r\n]*'
# ("-" last in the brackets: anywhere else it would mean a range.)
GLOB_MAY_RUN = "[" + "".join(p for p in FORMULA_PREFIXES if p != "-") + "-]*"


def line(columns: list, converters: list, dialect: str, *,
         terminator: str = "\r\n") -> ColumnElement | None:
    """One SQL text per row: the CSV line of ``columns`` ending in ``terminator``,
    or None when a column's kind or the database has no SQL form here."""
    if dialect not in ("postgresql", "sqlite"):
        return None
    cells = []
    for column, convert in zip(columns, converters, strict=True):
        if isinstance(column, BindParameter):  # a constant (the currency): written once
            cells.append(literal(_constant(column.value, convert)))
            continue
        cell = _cell(column, convert, dialect)
        if cell is None:
            return None
        cells.append(func.coalesce(cell, ""))
    result = cells[0]
    for cell in cells[1:]:
        result = result.concat(",").concat(cell)
    return result.concat(terminator) if terminator else result


def _constant(value, convert) -> str:
    shown = convert([value])[0]
    return "" if shown is None else fast_csv.quoted(str(shown))


def _cell(column, convert, dialect: str):
    if convert is fast_csv.texts:
        return _text(column, dialect)
    if convert is fast_csv.as_is:
        return cast(column, String)
    if convert is fast_csv.amounts:
        return _money(column, dialect)
    # Days and times as ISO texts ("2026-01-15 10:30:05.123456": SQLite keeps them so,
    # PostgreSQL writes them so in its ISO date style, which copy_out sets): their
    # first characters are the cell, cheaper than to_char.
    if convert is fast_csv.days:
        return func.substr(cast(column, String), 1, 10)
    if convert is fast_csv.moments:
        return func.substr(cast(column, String), 1, 19)
    shown = getattr(convert, "shown", None)
    if shown is not None:
        if not shown:
            return _text(cast(column, String), dialect)
        words = {value: fast_csv.quoted(word) for value, word in shown.items()}
        return case(words, value=column, else_=_text(cast(column, String), dialect))
    return None


def _money(amount, dialect: str):
    """Whole cents -> "-1234.50", with integer arithmetic (fast_csv.money_text)."""
    if dialect == "sqlite":  # one printf per cell, on a positive amount
        return case((amount < 0, func.printf("-%d.%02d", -amount // 100, -amount % 100)),
                    else_=func.printf("%d.%02d", amount // 100, amount % 100))
    whole = func.abs(amount)
    cents = whole % 100
    return (case((amount < 0, "-"), else_="").concat(cast(whole // 100, String))
            .concat(case((cents < 10, ".0"), else_=".")).concat(cast(cents, String)))


def _text(text, dialect: str):
    """A text cell: neutralised, then quoted as csv.writer quotes (the apostrophe
    added in front never changes whether it needs quotes)."""
    shown = _neutralised(text)
    quoted = literal('"').concat(func.replace(shown, '"', '""')).concat('"')
    if dialect == "postgresql":
        # One regular expression tells the many texts that need neither quotes nor
        # an apostrophe; only the others pay for the whole treatment.
        return case((text.regexp_match(NEEDS_WORK), case((text.regexp_match(NEEDS_QUOTES),
                                                          quoted), else_=shown)),
                    else_=text)
    # Most texts need neither quotes nor an apostrophe: two GLOBs tell, and only the
    # others pay for the whole treatment.
    needs_quotes = text.op("GLOB")(GLOB_NEEDS_QUOTES)
    return case((needs_quotes, quoted),
                (text.op("GLOB")(GLOB_MAY_RUN), shown),
                else_=text)


def _neutralised(text):
    """exports.neutralise in SQL: a leading apostrophe before what would run."""
    first = func.substr(text, 1, 1)
    marked = literal("'").concat(text)
    # Only "-" may start a plain number; CASE tests it only then (AND would not wait).
    return case((first.in_([p for p in FORMULA_PREFIXES if p != "-"]), marked),
                (first == "-", case((text.regexp_match(PLAIN_NUMBER), text), else_=marked)),
                else_=text)
