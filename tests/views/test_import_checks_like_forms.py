"""An import checks each value as the form does: the column's length, invisible
characters; a cell too long for the file reader is named as such; and the rows a
preview finds invalid download before anything is applied."""
from __future__ import annotations

import csv
import io

import pytest

from admin_app.choices import ImportStatus, Role
from admin_app.extensions import db
from admin_app.models import Customer, ImportBatch

from ..pages import (
    apply_import,
    batch_id,
    get_page,
    import_problems,
    preview_counts,
    row_count,
    text,
    upload,
)

CUSTOMERS = "/admin/customers/import/"

@pytest.mark.parametrize("language, reason", [
    ("en", "Longer than 4000 characters."),
    ("es", "Tiene más de 4000 caracteres."),
])
def test_notes_longer_than_the_column_are_an_invalid_row(manager, users, language, reason):
    users[Role.MANAGER].language = language
    db.session.commit()
    content = ("First name,Surname,Email,Notes\n"
               f"Ana,Ruiz,ana@example.com,{'x' * 5000}\n"
               f"Berta,Gil,berta@example.com,{'y' * 4000}\n")
    batch = batch_id(upload(manager, CUSTOMERS, content))
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    assert preview_counts(page) == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    assert f"2 {'Notes' if language == 'en' else 'Notas'} {reason}" in import_problems(page)
    apply_import(manager, CUSTOMERS, batch)
    assert db.session.get(ImportBatch, batch).status == ImportStatus.APPLIED
    stored = db.session.execute(db.select(Customer.first_name, Customer.notes)).all()
    assert [(name, len(notes)) for name, notes in stored] == [("Berta", 4000)]


def test_a_first_name_of_zero_width_characters_is_missing(manager):
    content = "First name,Surname\n\u200b\u200b,Ruiz\n\u200bAna\u200b,Gil\n"
    batch = batch_id(upload(manager, CUSTOMERS, content.encode("utf-8")))
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    assert preview_counts(page) == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    assert "2 First name Required for a new record." in import_problems(page)
    apply_import(manager, CUSTOMERS, batch)
    assert db.session.scalars(db.select(Customer.first_name)).all() == ["Ana"]


@pytest.mark.parametrize("language, reason, quotes", [
    ("en", "Line 2 has a cell longer than 131,072 characters", "quotation marks"),
    ("es", "La línea 2 tiene una celda de más de 131.072 caracteres", "comillas"),
])
def test_a_cell_too_long_for_the_reader_is_named_as_such(manager, users, language, reason,
                                                          quotes):
    users[Role.MANAGER].language = language
    db.session.commit()
    content = f'First name,Surname,Notes\nAna,Ruiz,"{"x" * 10_000_000}"\n'
    response = upload(manager, CUSTOMERS, content)
    assert response.status_code == 400
    message = text(response.get_data(as_text=True))
    assert reason in message
    assert quotes not in message
    assert row_count(ImportBatch) == 0


def test_the_rows_of_a_wholly_invalid_file_download_from_the_preview(manager):
    content = "First name,Surname,Email\nAna,Ruiz,not-an-email\nBerta,Gil,also-not\n"
    batch = batch_id(upload(manager, CUSTOMERS, content))
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    assert f"{CUSTOMERS}{batch}/rejected.csv" in page
    response = manager.get(f"{CUSTOMERS}{batch}/rejected.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[:3] for row in rows[1:]] == [["Ana", "Ruiz", "not-an-email"],
                                             ["Berta", "Gil", "also-not"]]
    assert all(row[3].startswith("Email: ") for row in rows[1:])
    assert db.session.get(ImportBatch, batch).status == ImportStatus.PREVIEWED
