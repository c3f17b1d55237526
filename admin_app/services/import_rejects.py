"""The rows an applied import left out, kept with the batch: listed on its page
and downloaded as a CSV file (the file's own columns plus a reason column) to be
fixed and imported again.

The reasons are kept in each of our languages, so that whoever reads them later
reads them in their own.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..i18n import locale
from .csv_files import Table
from .exports import neutralise

REASON_HEADER = _l("Why it was not imported")


class Rejected(NamedTuple):
    line: int
    field: str
    message: str


def kept(problems: Iterable[Any], table: Table | None) -> dict | None:
    """What to keep of an applied file's problems (each with .line, .field and
    .message, lazy texts); ``table`` is the file as read, for the rows' cells."""
    reasons: dict[int, list] = {}
    for problem in problems:
        reasons.setdefault(problem.line, []).append(
            [_each_language(problem.field), _each_language(problem.message)])
    if not reasons:
        return None
    cells = {row.line: row.values for row in table.rows} if table else {}
    return {"headers": table.headers if table else [],
            "delimiter": table.delimiter if table else ",",
            "rows": [[line, cells.get(line), reasons[line]] for line in sorted(reasons)]}


def merged(rejected: dict | None, problems: Iterable[Any]) -> dict | None:
    """``rejected`` with the reasons of more ``problems`` (rows after its own: a job
    keeps them chunk by chunk), their cells left for ``with_cells``."""
    more = kept(problems, None)
    if more is None or rejected is None:
        return more or rejected
    return {**rejected, "rows": rejected["rows"] + more["rows"]}


def with_cells(rejected: dict | None, table: Table | None) -> dict | None:
    """``rejected`` with each row's cells and the file's headers, from ``table``."""
    if not rejected or table is None:
        return rejected
    cells = {row.line: row.values for row in table.rows}
    return {"headers": table.headers, "delimiter": table.delimiter,
            "rows": [[line, cells.get(line), reasons] for line, _cells, reasons
                     in rejected["rows"]]}


def listed(rejected: dict | None) -> list[Rejected]:
    """Each reason a row was left out, in the reader's language."""
    return [Rejected(line, _ours(field), _ours(message))
            for line, _cells, reasons in (rejected or {}).get("rows", [])
            for field, message in reasons]


def lines(rejected: dict | None) -> int:
    return len((rejected or {}).get("rows", []))


def rejected_csv(rejected: dict) -> str:
    """The left-out rows with the file's columns and the reasons in the reader's
    language; a BOM and the file's own delimiter, for the spreadsheet it came from."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=rejected.get("delimiter", ","), lineterminator="\r\n")
    headers = rejected.get("headers", [])
    writer.writerow([neutralise(h) for h in headers] + [str(REASON_HEADER)])
    for _line, cells, reasons in rejected.get("rows", []):
        row = (cells or [""] * len(headers))[:len(headers)]
        why = "; ".join(f"{_ours(field)}: {_ours(message)}" for field, message in reasons)
        writer.writerow([neutralise(cell) for cell in row] + [why])
    return "\ufeff" + buffer.getvalue()


def _each_language(text: Any) -> dict[str, str]:
    """A lazy text rendered in each language (a plain text stays as it is)."""
    rendered = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            rendered[language] = str(text)
    return rendered


def _ours(texts: dict[str, str]) -> str:
    return texts.get(locale().language) or texts.get("en") or next(iter(texts.values()), "")
