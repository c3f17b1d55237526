"""Which words belong to which language's interface, and the interface words on a page.

The vocabularies come from the catalogues themselves: every word of an English
msgid (ours, Flask-Admin's, WTForms') is an English interface word, every word
of a Spanish msgstr a Spanish one. A word on a Spanish page that is only in the
English vocabulary is an untranslated interface word, and the reverse.
"""
from __future__ import annotations

import functools
import html as html_lib
import json
import re
from pathlib import Path

import flask_admin
import wtforms
from babel import Locale
from babel.messages.pofile import read_po

from admin_app.extensions import db
from admin_app.i18n import LANGUAGE_NAMES

ROOT = Path(__file__).resolve().parent.parent
OUR_CATALOGUES = ROOT / "translations"
ADMIN_CATALOGUES = Path(flask_admin.__file__).parent / "translations"
WTFORMS_CATALOGUES = Path(wtforms.__file__).parent / "locale"

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
WORD = re.compile(r"[^\W\d_]{2,}")
# Written the same in both languages, or names that are not translated.
SHARED_WORDS = {"backoffice", "pdf", "csv", "id", "no", "vip", "iban", "total", "general",
                "error", "email", "online", "marketing"}
# English interface words that reach pages without passing through a catalogue
# (a framework's hard-coded text, a prettified column name): caught all the same.
EXTRA_ENGLISH = {"toggle", "navigation", "items", "item", "none", "true", "false",
                 "created", "updated", "at", "code"}


def _catalogue(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _words(texts) -> set[str]:
    found = set()
    for text in texts:
        for part in text if isinstance(text, tuple) else (text,):
            found.update(w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", part or "")))
    return found


def _model_column_words() -> set[str]:
    words = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            words.update(part for part in column.key.split("_") if len(part) > 1)
    return words


@functools.cache
def english_vocabulary() -> set[str]:
    sources = [
        OUR_CATALOGUES / "messages.pot",
        ADMIN_CATALOGUES / "es" / "LC_MESSAGES" / "admin.po",  # its msgids are the English
        WTFORMS_CATALOGUES / "wtforms.pot",
    ]
    words = set(EXTRA_ENGLISH)
    for source in sources:
        words |= _words(message.id for message in _catalogue(source) if message.id)
    return words | _model_column_words()


@functools.cache
def spanish_vocabulary() -> set[str]:
    sources = [
        OUR_CATALOGUES / "es" / "LC_MESSAGES" / "messages.po",
        OUR_CATALOGUES / "es" / "LC_MESSAGES" / "admin.po",
        ADMIN_CATALOGUES / "es" / "LC_MESSAGES" / "admin.po",
        WTFORMS_CATALOGUES / "es" / "LC_MESSAGES" / "wtforms.po",
    ]
    words = set()
    for source in sources:
        words |= _words(message.string for message in _catalogue(source) if message.id)
    return words


def only_english() -> set[str]:
    return english_vocabulary() - spanish_vocabulary() - SHARED_WORDS


def only_spanish() -> set[str]:
    return spanish_vocabulary() - english_vocabulary() - SHARED_WORDS


# Text a person sees or hears: text nodes, and these attributes.
SHOWN_ATTRIBUTES = re.compile(
    r'\b(?:placeholder|title|aria-label|alt|data-original-title)="([^"]*)"')
SUBMIT_VALUES = re.compile(r'<input[^>]*type="submit"[^>]*value="([^"]*)"')


# JSON the page's scripts show text from: a JSON script, or Flask-Admin's hidden data divs.
JSON_DATA = re.compile(
    r'(<script[^>]*application/json[^>]*>|<div id="([\w-]+)-data"[^>]*>)(.*?)(</script>|</div>)',
    re.S)


def _strings(value):
    """The texts in a JSON value (its values, never its keys)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _shown_json(match) -> str:
    data = json.loads(html_lib.unescape(match.group(3)))
    if match.group(2) == "filter-groups":
        # Filter names are the keys here; option values are codes, their labels are shown.
        shown = []
        for name, filters in data.items():
            shown.append(name)
            for flt in filters:
                shown.append(flt["operation"])
                shown += [label for _value, label in flt["options"] or ()]
        data = shown
    return " " + html_lib.escape(" ".join(_strings(data))) + " "


def interface_text(page: str, data_values: list[str]) -> str:
    """What the page shows, minus the records' own values (names, notes...)."""
    page = JSON_DATA.sub(_shown_json, page)
    page = re.sub(r"<style\b.*?</style>", " ", page, flags=re.S)
    # Code is not shown; JSON data blocks (picker labels) are.
    page = re.sub(r'<script\b(?![^>]*application/json)[^>]*>.*?</script>', " ", page, flags=re.S)
    shown = SHOWN_ATTRIBUTES.findall(page) + SUBMIT_VALUES.findall(page)
    page = re.sub(r"<[^>]+>", " ", page)
    text = html_lib.unescape(" ".join([page, *shown]))
    text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses, masked ones included
    if data_values:
        whole_values = "|".join(re.escape(value) for value in data_values)
        text = re.sub(rf"(?<!\w)(?:{whole_values})(?!\w)", " ", text)
    return text


def foreign_words(page: str, language: str, data_values: list[str]) -> list[str]:
    """Interface words of the other language on a page rendered in ``language``."""
    foreign = only_english() if language == "es" else only_spanish()
    words = {w.lower() for w in WORD.findall(interface_text(page, data_values))}
    return sorted(words & foreign)


def stored_text_values() -> list[str]:
    """Every text value in the database, the country, month and day names (CLDR
    data, not interface words) and each language named in itself (the switcher,
    a customer's language), longest first so that none is cut by a shorter one."""
    values = {name for _code, name in LANGUAGE_NAMES}
    for code in ("en", "es"):
        cldr = Locale.parse(code)
        values |= set(cldr.territories.values())
        for width in ("wide", "abbreviated", "narrow"):
            values |= set(cldr.months["format"][width].values())
            values |= set(cldr.days["format"][width].values())
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if _is_text(c)]
        if not columns:
            continue
        for row in db.session.execute(db.select(*columns)):
            values.update(str(v) for v in row if v)
    return sorted(values, key=len, reverse=True)


def _is_text(column) -> bool:
    try:
        return column.type.python_type is str
    except NotImplementedError:
        return False
