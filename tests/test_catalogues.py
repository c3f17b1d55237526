"""The catalogues are complete: every string the code and templates show is
extracted, translated into Spanish, not fuzzy, with the same placeholders as
its English, and Flask-Admin's own screens are covered too."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from .language import ADMIN_CATALOGUES, OUR_CATALOGUES, ROOT

PLACEHOLDERS = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
SPANISH = OUR_CATALOGUES / "es" / "LC_MESSAGES"


def _read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _texts(message) -> tuple:
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)


def _translations(message) -> tuple:
    string = message.string
    return tuple(string) if isinstance(string, (tuple, list)) else (string,)


def _source_msgids() -> set[str]:
    """What the code and templates mark for translation right now."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                "lazy_gettext": None, "lazy_ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture(scope="module")
def spanish():
    return _read(SPANISH / "messages.po")


def test_every_string_in_the_code_is_in_the_catalogue(spanish):
    missing = sorted(_source_msgids() - {_texts(m)[0] for m in spanish if m.id})
    assert not missing, f"run `make translations` and translate: {missing}"


def test_every_spanish_translation_is_present_and_not_fuzzy(spanish):
    untranslated = [m.id for m in spanish if m.id and not all(_translations(m))]
    fuzzy = [m.id for m in spanish if m.id and m.fuzzy]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


@pytest.mark.parametrize("catalogue", ["messages.po", "admin.po"])
def test_placeholders_match_between_english_and_spanish(catalogue):
    wrong = []
    for message in _read(SPANISH / catalogue):
        if not message.id:
            continue
        if placeholder_mismatch(_texts(message), _translations(message)):
            wrong.append((message.id, message.string))
    assert not wrong


def placeholder_mismatch(english: tuple, spanish: tuple) -> bool:
    """A translation uses the placeholders of its English, no other and none fewer.

    In a plural entry the singular may leave the count out ("Record deleted.");
    the plural forms use exactly the plural's placeholders.
    """
    def found(text):
        return set(PLACEHOLDERS.findall(text))

    if len(english) == 1:
        return found(spanish[0]) != found(english[0])
    allowed = found(english[0]) | found(english[1])
    return (any(not found(form) <= allowed for form in spanish)
            or found(spanish[-1]) != found(english[1]))


def test_flask_admin_screens_are_fully_covered_in_spanish():
    # Its shipped .po has strings its compiled .mo lacks; ours must fill each gap.
    shipped = ADMIN_CATALOGUES / "es" / "LC_MESSAGES"
    with (shipped / "admin.mo").open("rb") as handle:
        compiled = {_texts(m)[0] for m in read_mo(handle) if m.id and all(_translations(m))}
    ours = {_texts(m)[0] for m in _read(SPANISH / "admin.po") if m.id and all(_translations(m))}
    expected = {_texts(m)[0] for m in _read(shipped / "admin.po") if m.id}
    assert not expected - compiled - ours


def test_page_size_choices_have_a_label_in_each_language(app):
    # Flask-Admin looks the page-size choices up as "20 item"/"20 items"; only
    # our admin catalogues carry them.
    sizes = {size for view in app.extensions["admin"][0]._views
             for size in getattr(view, "page_size_options", ())}
    for language in ("en", "es"):
        ours = {_texts(m)[0] for m in _read(OUR_CATALOGUES / language / "LC_MESSAGES" / "admin.po")}
        assert {f"{size} item" for size in sizes} <= ours, language


def test_placeholder_check_catches_a_mismatch():
    assert placeholder_mismatch(("%(num)d invoices",), ("%(n)d facturas",))
    assert placeholder_mismatch(("%(name)s saved",), ("guardado",))
    assert not placeholder_mismatch(("%(name)s saved",), ("%(name)s guardado",))
    plural = ("Record deleted.", "%(count)s records deleted.")
    assert not placeholder_mismatch(plural, ("Registro eliminado.", "%(count)s eliminados."))
    assert placeholder_mismatch(plural, ("Registro eliminado.", "Registros eliminados."))
