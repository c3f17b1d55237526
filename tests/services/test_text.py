"""How typed or imported text is cleaned: invisible characters at either end go."""
from __future__ import annotations

import sys
import unicodedata

import pytest

from admin_app.services.text import _invisible, strip_text


@pytest.mark.parametrize("value, expected", [
    ("Ana", "Ana"), ("  Ana Ruiz \t", "Ana Ruiz"), ("\u200bAna\u200b", "Ana"),
    ("\u200b\u200d\ufeff", ""), ("\x07Ana\x1b", "Ana"), ("\u00a0+34 600\u3000", "+34 600"),
    ("a\u200bb", "a\u200bb"), ("", ""), (None, None), (5, 5),
])
def test_invisible_characters_at_either_end_are_removed(value, expected):
    assert strip_text(value) == expected


def test_every_character_invisible_at_an_end_is_removed_and_no_other():
    """The shortcut for text that begins and ends with a letter or a digit keeps
    exactly what the character-by-character rule (text._invisible) keeps."""
    for code in range(sys.maxunicode + 1):
        character = chr(code)
        if unicodedata.category(character) == "Cs":
            continue  # a lone surrogate is no text a form or a file gives
        expected = "x" if _invisible(character) else f"{character}x{character}"
        assert strip_text(f"{character}x{character}") == expected, hex(code)
