"""What an erasure finds of a person outside their own rows: the audit trail's
before/after values and the rows import batches keep (see services/erasure.py).

A person is found two ways. By record: events about their customer row, their
guests, addresses, messages... (the trail's object index), and about the orders,
wallets and invoices they had. By value: text that holds one of their
identifiers (email, phone, card number, tax ID), wherever it is. Values about the
person themselves all become "erased"; in events about their orders or invoices,
the values that name them (their identifiers or full name) and the billing
details; elsewhere, the values that hold an identifier. A name alone is not
looked for everywhere: a namesake's records would lose theirs.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, false, or_, select, text, update

from ..database import dialect
from ..extensions import db
from ..models import ERASING_PERSONAL_DATA, AuditEvent, ImportBatch, ImportChange
from . import search

ERASED = "erased"
# Shorter values (a card number "12") would match unrelated text.
MIN_NEEDLE = 6
CHUNK = 500
NON_DIGITS = re.compile(r"\D")


@dataclass
class Needles:
    """The person's distinctive values, folded: found inside any text."""

    values: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # full names: only where they belong
    phone_digits: set[str] = field(default_factory=set)  # "34600111222"
    raw: set[str] = field(default_factory=set)  # as stored, for the database's LIKE

    def add(self, value: str | None, *, phone: bool = False, name: bool = False) -> None:
        value = (value or "").strip()
        folded = search.fold(" ".join(value.split()))
        if len(folded) < MIN_NEEDLE:
            return
        if name:
            self.names.add(folded)
            return
        self.values.add(folded)
        self.raw.update({value, value.lower(), folded})
        if phone:
            self.phone_digits.add(NON_DIGITS.sub("", value))
            self.raw.add(NON_DIGITS.sub("", value))

    def found_in(self, value: Any, *, names: bool = False) -> bool:
        if not isinstance(value, str) or not value:
            return False
        folded = search.fold(value)
        if any(needle in folded for needle in self.values):
            return True
        if names and any(name in " ".join(folded.split()) for name in self.names):
            return True
        digits = NON_DIGITS.sub("", value)
        return bool(digits) and any(phone in digits for phone in self.phone_digits)

    def like_patterns(self) -> list[str]:
        """What the database looks for first (any case): the values as stored, also as
        JSON writes them (accents escaped); none that holds another (found by it)."""
        found = {form.lower() for value in self.raw
                 for form in (value, json.dumps(value)[1:-1])}
        return sorted(p for p in found if not any(o != p and o in p for o in found))


# Events about these records are about the person: every text in them goes.
PERSONAL = "personal"
# Events about what they owned (orders, wallets, invoices): what names them goes.
OWNED = "owned"
# Other events that hold one of their identifiers: the values holding it go.
NAMING = "naming"


def _erase_values(changes: Any, needles: Needles, mode: str) -> tuple[Any, bool]:
    if not isinstance(changes, dict):
        return changes, False
    result, changed = {}, False
    for key, pair in changes.items():
        values = pair if isinstance(pair, list) else [pair]
        new = [ERASED if isinstance(v, str) and v != ERASED and (
            mode == PERSONAL or (mode == OWNED and key.startswith("billing_"))
            or needles.found_in(v, names=mode == OWNED)) else v
            for v in values]
        changed = changed or new != values
        result[key] = new if isinstance(pair, list) else new[0]
    return result, changed


def _chunks(ids: Iterable[Any]) -> Iterator[list]:
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _events_about(records: Mapping[str, Iterable[int]]) -> set[int]:
    found: set[int] = set()
    for object_type, ids in records.items():
        for chunk in _chunks(str(i) for i in ids):
            found.update(db.session.scalars(select(AuditEvent.id).where(
                AuditEvent.object_type == object_type, AuditEvent.object_id.in_(chunk))))
    return found


def _events_of_customers(object_types: tuple[str, ...], customer_ids: list[int]) -> set[int]:
    """Events about records of ``object_types`` that belonged to these customers, by the
    customer id their changes hold (a since-deleted address still names its owner)."""
    if not customer_ids:
        return set()
    ids = ", ".join(str(int(i)) for i in customer_ids)
    if dialect() == "postgresql":
        quoted = ", ".join(f"'{int(i)}'" for i in customer_ids)
        holds = text(
            "EXISTS (SELECT 1 FROM json_array_elements_text(CASE WHEN json_typeof("
            "audit_events.changes -> 'customer_id') = 'array' THEN audit_events.changes -> "
            f"'customer_id' END) AS v WHERE v IN ({quoted}))")
    else:
        holds = text("EXISTS (SELECT 1 FROM json_each(audit_events.changes, '$.customer_id') "
                     f"AS v WHERE v.value IN ({ids}))")
    return set(db.session.scalars(select(AuditEvent.id).where(
        AuditEvent.object_type.in_(object_types), holds)))


def _events_naming(needles: Needles) -> set[int]:
    """Events whose summary or changes hold one of the values (checked again in Python)."""
    patterns = needles.like_patterns()
    if not patterns:
        return set()
    if dialect() == "postgresql":
        # One lower() per row, compared with every value: 2 s at a million events
        # (an ILIKE per value took 10). LIKE escapes with a backslash by default.
        holds = text(
            "lower(coalesce(audit_events.summary, '') || ' ' || coalesce(CAST("
            "audit_events.changes AS TEXT), '')) LIKE ANY (:patterns)"
        ).bindparams(patterns=[f"%{_escaped(p)}%" for p in patterns])
        return set(db.session.scalars(select(AuditEvent.id).where(holds)))
    held = (AuditEvent.summary, cast(AuditEvent.changes, Text))
    return set(db.session.scalars(select(AuditEvent.id).where(or_(
        *(_holds(column, p) for column in held for p in patterns)))))


PEOPLE = ("Customer", "Guest")


def _events_of_other_people(event_ids: set[int],
                            personal: Mapping[str, Iterable[int]]) -> set[int]:
    """Of these events, those about a customer or guest who is not the person erased."""
    theirs = {kind: {str(i) for i in personal.get(kind, ())} for kind in PEOPLE}
    found = set()
    for chunk in _chunks(sorted(event_ids)):
        for event_id, kind, object_id in db.session.execute(
                select(AuditEvent.id, AuditEvent.object_type, AuditEvent.object_id)
                .where(AuditEvent.id.in_(chunk), AuditEvent.object_type.in_(PEOPLE))):
            if object_id not in theirs[str(kind)]:
                found.add(event_id)
    return found


def _escaped(pattern: str) -> str:
    return pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _holds(column, pattern: str):
    # SQLite's LIKE ignores (ASCII) case by itself; a lower() per row doubles the scan.
    return search.contains(column, pattern, ignore_case=dialect() != "sqlite")


def scrub_audit(needles: Needles, personal: Mapping[str, Iterable[int]],
                owned: Mapping[str, Iterable[int]], owner_ids: list[int],
                owner_types: tuple[str, ...]) -> int:
    """Replace the person's values in the trail by "erased"; the number of events changed."""
    # A value found in another person's record (a family's shared phone) stays theirs.
    naming = _events_naming(needles)
    naming -= _events_of_other_people(naming, personal)
    modes: dict[int, str] = dict.fromkeys(naming, NAMING)
    modes.update(dict.fromkeys(_events_about(owned), OWNED))
    modes.update(dict.fromkeys(_events_of_customers(owner_types, owner_ids), PERSONAL))
    modes.update(dict.fromkeys(_events_about(personal), PERSONAL))
    rows = []
    for chunk in _chunks(sorted(modes)):
        for event_id, summary, changes in db.session.execute(
                select(AuditEvent.id, AuditEvent.summary, AuditEvent.changes)
                .where(AuditEvent.id.in_(chunk))):
            mode = modes[event_id]
            new_changes, changed = _erase_values(changes, needles, mode)
            new_summary = summary
            if summary and summary != ERASED and (
                    mode == PERSONAL or needles.found_in(summary, names=mode == OWNED)):
                new_summary, changed = ERASED, True
            if changed:
                rows.append({"id": event_id, "summary": new_summary, "changes": new_changes})
    if rows:
        # The one update the trail allows (models.ERASING_PERSONAL_DATA).
        db.session.info[ERASING_PERSONAL_DATA] = True
        try:
            db.session.execute(update(AuditEvent), rows)
        finally:
            db.session.info.pop(ERASING_PERSONAL_DATA, None)
    return len(rows)


@dataclass
class ImportTraces:
    batches: int = 0       # batches whose file was dropped
    rows: int = 0          # rows taken out of what batches keep
    changes: int = 0       # records of what an import did, their values erased


def scrub_imports(needles: Needles, records: Mapping[str, Iterable[int]]) -> ImportTraces:
    """Take the person's rows out of the batches that keep rows, drop the file of any
    batch that names them, and erase the values of what imports did to their records.
    ``records``: import kind -> ids of the person's records of that kind."""
    traces = ImportTraces()
    lines: dict[int, set[int]] = {}
    for kind, ids in records.items():
        for chunk in _chunks(ids):
            for change in db.session.scalars(
                    select(ImportChange).join(ImportBatch)
                    .where(ImportBatch.kind == kind, ImportChange.record_id.in_(chunk))):
                lines.setdefault(change.batch_id, set()).add(change.line)
                before, _ = _erase_values(change.before, needles, PERSONAL)
                after, _ = _erase_values(change.after, needles, PERSONAL)
                change.before, change.after = before, after
                traces.changes += 1
    for batch in _batches_to_check(needles, set(lines)):
        if _scrub_batch(batch, lines.get(batch.id, set()), needles, traces):
            traces.batches += 1
    return traces


def _batches_to_check(needles: Needles, known: set[int]) -> list[ImportBatch]:
    patterns = needles.like_patterns()
    kept = [cast(ImportBatch.read_rows, Text), cast(ImportBatch.rejected_rows, Text)]
    naming = [_holds(column, p) for column in kept for p in patterns]
    # A file still kept (a batch previewed, not applied) is read here, whatever its encoding.
    condition = or_(ImportBatch.id.in_(known) if known else false(),
                    ImportBatch.content.is_not(None), *naming)
    return list(db.session.scalars(select(ImportBatch).where(condition)))


def _scrub_batch(batch: ImportBatch, lines: set[int], needles: Needles,
                 traces: ImportTraces) -> bool:
    named = bool(lines)
    for attribute in ("read_rows", "rejected_rows"):
        kept = getattr(batch, attribute)
        if not isinstance(kept, dict) or not isinstance(kept.get("rows"), list):
            continue
        rows = [row for row in kept["rows"] if not (
            row and row[0] in lines or needles.found_in(json.dumps(row, ensure_ascii=False)))]
        if len(rows) != len(kept["rows"]):
            traces.rows += len(kept["rows"]) - len(rows)
            setattr(batch, attribute, {**kept, "rows": rows})
            named = True
    if batch.content is not None and (named or _file_names(batch, needles)):
        batch.content = None  # the raw file: it cannot be cut row by row
        named = True
    return named


def _file_names(batch: ImportBatch, needles: Needles) -> bool:
    encoding = (batch.read_rows or {}).get("encoding") or "utf-8"
    try:
        content = (batch.content or b"").decode(encoding, errors="replace")
    except LookupError:
        content = (batch.content or b"").decode("utf-8", errors="replace")
    return any(needles.found_in(line) for line in content.splitlines())
