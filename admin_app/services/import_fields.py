"""What each import reads: its fields, the headers that name them (in English,
in Spanish, and as other systems export them), how each value is read, and how
a row finds the record it updates.

A field's headers always include its label in both of our languages, so a file
exported from a list (in either language) imports again.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..choices import BlacklistReason
from ..extensions import db
from ..models import BlacklistEntry, Customer, CustomerGroup, Guest, IdModel
from ..storable import text_length
from .countries import country_names
from .csv_files import normalise_header
from .emails import normalise_email
from .errors import ValidationError
from .exports import FORMULA_PREFIXES
from .phones import normalise_phone

TRUE_WORDS = {"yes", "y", "si", "true", "1", "x", "verdadero"}
FALSE_WORDS = {"no", "n", "false", "0", "falso"}


def restore_text(text: str) -> str:
    """Undo our export's formula guard: "'=x" was exported from "=x"."""
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


@dataclass(frozen=True)
class Field:
    name: str                      # the model attribute it sets
    label: Any                     # lazy label: the template's header and messages
    headers: tuple[str, ...] = ()  # other systems' headers for it, any language
    read: Callable[[str], Any] = str
    required: bool = False

    def header_texts(self) -> set[str]:
        texts = set(self.headers)
        for language in ("en", "es"):
            with force_locale(language):
                texts.add(str(self.label))
        return texts


@dataclass(frozen=True)
class ImportKind:
    key: str
    model: type[IdModel]
    fields: tuple[Field, ...]
    match_on: tuple[str, ...]      # fields that find an existing record, in order
    # Columns that other systems (and our exports) carry but that an import never
    # changes (balances move only through the ledger; figures follow the orders).
    not_imported: tuple[Any, ...] = field(default=())

    def aliases(self) -> dict[str, set[str]]:
        return {f.name: f.header_texts() for f in self.fields}

    def not_imported_headers(self) -> set[str]:
        texts = set()
        for header in self.not_imported:
            for language in ("en", "es"):
                with force_locale(language):
                    texts.add(normalise_header(str(header)))
        return texts

    @cached_property
    def by_name(self) -> dict[str, Field]:
        # Looked up for every cell of a file: a dict, built once.
        return {f.name: f for f in self.fields}

    def field(self, name: str) -> Field:
        return self.by_name[name]

    @cached_property
    def required(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)

    @cached_property
    def day_fields(self) -> frozenset[str]:
        """Fields holding a day (stored in JSON as ISO text)."""
        return frozenset(f.name for f in self.fields if f.read is read_day)

    @cached_property
    def text_limits(self) -> dict[str, int]:
        """The most characters each field's column holds, as forms and the database
        allow (fields that stand for others, such as a full name, have none)."""
        columns = self.model.__table__.columns
        limits = {f.name: text_length(columns[f.name]) for f in self.fields
                  if f.name in columns}
        return {name: limit for name, limit in limits.items() if limit}


# -- readers: text in, value out, or ValidationError -------------------------------

def read_text(text: str) -> str | None:
    return text or None


def read_email(text: str) -> str | None:
    return normalise_email(text)


def read_phone(text: str, region: str | None = None) -> str | None:
    """A number without its country code is read in ``region`` (a country code)."""
    return normalise_phone(text.replace("'", ""), region) if text else None


def read_bool(text: str) -> bool | None:
    word = normalise_header(text)
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(_l("Write yes or no."))


def read_country(text: str) -> str | None:
    if not text:
        return None
    code = text.strip().upper()
    if len(code) == 2 and code in country_names():
        return code
    wanted = normalise_header(text)
    for language in ("en", "es"):
        with force_locale(language):
            for code, name in country_names().items():
                if normalise_header(name) == wanted:
                    return code
    raise ValidationError(_l("Unknown country: write its name or its two-letter code."))


def read_group(text: str) -> int | None:
    if not text:
        return None
    group_id = db.session.scalar(
        db.select(CustomerGroup.id).where(db.func.lower(CustomerGroup.name) == text.lower()))
    if group_id is None:
        raise ValidationError(_l("There is no group with this name; create it first."))
    return group_id


def read_reason(text: str) -> str | None:
    if not text:
        return None
    wanted = normalise_header(text)
    for value in BlacklistReason.values():
        if wanted == normalise_header(value):
            return value
        for language in ("en", "es"):
            with force_locale(language):
                if wanted == normalise_header(BlacklistReason.label(value)):
                    return value
    raise ValidationError(_l("Unknown reason: use one of the reasons the blacklist offers."))


DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def read_day(text: str, day_first: bool = True) -> date | None:
    """ISO, or day/month/year (or month/day/year when the column says so)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = DAY_FIRST.fullmatch(text)
    if match:
        first, second, year = (int(part) for part in match.groups())
        day, month = (first, second) if day_first else (second, first)
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise ValidationError(_l("Not a date: write it as 31/12/1990 or 1990-12-31."))


def days_come_first(values: list[str], default: bool) -> bool:
    """Whether a column of dates is day/month/year: any first part above 12 says
    yes, any second part above 12 says no, otherwise the user's language decides."""
    for value in values:
        match = DAY_FIRST.fullmatch(value)
        if match and int(match.group(1)) > 12:
            return True
        if match and int(match.group(2)) > 12:
            return False
    return default


# -- the imports -----------------------------------------------------------------

CUSTOMERS = ImportKind(
    key="customers",
    model=Customer,
    match_on=("email", "card_number", "phone"),
    fields=(
        Field("first_name", _l("First name"), ("First Name", "Given name", "Nombre"),
              read_text, required=True),
        Field("surname", _l("Surname"), ("Last Name", "Last name", "Family name", "Apellidos",
                                         "Apellido"), read_text, required=True),
        Field("full_name", _l("Customer"), ("Full name", "Nombre completo"), read_text),
        Field("email", _l("Email"), ("E-mail", "Email address", "Correo", "Correo electronico",
                                     "Mail"), read_email),
        Field("phone", _l("Phone"), ("Phone number", "Mobile", "Movil", "Telefono"), read_phone),
        Field("postcode", _l("Postcode"), ("Zip", "Postal code", "Default Address Zip", "CP",
                                           "Codigo postal"), read_text),
        Field("country", _l("Country"), ("Country code", "Default Address Country Code", "Pais"),
              read_country),
        Field("birthday", _l("Birthday"), ("Birth date", "Date of birth", "Fecha de nacimiento",
                                           "Cumpleanos"), read_day),
        Field("card_number", _l("Card number"), ("Loyalty card", "Tarjeta", "Numero de tarjeta"),
              read_text),
        Field("group_id", _l("Group"), ("Customer group", "Grupo"), read_group),
        Field("marketing_opt_in", _l("Marketing opt-in"), ("Accepts Email Marketing",
                                                           "Accepts marketing", "Newsletter",
                                                           "Acepta publicidad"), read_bool),
        Field("tags", _l("Tags"), ("Tags", "Etiquetas"), read_text),
        Field("notes", _l("Notes"), ("Note", "Notas", "Nota", "Comments"), read_text),
    ),
    not_imported=(_l("Balance"), _l("Sales value"), _l("Orders"), _l("Loyalty points"),
                  _l("Date added"), _l("Currency"), "Total Spent", "Total Orders"),
)

GUESTS = ImportKind(
    key="guests",
    model=Guest,
    match_on=("email", "phone"),
    fields=(
        Field("name", _l("Name"), ("Full name", "Nombre", "Nombre completo"), read_text,
              required=True),
        Field("email", _l("Email"), ("E-mail", "Correo", "Correo electronico"), read_email),
        Field("phone", _l("Phone"), ("Phone number", "Mobile", "Telefono", "Movil"), read_phone),
    ),
    not_imported=(_l("Orders"), _l("Date added"), _l("Blacklisted")),
)

BLACKLIST = ImportKind(
    key="blacklist",
    model=BlacklistEntry,
    match_on=("phone",),
    fields=(
        Field("phone", _l("Phone (with country code)"), ("Phone", "Telefono", "Phone number"),
              read_phone, required=True),
        Field("reason", _l("Reason"), ("Motivo",), read_reason, required=True),
        Field("note", _l("Note"), ("Notes", "Nota", "Notas"), read_text),
    ),
    not_imported=(_l("Added by"), _l("Date")),
)

KINDS = {kind.key: kind for kind in (CUSTOMERS, GUESTS, BLACKLIST)}
