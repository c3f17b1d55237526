"""Whole CSV lines written by the database, for the fast export: each cell as
``fast_csv`` would write it (money from whole cents, yes/no and choices as words,
days and times in ISO form, formulas neutralised, quotes where csv.writer puts
them), so that Python receives one text per row instead of one value per cell.
"""
from __future__ import annotations

from sqlalchemy import String, case, cast, func, literal, or_
from sqlalchemy.sql import ColumnElement

from ..services import fast_csv
from ..services.exports import FORMULA_PREFIXES

PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"  # exports.PLAIN_NUMBER, ASCII digits
NEEDS_QUOTES = '[",\r\n]'  # fast_csv.QUOTED_IF


def line(columns: list, converters: list, dialect: str) -> ColumnElement | None:
    """One SQL text per row: the CSV line of ``columns`` ending in CR LF, or None
    when a column's kind or the database has no SQL form here."""
    if dialect not in ("postgresql", "sqlite"):
        return None
    cells = []
    for column, convert in zip(columns, converters, strict=True):
        cell = _cell(column, convert, dialect)
        if cell is None:
            return None
        cells.append(func.coalesce(cell, ""))
    result = cells[0]
    for cell in cells[1:]:
        result = result.concat(",").concat(cell)
    return result.concat("\r\n")


def _cell(column, convert, dialect: str):
    if convert is fast_csv.texts:
        return _text(column, dialect)
    if convert is fast_csv.as_is:
        return cast(column, String)
    if convert is fast_csv.amounts:
        whole = func.abs(column)
        cents = whole % 100
        return (case((column < 0, "-"), else_="").concat(cast(whole // 100, String))
                .concat(case((cents < 10, ".0"), else_=".")).concat(cast(cents, String)))
    if convert is fast_csv.days:
        return func.to_char(column, "YYYY-MM-DD") if dialect == "postgresql" \
            else func.strftime("%Y-%m-%d", column)
    if convert is fast_csv.moments:
        return func.to_char(column, "YYYY-MM-DD HH24:MI:SS") if dialect == "postgresql" \
            else func.strftime("%Y-%m-%d %H:%M:%S", column)
    shown = getattr(convert, "shown", None)
    if shown is not None:
        if not shown:
            return _text(cast(column, String), dialect)
        words = {value: fast_csv.quoted(word) for value, word in shown.items()}
        return case(words, value=column, else_=_text(cast(column, String), dialect))
    return None


def _text(text, dialect: str):
    """A text cell: neutralised, then quoted as csv.writer quotes (the apostrophe
    added in front never changes whether it needs quotes)."""
    shown = _neutralised(text)
    quoted = literal('"').concat(func.replace(shown, '"', '""')).concat('"')
    if dialect == "postgresql":
        needs = text.regexp_match(NEEDS_QUOTES)
    else:  # SQLite's REGEXP is a Python call: four string searches are cheaper
        needs = or_(*(func.instr(text, mark) > 0 for mark in fast_csv.QUOTED_IF))
    return case((needs, quoted), else_=shown)


def _neutralised(text):
    """exports.neutralise in SQL: a leading apostrophe before what would run."""
    first = func.substr(text, 1, 1)
    marked = literal("'").concat(text)
    # Only "-" may start a plain number; CASE tests it only then (AND would not wait).
    return case((first.in_([p for p in FORMULA_PREFIXES if p != "-"]), marked),
                (first == "-", case((text.regexp_match(PLAIN_NUMBER), text), else_=marked)),
                else_=text)
