"""What a save the database refused says, in the user's language, on the field
it concerns: a value another record already uses (a unique constraint), or one
a rule of the table forbids (a CHECK constraint the form does not repeat)."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import CheckConstraint

# SQLite: "UNIQUE constraint failed: customers.email, customers.x",
# "CHECK constraint failed: ck_discount_codes_value_positive".
SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")
SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
# PostgreSQL's detail of a unique violation: "Key (email)=(ana@example.com) already exists."
POSTGRES_KEY = re.compile(r"Key \(([^)]+)\)=")
UNIQUE_VIOLATION, CHECK_VIOLATION = "23505", "23514"
# A rule's condition on one column: "value > 0", "balance_minor >= 0".
ZERO_RULE = re.compile(r"^\s*(\w+)\s*(>=|>|<>|!=)\s*0\s*$")


def refused_save(error, table, form=None) -> str:
    """The message for ``error`` (an IntegrityError saving a row of ``table``);
    the same message goes on the form's field for the column, when there is one."""
    kind, columns, rule = _violation(error.orig, table)
    if kind == "unique":
        message = _("This value is already used by another record; nothing was saved.")
    elif kind == "check":
        message = _rule_message(rule)
    else:
        message = _("This conflicts with a record that already exists; nothing was saved.")
    if form is not None:
        for column in columns:
            field = _field(form, column)
            if field is not None:
                field.errors = [*field.errors, message]
    return message


def _violation(orig, table) -> tuple[str, list[str], CheckConstraint | None]:
    """("unique" | "check" | "other", the columns concerned, the broken CHECK)."""
    text = str(orig)
    diag = getattr(orig, "diag", None)
    state = getattr(orig, "sqlstate", None)
    if state == UNIQUE_VIOLATION or SQLITE_UNIQUE.search(text):
        match = SQLITE_UNIQUE.search(text)
        if match:
            columns = [name.strip().rsplit(".", 1)[-1] for name in match[1].split(",")]
        else:
            key = POSTGRES_KEY.search(getattr(diag, "message_detail", None) or text)
            columns = [name.strip() for name in key[1].split(",")] if key else []
        return "unique", columns, None
    name = getattr(diag, "constraint_name", None) if state == CHECK_VIOLATION else None
    match = SQLITE_CHECK.search(text)
    name = name or (match[1] if match else None)
    if name is None:
        return "other", [], None
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint) and name in (
                constraint.name, f"ck_{table.name}_{constraint.name}"):
            condition = str(constraint.sqltext)
            columns = [c.key for c in table.columns if re.search(rf"\b{c.name}\b", condition)]
            return "check", columns, constraint
    return "check", [], None


def _rule_message(rule: CheckConstraint | None) -> str:
    match = ZERO_RULE.match(str(rule.sqltext)) if rule is not None else None
    operator = match[2] if match else None
    if operator == ">":
        return _("This value must be greater than zero; nothing was saved.")
    if operator == ">=":
        return _("This value cannot be negative; nothing was saved.")
    if operator in ("<>", "!="):
        return _("This value cannot be zero; nothing was saved.")
    return _("This value is not allowed here; nothing was saved.")


def _field(form, column: str):
    """The form's field for a column: ``group_id`` is edited as ``group``."""
    for name in (column, column.removesuffix("_id")):
        if name in form:
            return form[name]
    return None
