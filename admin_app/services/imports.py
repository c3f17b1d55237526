"""Importing a CSV file of customers, guests or blacklist entries.

preview() reads the file and says what applying it would do, writing nothing
but the batch (which keeps the file); apply() does it in one transaction and
records each change; undo() puts every record back while nothing else has
changed them since. Matching is by email (or card number, or phone), so
importing the same file twice changes nothing the second time. A large file is
applied and undone by a job, in chunks, with the same steps (import_jobs.py).

An empty cell leaves the record's value as it is: a file never blanks data.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import delete, func, null, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import DataError, IntegrityError

from ..choices import AuditAction, ConsentSource, ImportAction, ImportStatus
from ..database import among, dialect, key_chunks, lock_row, reserve_ids, table_grew
from ..extensions import db
from ..i18n import locale
from ..models import (
    AdminUser,
    Customer,
    CustomerGroup,
    ImportBatch,
    ImportChange,
    Job,
    Searchable,
    name_sort_key,
    not_tombstones,
    utcnow,
)
from . import audit, bulk_rows, consent, import_rejects, import_statistics, progress
from . import customers as customer_rules
from .csv_files import Table, garbled, match_columns, normalise_header, read_csv
from .errors import DomainError, ValidationError
from .gc_pause import collector_paused
from .import_fields import (
    KINDS,
    Field,
    ImportKind,
    days_come_first,
    read_bool,
    read_country,
    read_day,
    read_group,
    read_phone,
    read_reason,
    restore_text,
)
from .text import strip_text

SHOWN_ROWS = 200    # problems and updates listed on the preview page
SAMPLE_ROWS = 5     # new rows shown on the preview as they will be stored


class ImportRefused(DomainError):
    """The import (or its undo) cannot go ahead; nothing was written."""


@dataclass
class Problem:
    line: int
    field: Any    # the field's label (lazy: shown in the reader's language)
    message: Any  # lazy too, where it can be


@dataclass
class Update:
    line: int
    record: Any
    changes: dict[str, tuple[Any, Any]]  # field -> (before, after)


@dataclass
class Plan:
    kind: ImportKind
    total: int = 0
    creates: list[tuple[int, dict]] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    not_imported_columns: list[str] = field(default_factory=list)
    encoding: str = ""

    @property
    def invalid_lines(self) -> int:
        return len({problem.line for problem in self.problems})


# -- reading a file into a plan -----------------------------------------------------

@collector_paused()
def preview(kind_key: str, file_name: str, data: bytes, *, actor: AdminUser | None,
            all_or_nothing: bool = False) -> tuple[ImportBatch, Plan]:
    """Read the file, keep what it holds in a new batch, and say what applying it
    would do. The rows are read and checked once, here; the preview page and the
    confirmation only match them against the records as they are then."""
    kind = KINDS[kind_key]
    read = read_file(kind, _read(data))
    plan = plan_from(kind, read)
    batch = ImportBatch(kind=kind.key, file_name=(file_name or "import.csv")[:255],
                        content=data, read_rows=read.to_json(),
                        all_or_nothing=all_or_nothing, created_by=actor)
    batch.rows_total = plan.total
    _count(batch, created=len(plan.creates), updated=len(plan.updates),
           unchanged=plan.unchanged, invalid=plan.invalid_lines)
    db.session.add(batch)
    return batch, plan


@collector_paused()
def current_plan(batch: ImportBatch) -> Plan:
    """What the batch's rows would do now (records may have changed since the preview)."""
    return plan_from(KINDS[batch.kind], stored_rows(batch))


def stored_rows(batch: ImportBatch) -> ReadFile:
    """The batch's rows as the preview read and checked them."""
    kind = KINDS[batch.kind]
    # preview() stores the rows; only apply() and discard() clear them, and they
    # also change the status. A batch previewed before the rows were stored has
    # only its file: it is read again, or refused if that is gone too.
    if batch.read_rows is None:
        if not batch.content:
            raise ImportRefused(_l("This import can no longer be applied: upload the "
                                   "file again."))
        batch.read_rows = read_file(kind, _read(batch.content)).to_json()
    return ReadFile.from_json(kind, batch.read_rows)


def _read(data: bytes) -> Table:
    config = current_app.config
    return read_csv(data, max_bytes=config["IMPORT_MAX_BYTES"],
                    max_rows=config["IMPORT_MAX_ROWS"])


# A ReadFile row: (line, values by field, problems, cells).
ReadRow = tuple[int, dict, list[tuple[str, str]], list[str] | None]


@dataclass
class ReadFile:
    """A file's rows as read and checked: (line, values by field, problems, cells).

    Stored with the batch as JSON. An invalid row keeps its cells and is checked
    again when read back, so that its reasons come in the reader's language."""

    rows: list[ReadRow]
    columns: dict[str, int]
    day_first: bool
    unknown_columns: list[str]
    not_imported_columns: list[str]
    encoding: str = ""

    def to_json(self) -> dict:
        return {"rows": [[line, _json(values), cells if problems else None]
                         for line, values, problems, cells in self.rows],
                "columns": self.columns, "day_first": self.day_first,
                "unknown": self.unknown_columns, "not_imported": self.not_imported_columns,
                "encoding": self.encoding}

    @classmethod
    def from_json(cls, kind: ImportKind, data: dict) -> ReadFile:
        columns, day_first = data["columns"], data["day_first"]
        read_row = _row_reader(kind, columns, day_first)
        rows: list[ReadRow] = []
        for line, values, cells in data["rows"]:
            if cells is None:
                rows.append((line, _from_json(kind, values), [], None))
            else:
                rows.append((line, *read_row(cells), cells))
        return cls(rows, columns, day_first, data["unknown"], data["not_imported"],
                   data.get("encoding", ""))


def read_file(kind: ImportKind, table: Table) -> ReadFile:
    columns, unmatched = match_columns(table.headers, kind.aliases())
    kept = kind.not_imported_headers()
    if not columns:
        raise ImportRefused(_("None of the columns can be imported. Download the template "
                              "to see the column names this import reads."))
    day_first = _day_order(kind, table, columns)
    read_row = _row_reader(kind, columns, day_first)
    rows: list[ReadRow] = [(row.line, *read_row(row.values), row.values)
                           for row in table.rows]
    return ReadFile(rows, columns, day_first,
                    [h for h in unmatched if normalise_header(h) not in kept],
                    [h for h in unmatched if normalise_header(h) in kept], table.encoding)


def plan_from(kind: ImportKind, read: ReadFile) -> Plan:
    """New, updated, unchanged and invalid rows, against the records as they are now."""
    plan = plan_rows(kind, read.rows, duplicates_in(kind, read.rows))
    plan.unknown_columns = read.unknown_columns
    plan.not_imported_columns = read.not_imported_columns
    plan.encoding = read.encoding
    return plan


def plan_rows(kind: ImportKind, rows: list[ReadRow], duplicates: dict[int, Problem],
              previewed_at: datetime | None = None) -> Plan:
    """What ``rows`` (some or all of a file's) would do to the records as they are
    now; ``duplicates`` are the file's repeated rows (``duplicates_in``), found over
    the whole file so that a part of it is planned as the whole would be. Applying a
    preview (``previewed_at``), a row that now matches a record added since is left
    out: the preview promised a new record, not a change to someone else's."""
    plan = Plan(kind=kind, total=len(rows))
    existing = _existing_records(kind, [values for _line, values, _p, _c in rows])
    for line, values, problems, _cells in rows:
        plan.problems += [Problem(line, field, message) for field, message in problems]
        if line in duplicates:
            plan.problems.append(duplicates[line])
            continue
        if problems:
            continue
        record = _find(kind, values, existing)
        if record is None:
            missing = [f for f in kind.required if values.get(f.name) is None]
            if missing:
                plan.problems += [Problem(line, f.label, _l("Required for a new record."))
                                  for f in missing]
                continue
            plan.creates.append((line, values))
            continue
        if previewed_at is not None and getattr(record, "created_at", None) and \
                record.created_at > previewed_at:
            plan.problems.append(Problem(line, REFUSED_FIELD, ADDED_SINCE))
            continue
        changes = {name: (getattr(record, name), value) for name, value in values.items()
                   if getattr(record, name) != value}
        if changes:
            plan.updates.append(Update(line, record, changes))
        else:
            plan.unchanged += 1
    return plan


def duplicates_in(kind: ImportKind, rows: list[ReadRow]) -> dict[int, Problem]:
    """Rows that repeat an earlier row's email, card number or phone, by line."""
    seen: dict[tuple[str, Any], int] = {}
    found = {}
    for line, values, _problems, _cells in rows:
        duplicate = _duplicate_in_file(kind, values, line, seen)
        if duplicate:
            found[line] = duplicate
    return found


def _day_order(kind: ImportKind, table: Table, columns: dict[str, int]) -> bool:
    default = locale().language != "en"  # English screens write month/day/year
    for field_ in kind.fields:
        if field_.read is read_day and field_.name in columns:
            index = columns[field_.name]
            return days_come_first([row.values[index] for row in table.rows], default)
    return default


# Readers of columns that hold few distinct values, each costly to read (a country
# named in either language, a group looked up): read once per distinct text in a file.
FEW_VALUES = {read_country, read_group, read_bool, read_reason}
RowReader = Callable[[list[str]], tuple[dict, list[tuple[Any, Any]]]]


def _row_reader(kind: ImportKind, columns: dict[str, int], day_first: bool) -> RowReader:
    """What reads one row of a file into its values by field (empty cells left out)
    and its problems. What depends only on the file's columns is worked out here,
    once, rather than for each cell."""
    # Phones last: a number without its country code is read in the row's country.
    ordered = sorted(columns.items(), key=lambda item: kind.field(item[0]).read is read_phone)
    readers = [(name, index, kind.field(name).label,
                _cell_reader(kind.field(name), day_first)) for name, index in ordered]
    groups_tagged = _once_per_text(_group_tagged)

    def read_row(cells: list[str]) -> tuple[dict, list[tuple[Any, Any]]]:
        values: dict[str, Any] = {}
        problems: list[tuple[Any, Any]] = []
        for name, index, label, read_cell in readers:
            # Cleaned as the forms clean what is typed: "\u200b\u200b" is an empty cell.
            text = restore_text(strip_text(cells[index]))
            if not text:
                continue
            meant = garbled(text)
            if meant:
                problems.append((label, _l(
                    "The text looks garbled (did the file mean “%(meant)s”?): save the file "
                    "as \"CSV UTF-8\" and upload it again.", meant=meant)))
                continue
            try:
                values[name] = read_cell(text, values)
            except ValidationError as error:
                problems.append((label, error.message))
        _derive(values, groups_tagged)
        problems += _too_long(kind, values)
        return values, problems

    return read_row


def _cell_reader(spec: Field, day_first: bool) -> Callable[[str, dict], Any]:
    """How a cell of ``spec`` is read: (its text, the row's values read so far) to
    its value, or ValidationError."""
    if spec.read is read_day:
        return lambda text, _row: read_day(text, day_first)
    if spec.read is read_phone:
        region = current_app.config["DEFAULT_PHONE_REGION"]
        return lambda text, row: read_phone(text, row.get("country") or region)
    read = _once_per_text(spec.read) if spec.read in FEW_VALUES else spec.read
    return lambda text, _row: read(text)


def _once_per_text(read: Callable[[str], Any]) -> Callable[[str], Any]:
    """``read``, asked once for each distinct text; its refusals are repeated."""
    known: dict[str, tuple[Any, Any]] = {}  # text -> (value, refusal message)

    def read_once(text: str) -> Any:
        if text not in known:
            try:
                known[text] = (read(text), None)
            except ValidationError as error:
                known[text] = (None, error.message)
        value, refusal = known[text]
        if refusal is not None:
            raise ValidationError(refusal)
        return value

    return read_once


def _too_long(kind: ImportKind, values: dict) -> list[tuple[Any, Any]]:
    """Values longer than their column holds, taken out of ``values``: the limit the
    form and the database keep (SQLite would store them whole, PostgreSQL refuse)."""
    problems = []
    for name, limit in kind.text_limits.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            del values[name]
            problems.append((kind.field(name).label,
                             _l("Longer than %(limit)s characters.", limit=limit)))
    return problems


def _derive(values: dict, group_tagged: Callable[[str], int | None]) -> None:
    """Columns that stand for others: a full name, a tag naming a group."""
    full_name = values.pop("full_name", None)
    if full_name and "first_name" not in values and "surname" not in values:
        first, _space, rest = full_name.partition(" ")
        values["first_name"], values["surname"] = first, rest or first
    tags = values.pop("tags", None)
    if tags and "group_id" not in values:
        group_id = group_tagged(tags)
        if group_id is not None:
            values["group_id"] = group_id


def _group_tagged(tags: str) -> int | None:
    """The group that exactly one of the comma-separated ``tags`` names, if any."""
    names = [tag.strip().lower() for tag in tags.split(",") if tag.strip()]
    groups = db.session.scalars(select(CustomerGroup.id).where(
        db.func.lower(CustomerGroup.name).in_(names))).all() if names else []
    return groups[0] if len(groups) == 1 else None


def _existing_records(kind: ImportKind, rows: list[dict]) -> dict[str, dict]:
    """Existing records by each matching field's value, looked up in chunks."""
    found: dict[str, dict] = {}
    for name in kind.match_on:
        column = getattr(kind.model, name)
        wanted = sorted({values[name] for values in rows if values.get(name)})
        by_value: dict[Any, list] = {}
        for chunk in key_chunks(wanted):
            for record in db.session.scalars(select(kind.model).where(
                    among(column, chunk), *not_tombstones(kind.model))):
                by_value.setdefault(getattr(record, name), []).append(record)
        found[name] = by_value
    return found


def _find(kind: ImportKind, values: dict, existing: dict[str, dict]):
    for name in kind.match_on:
        matches = existing[name].get(values.get(name), [])
        if len(matches) == 1:  # a phone two customers share finds neither
            return matches[0]
    return None


def _duplicate_in_file(kind, values, line, seen) -> Problem | None:
    for name in kind.match_on:
        value = values.get(name)
        if value is None:
            continue
        if (name, value) in seen:
            return Problem(line, kind.field(name).label,
                           _l("The same value is already on line %(line)s.",
                              line=seen[(name, value)]))
        seen[(name, value)] = line
    return None


def _count(batch: ImportBatch, *, created: int, updated: int, unchanged: int,
           invalid: int) -> None:
    batch.rows_created, batch.rows_updated = created, updated
    batch.rows_unchanged, batch.rows_invalid = unchanged, invalid


# -- applying ------------------------------------------------------------------------
# A row the database refused while it was written (say, an email another user
# gave a record since the preview): left out, or the end of an all-or-nothing import.
REFUSED_FIELD = _l("Whole row")
ADDED_SINCE = _l("Since the preview, someone added a record with this row's email, phone or "
                 "card number: the row was left out rather than change that record.")
REFUSED_MESSAGE = _l("Refused by the database: another record uses one of its values "
                     "now, or a value cannot be stored.")
ALREADY_DONE = _l("This import was already applied or discarded.")
BUSY = _l("This import is being applied or undone: wait until it has finished.")


class RowRefused(ImportRefused):
    """All or nothing, and the database refused a row: nothing may be kept."""

    def __init__(self, line: int) -> None:
        super().__init__(_l("Line %(line)s was refused by the database (another record uses "
                            "one of its values now, or a value cannot be stored), and you "
                            "asked for all or nothing: nothing was imported.", line=line))
        self.line = line


def lock_batch(batch_id: int, status: str, refusal: Any) -> ImportBatch:
    """The batch, locked until the transaction ends, if it is in ``status`` and no
    job is at work on it; otherwise ``refusal``."""
    batch = lock_row(ImportBatch, batch_id)
    if batch is None or batch.status != status:
        raise ImportRefused(refusal)
    if progress.active(batch) is not None:
        raise ImportRefused(BUSY)
    return batch


@collector_paused()
def apply(batch: ImportBatch, *, actor: AdminUser | None) -> ImportBatch:
    """Create and update what the file says, all of it in the caller's transaction
    (a large file is applied by a job instead, in chunks: see import_jobs). Returns
    the batch, with its counts."""
    batch = lock_batch(batch.id, ImportStatus.PREVIEWED, ALREADY_DONE)
    kind = KINDS[batch.kind]
    read = stored_rows(batch)
    plan = plan_rows(kind, read.rows, duplicates_in(kind, read.rows), batch.created_at)
    if plan.problems and batch.all_or_nothing:
        raise ImportRefused(ngettext(
            "%(num)d row is invalid, and you asked for all or nothing: nothing was imported.",
            "%(num)d rows are invalid, and you asked for all or nothing: nothing was imported.",
            plan.invalid_lines))
    # Statistics refreshed after the commit need no refresh in the transaction too.
    refused = write(batch, plan, all_or_nothing=batch.all_or_nothing, analyze=not
                    import_statistics.refreshes(len(plan.creates) + len(plan.updates)))
    finish_apply(batch, import_rejects.kept(plan.problems + refused, None))
    return batch


def write(batch: ImportBatch, plan: Plan, *, all_or_nothing: bool,
          analyze: bool = True) -> list[Problem]:
    """Write the plan's new and changed records, and what each change was (to undo
    it). Rows the database refuses are left out and returned as problems; with
    ``all_or_nothing`` the first one raises RowRefused instead."""
    try:
        with db.session.begin_nested():
            _write(batch, plan.kind, plan.creates, plan.updates, analyze=analyze)
        return []
    except (IntegrityError, DataError):
        pass  # some row was refused: find which, one row at a time
    refused = []
    single: list[tuple[list, list]] = [([create], []) for create in plan.creates]
    single += [([], [update]) for update in plan.updates]
    for creates, updates in single:
        line = creates[0][0] if creates else updates[0].line
        try:
            with db.session.begin_nested():
                _write(batch, plan.kind, creates, updates, analyze=False)
        except (IntegrityError, DataError):
            if all_or_nothing:
                raise RowRefused(line) from None
            refused.append(Problem(line, REFUSED_FIELD, REFUSED_MESSAGE))
    return refused


# Opt-in changes an import makes are the consent log's "import" ones, undo included.
@consent.changes_from(ConsentSource.IMPORT)
def _write(batch: ImportBatch, kind: ImportKind, creates: list[tuple[int, dict]],
           updates: list[Update], *, analyze: bool) -> None:
    ids: list[int] = []
    stored: list[dict] = []  # each new record's values, as JSON keeps them
    if creates:
        # Ids first, then one bulk insert: a row at a time was most of a large import.
        ids = reserve_ids(kind.model.__table__, len(creates))
        stored = [_json(values) for _line, values in creates]

        def new_rows() -> Iterator[dict]:
            # Made while they are written: PostgreSQL stores each meanwhile.
            for index in _insert_order(kind, creates):
                row = _new_row(kind, creates[index][1])
                row["id"] = ids[index]
                yield row

        bulk_rows.insert_rows(kind.model.__table__, new_rows())
        _log_consents(kind, zip(ids, stored, strict=True))
        if analyze:
            table_grew(kind.model.__table__, len(creates))
        audit.record_values(kind.model.__name__, dict(zip(ids, stored, strict=True)),
                            AuditAction.CREATE)
    updated = []
    for update in updates:
        for name, (_before, after) in update.changes.items():
            setattr(update.record, name, after)
        updated.append({"record_id": update.record.id, "action": ImportAction.UPDATED,
                        "line": update.line, "before": _json(
                            {k: v[0] for k, v in update.changes.items()}),
                        "after": _json({k: v[1] for k, v in update.changes.items()})})
    db.session.flush()
    created = ({"record_id": record_id, "action": ImportAction.CREATED, "line": line,
                "before": None, "after": after}
               for record_id, (line, _values), after in zip(ids, creates, stored, strict=True))
    bulk_rows.insert_rows(ImportChange.__table__, chain(created, updated),
                          shared={"batch_id": batch.id})


def _insert_order(kind: ImportKind, creates: list[tuple[int, dict]]) -> Iterable[int]:
    """The order new records go to the database in (indexes into ``creates``). On
    PostgreSQL, customers go in name order: most of their indexes are in that order,
    and an index filled in its own order writes page after page instead of going
    back and forth (100,000 customers of a file in no name order took half as
    long again). SQLite keeps the file's order, which is the order of the ids its
    table is stored in."""
    if kind.model is not Customer or dialect() != "postgresql":
        return range(len(creates))
    keys = [name_sort_key(values.get("first_name"), values.get("surname"))
            for _line, values in creates]
    return sorted(range(len(creates)), key=keys.__getitem__)


def finish_apply(batch: ImportBatch, rejected: dict | None) -> None:
    """The batch applied, in the transaction of its last rows: its counts, the rows
    it left out (``rejected``, see import_rejects; their cells taken from the
    file here), its audit event; the file and rows read are no longer needed."""
    made = dict(db.session.execute(
        select(ImportChange.action, func.count()).where(ImportChange.batch_id == batch.id)
        .group_by(ImportChange.action)).all())
    created, updated = made.get(ImportAction.CREATED, 0), made.get(ImportAction.UPDATED, 0)
    invalid = import_rejects.lines(rejected)
    _count(batch, created=created, updated=updated, invalid=invalid,
           unchanged=max(batch.rows_total - created - updated - invalid, 0))
    batch.rejected_rows = import_rejects.with_cells(
        rejected, _read(batch.content) if rejected and batch.content else None)
    audit.record(db.session, AuditAction.IMPORT, object_type="ImportBatch", object_id=batch.id,
                 summary=_batch_summary(batch))
    batch.status = ImportStatus.APPLIED
    batch.applied_at = utcnow()
    _refresh_statistics(batch, created + updated)
    batch.content = batch.read_rows = None  # the changes are recorded: file no longer needed


def summary(batch: ImportBatch) -> LazyString:
    """What applying the batch did, in words (translated when shown)."""
    created, updated = batch.rows_created, batch.rows_updated
    unchanged, invalid = batch.rows_unchanged, batch.rows_invalid
    return LazyString(lambda: _(
        "Imported: %(created)s, %(updated)s, %(unchanged)s; %(invalid)s.",
        created=ngettext("%(num)d new record", "%(num)d new records", created),
        updated=ngettext("%(num)d updated", "%(num)d updated", updated),
        unchanged=ngettext("%(num)d unchanged", "%(num)d unchanged", unchanged),
        invalid=ngettext("%(num)d invalid row skipped", "%(num)d invalid rows skipped",
                         invalid)))


def rejected_rows(batch: ImportBatch) -> dict | None:
    """The rows the batch leaves out, with why (see import_rejects): kept once it is
    applied, worked out from its file while it waits in preview, so they can be fixed
    before anything is imported (a file of only invalid rows has nothing to apply)."""
    if batch.status == ImportStatus.PREVIEWED:
        plan = current_plan(batch)
        return import_rejects.kept(
            plan.problems, _read(batch.content) if plan.problems and batch.content else None)
    return batch.rejected_rows


def _log_consents(kind: ImportKind, created: Iterable[tuple[int, dict]]) -> None:
    """New customers inserted opted in (``created``: their ids and values): their
    consent, which the ORM's listener (services/consent.py) cannot see in a bulk
    insert."""
    if kind.model is Customer:
        consent.record_bulk([(record_id, True) for record_id, values in created
                             if values.get("marketing_opt_in")], ConsentSource.IMPORT)


def _batch_summary(batch: ImportBatch) -> str:
    return (f"{batch.kind}: {batch.file_name} ({batch.rows_created} new, "
            f"{batch.rows_updated} updated, {batch.rows_invalid} invalid)")


def _new_row(kind: ImportKind, values: dict) -> dict:
    row = dict(values)
    # Bulk inserts skip model events: the sort key and search text are set here.
    if issubclass(kind.model, Searchable):
        row.update(kind.model.derived_fields(row))
    return row


def discard(batch: ImportBatch) -> None:
    if progress.active(batch) is not None:
        raise ImportRefused(BUSY)
    if batch.status == ImportStatus.PREVIEWED:
        batch.status = ImportStatus.DISCARDED
        batch.content = batch.read_rows = None


def drop_stale_previews(now: datetime | None = None) -> int:
    """Batches previewed but never applied within IMPORT_PREVIEW_MAX_AGE are
    discarded, and their file and rows (up to 40 MB each) dropped; returns how many."""
    cutoff = (now or utcnow()) - timedelta(seconds=current_app.config["IMPORT_PREVIEW_MAX_AGE"])
    busy = select(Job.subject_id).where(Job.subject_type == ImportBatch.__name__,
                                        Job.status.in_(progress.ACTIVE))
    result: Any = db.session.execute(
        sql_update(ImportBatch)
        .where(ImportBatch.status == ImportStatus.PREVIEWED, ImportBatch.created_at < cutoff,
               ImportBatch.id.not_in(busy))
        .values(status=ImportStatus.DISCARDED, content=None, read_rows=null())
        .execution_options(synchronize_session=False))
    return result.rowcount


# -- undoing -------------------------------------------------------------------------

@collector_paused()
def undo(batch: ImportBatch) -> int:
    """Remove what the batch created and restore what it updated, all of it in the
    caller's transaction (a large batch is undone by a job: see import_jobs); refuse
    if any of those records changed since. Returns how many records were put back."""
    batch = lock_batch(batch.id, ImportStatus.APPLIED, _l("Only an applied import can be undone."))
    kind = KINDS[batch.kind]
    changes = list(db.session.execute(
        changes_query().where(ImportChange.batch_id == batch.id).order_by(ImportChange.id)))
    refuse_changed(kind, changes)
    revert(kind, changes)
    finish_undo(batch)
    return len(changes)


def changes_query():
    """A batch's changes as plain rows (id, record_id, action, line, before,
    after): what an undo reads, without an ORM object each (100,000 of them were a
    large part of undoing a large import)."""
    return select(ImportChange.id, ImportChange.record_id, ImportChange.action,
                  ImportChange.line, ImportChange.before, ImportChange.after)


def refuse_changed(kind: ImportKind, changes: list[Any]) -> None:
    """Refuse to undo ``changes`` if any of their records changed since (or may not
    be deleted now)."""
    lines = changed_lines(kind, changes)
    if lines:
        raise changed_refusal(lines)


def changed_lines(kind: ImportKind, changes: list[Any]) -> list[int]:
    """The lines of ``changes`` (rows of ``changes_query``) whose records changed
    since the import (or are gone, or may not be deleted now)."""
    records = _values_of(kind, changes)
    # Created customers who hold money or points now may not be removed.
    kept = customer_rules.not_deletable_ids(
        [c.record_id for c in changes if c.action == ImportAction.CREATED]) \
        if kind.model is Customer else set()
    if kind.model is Customer:
        kept |= customer_rules.merged_ids([c.record_id for c in changes])
    return [change.line for change in changes
            if change.record_id not in records or change.record_id in kept
            or _changed_since(kind, records[change.record_id], change.after)]


def changed_refusal(lines: list[int]) -> ImportRefused:
    shown = ", ".join(str(line) for line in sorted(lines)[:10])
    return ImportRefused(LazyString(lambda: ngettext(
        "%(num)d record from this import changed since (line %(lines)s): nothing was undone.",
        "%(num)d records from this import changed since (lines %(lines)s): nothing was "
        "undone.", len(lines), lines=shown)))


@consent.changes_from(ConsentSource.IMPORT)
def revert(kind: ImportKind, changes: list[Any]) -> None:
    """Put the records of ``changes`` back as they were before the import: remove
    the ones it created, restore the fields it changed."""
    created = [c.record_id for c in changes if c.action == ImportAction.CREATED]
    audit.record_values(kind.model.__name__, {
        c.record_id: c.after for c in changes if c.action == ImportAction.CREATED},
        AuditAction.DELETE)
    for chunk in key_chunks(created):
        db.session.execute(delete(kind.model).where(among(kind.model.id, chunk))
            .execution_options(synchronize_session=False))
    updated = [c for c in changes if c.action == ImportAction.UPDATED]
    records = _records_of(kind, updated)
    for change in updated:
        for name, value in _from_json(kind, change.before).items():
            setattr(records[change.record_id], name, value)
    db.session.flush()


@consent.changes_from(ConsentSource.IMPORT)
def reapply(kind: ImportKind, changes: list[Any]) -> None:
    """The opposite of ``revert``: the records of ``changes`` as the import left
    them (an undo that could not finish puts back what it had undone)."""
    created = [c for c in changes if c.action == ImportAction.CREATED]
    if created:
        bulk_rows.insert_rows(kind.model.__table__, (
            {**_new_row(kind, _from_json(kind, c.after)), "id": c.record_id} for c in created))
        _log_consents(kind, ((c.record_id, c.after) for c in created))
        audit.record_values(kind.model.__name__, {c.record_id: c.after for c in created},
                            AuditAction.CREATE)
    updated = [c for c in changes if c.action == ImportAction.UPDATED]
    records = _records_of(kind, updated)
    for change in updated:
        for name, value in _from_json(kind, change.after).items():
            setattr(records[change.record_id], name, value)
    db.session.flush()


def finish_undo(batch: ImportBatch) -> None:
    audit.record(db.session, AuditAction.IMPORT_UNDO, object_type="ImportBatch",
                 object_id=batch.id, summary=_batch_summary(batch))
    batch.status = ImportStatus.UNDONE
    batch.undone_at = utcnow()
    _refresh_statistics(batch, batch.rows_created + batch.rows_updated)


def _refresh_statistics(batch: ImportBatch, records: int) -> None:
    """A large import or undo leaves PostgreSQL's tables it wrote to vacuumed and
    analysed once it commits (see import_statistics)."""
    tables = [KINDS[batch.kind].model.__tablename__, ImportChange.__tablename__,
              audit.AUDIT_TABLE.name]
    import_statistics.after_commit(tables, records)


def _values_of(kind: ImportKind, changes: list[Any]) -> dict[int, Any]:
    """The current values of the fields ``changes`` set, by record id (plain rows:
    compared, never changed)."""
    names = sorted({name for change in changes for name in (change.after or {})})
    columns = [getattr(kind.model, name) for name in names]
    ids = [change.record_id for change in changes]
    found = {}
    for chunk in key_chunks(ids):
        for row in db.session.execute(select(kind.model.id, *columns).where(
                among(kind.model.id, chunk))):
            found[row.id] = row
    return found


def _records_of(kind: ImportKind, changes: list[Any]) -> dict[int, Any]:
    ids = [change.record_id for change in changes]
    found = {}
    for chunk in key_chunks(ids):
        for record in db.session.scalars(select(kind.model).where(
                among(kind.model.id, chunk))):
            found[record.id] = record
    return found


def _changed_since(kind: ImportKind, record, after: dict) -> bool:
    return any(getattr(record, name) != value for name, value in _from_json(kind, after).items())


def _json(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _from_json(kind: ImportKind, values: dict | None) -> dict:
    days = kind.day_fields
    return {k: date.fromisoformat(v) if k in days and v else v
            for k, v in (values or {}).items()}


# -- the template and what the preview shows ------------------------------------------

def template_csv(kind_key: str) -> str:
    """A header row in the user's language, with a BOM for spreadsheet programs."""
    kind = KINDS[kind_key]
    buffer = io.StringIO()
    labels = [str(f.label) for f in kind.fields if f.name not in ("full_name", "tags")]
    csv.writer(buffer, lineterminator="\r\n").writerow(labels)
    return "\ufeff" + buffer.getvalue()


def new_rows_sample(plan: Plan, size: int) -> tuple[list[Field], list[tuple[int, list[Any]]]]:
    """The first new rows as they will be stored, to read before confirming (text
    in the wrong encoding shows here): the fields they fill, and (line, the values
    as they will be stored) for each."""
    rows = plan.creates[:size]
    fields = [f for f in plan.kind.fields if any(f.name in values for _line, values in rows)]
    return fields, [(line, [values.get(f.name) for f in fields]) for line, values in rows]
