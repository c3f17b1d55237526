"""Export of exactly what a list shows (search, filters, sort), streamed from the
database in batches, as CSV or Excel, with headers in the user's language.

Flask-Admin's own export loads every row first and writes formulas through;
this replaces its ``export`` endpoint for every view.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from operator import attrgetter

from flask import Response, request, stream_with_context
from flask_admin import expose
from flask_admin.tools import rec_getattr
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound

from ..choices import AuditAction
from ..config import default_currency
from ..extensions import db
from ..services import audit, exports, fast_csv
from ..services.money import holds_money, major_units
from . import fast_export
from .formatting import plain_text, yes_no
from .page_urls import url_with_query

BATCH_ROWS = 1000  # rows fetched from the database at a time
CURRENCY_LABEL = _l("Currency")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class StreamingExport:
    """Mixed into the base view: ``export_types`` picks the formats offered."""

    export_types = ["csv", "xlsx"]

    def export_url(self, export_type: str) -> str:
        """The export of the list as the current URL shows it (search, filters, sort)."""
        return url_with_query(".export", request.args, export_type=export_type)

    def matching_query(self):
        """The list's query as the current URL asks for it (search, filters,
        sort), unpaged; and how many rows match."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        count, query = self.get_list(0, sort[0] if sort else None, args.sort_desc, args.search,
                                     args.filters, execute=False, page_size=0)
        return query, count

    def export_header(self) -> list[str]:
        header = [str(label) for _name, label in self._export_columns]
        if self._currency_appended():
            header.append(str(CURRENCY_LABEL))
        return header

    def export_rows(self, query):
        # How to read each column is decided once, not for each of a million rows.
        readers = [self.cell_reader(name) for name, _label in self._export_columns]
        money = self._currency_appended()
        currency = default_currency()
        for model in query.yield_per(BATCH_ROWS):
            row = [read(model) for read in readers]
            if money:
                row.append(getattr(model, "currency", None) or currency)
            yield row

    def cell_reader(self, name: str):
        """A function model -> cell: money as a decimal number, counts as numbers,
        days and times as they are, choices and yes/no as words in the user's language."""
        formatter = (self.column_formatters_export or {}).get(name)
        if formatter is not None:
            return lambda model: _formatted(formatter(self, None, model, name))
        # "customer.email" may meet a wallet without a customer: rec_getattr gives None.
        get = (lambda model: rec_getattr(model, name)) if "." in name else attrgetter(name)
        if name in self.column_choices:
            labels = {value: str(label) for value, label in self.column_choices[name]}
            return lambda model: _choice(labels, get(model))
        words = {True: yes_no(True), False: yes_no(False)}
        money = holds_money(name)
        return lambda model: _cell(get(model), words, money)

    def _currency_appended(self) -> bool:
        """Amounts are exported as plain decimals, so their currency follows in a
        column of its own, unless the view exports the currency column already."""
        names = [name for name, _label in self._export_columns]
        return any(holds_money(name) for name in names) and "currency" not in names

    @expose("/export/<export_type>/")
    def export(self, export_type: str):
        if export_type not in self.export_types:
            raise NotFound()
        query, count = self.matching_query()
        # Recorded (and committed) before the first byte leaves.
        audit.record(db.session, AuditAction.EXPORT, object_type=self.model.__name__,
                     summary=audit.export_summary(export_type, count,
                                                  request.query_string.decode()))
        db.session.commit()
        header = self.export_header()
        # The rows are read while the response streams, after the request's own
        # session is gone: they get a session of their own, closed when the stream
        # ends, finished or cut off (left open, it kept its connection "idle in
        # transaction", which on PostgreSQL blocks schema changes and fills the pool).
        stream_session = db.session.session_factory()
        query = query.with_session(stream_session)
        name = f"{self.endpoint}-{date.today().isoformat()}.{export_type}"
        # Plain columns read as tuples with one converter each: a million rows in seconds.
        fast = fast_export.plan(self, stream_session)
        lines = fast_export.line_texts(fast, query) \
            if fast is not None and export_type == "csv" else None
        if export_type == "xlsx" and fast is not None:
            kinds, cells = fast_export.xlsx_rows(fast, query)
            body = exports.xlsx_chunks(header, cells, sheet=str(self.name), kinds=kinds)
        elif lines is not None:
            body = (chunk.encode("utf-8") for chunk in fast_csv.lines_text(header, lines))
        elif fast is not None:
            text = fast_csv.csv_text(header, fast_export.batches(fast, query), fast.converters)
            body = (chunk.encode("utf-8") for chunk in text)
        elif export_type == "csv":
            rows = self.export_rows(query)
            body = (chunk.encode("utf-8") for chunk in exports.csv_chunks(header, rows))
        else:
            rows = self.export_rows(query)
            body = exports.xlsx_chunks(header, rows, sheet=str(self.name))
        return Response(stream_with_context(_closing(body, stream_session)),
                        content_type=MIMETYPES[export_type],
                        headers={"Content-Disposition": f"attachment; filename={name}"})


def _closing(chunks, session):
    try:
        yield from chunks
    finally:
        session.close()


def _cell(value, words: dict, money: bool) -> exports.Cell:
    if value is None:
        return None
    if isinstance(value, bool):
        return words[value]
    if isinstance(value, int):
        return major_units(value) if money else value  # a file's money: plain decimals
    if isinstance(value, (Decimal, date)):  # a datetime is a date too
        return value
    return str(value)


def _choice(labels: dict, value) -> exports.Cell:
    return None if value is None else labels.get(value, str(value))


def _formatted(shown) -> exports.Cell:
    if shown is None or (isinstance(shown, (int, Decimal)) and not isinstance(shown, bool)):
        return shown
    return plain_text(shown)
