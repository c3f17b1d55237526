"""After an import is applied its invalid rows stay on its page with their
reasons, and download as a CSV to fix and import again; local phone numbers are
read in the row's country; counts speak in the right number, in both languages."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from admin_app.choices import ImportStatus, Role
from admin_app.extensions import db
from admin_app.models import BlacklistEntry, Customer, ImportBatch

from ..pages import (
    apply_import,
    batch_id,
    flashes,
    get_page,
    row_count,
    speak,
    text,
    upload,
)

SPANISH_FILE = (
    "Nombre;Apellidos;Correo electrónico;Teléfono;País;Fecha de nacimiento\r\n"
    "Ana;Ruiz;ana@example.com;600 111 222;ES;01/02/1990\r\n"
    "Berta;Gil;no-es-un-correo;;ES;\r\n"
    "Carla;Sanz;carla@example.com;;ES;31/02/1990\r\n"
).encode("cp1252")


CUSTOMERS = "/admin/customers/import/"

def rejected_csv(client, batch: int) -> list[list[str]]:
    response = client.get(f"{CUSTOMERS}{batch}/rejected.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_after_applying_the_invalid_rows_stay_listed_in_the_readers_language(manager, users):
    batch = batch_id(upload(manager, CUSTOMERS, SPANISH_FILE, name="clientes.csv"))
    apply_import(manager, CUSTOMERS, batch)
    assert db.session.get(ImportBatch, batch).status == ImportStatus.APPLIED
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    problems = text(page.split('id="import-problems"', 1)[1].split("</table>", 1)[0])
    assert "3 Email" in problems and "4 Birthday Not a date" in problems
    assert "2 rows were not imported" in text(page)

    speak(users[Role.MANAGER], "es")
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    problems = text(page.split('id="import-problems"', 1)[1].split("</table>", 1)[0])
    assert "4 Cumpleaños No es una fecha" in problems
    assert "2 filas no se importaron" in text(page)


def test_the_rejected_rows_download_with_a_reason_fix_and_import_again(manager, users):
    speak(users[Role.MANAGER], "es")
    batch = batch_id(upload(manager, CUSTOMERS, SPANISH_FILE, name="clientes.csv"))
    apply_import(manager, CUSTOMERS, batch)
    rows = rejected_csv(manager, batch)
    assert rows[0] == ["Nombre", "Apellidos", "Correo electrónico", "Teléfono", "País",
                       "Fecha de nacimiento", "Motivo por el que no se importó"]
    assert [row[:6] for row in rows[1:]] == [
        ["Berta", "Gil", "no-es-un-correo", "", "ES", ""],
        ["Carla", "Sanz", "carla@example.com", "", "ES", "31/02/1990"]]
    assert "Cumpleaños: No es una fecha" in rows[2][6]

    # The operator fixes the two rows in the spreadsheet and imports the file again.
    rows[1][2], rows[2][5] = "berta@example.com", "28/02/1990"
    fixed = io.StringIO()
    csv.writer(fixed, delimiter=";").writerows(rows)
    again = batch_id(upload(manager, CUSTOMERS, fixed.getvalue(), name="rechazadas.csv"))
    apply_import(manager, CUSTOMERS, again)
    assert row_count(Customer) == 3
    assert db.session.get(ImportBatch, again).rejected_rows is None


def test_nothing_rejected_nothing_to_download(manager):
    batch = batch_id(upload(manager, CUSTOMERS, "First name,Surname\nAna,Ruiz\n"))
    apply_import(manager, CUSTOMERS, batch)
    assert manager.get(f"{CUSTOMERS}{batch}/rejected.csv").status_code == 404
    assert "not imported" not in text(get_page(manager, f"{CUSTOMERS}{batch}/"))


def test_a_viewer_cannot_download_rejected_rows(manager, login):
    batch = batch_id(upload(manager, CUSTOMERS, SPANISH_FILE))
    apply_import(manager, CUSTOMERS, batch)
    viewer = login(Role.OPERATOR)
    assert viewer.get(f"{CUSTOMERS}{batch}/rejected.csv").status_code == 403


def test_a_local_phone_is_read_in_the_rows_country(manager):
    content = ("First name,Surname,Phone,Country\n"
               "Ana,Ruiz,600 111 222,ES\n"
               "John,Smith,(617) 555-1791,US\n"
               "Eve,Local,06 12 34 56 78,\n")
    batch = batch_id(upload(manager, CUSTOMERS, content))
    apply_import(manager, CUSTOMERS, batch)
    phones = dict(db.session.execute(select(Customer.first_name, Customer.phone)).all())
    # A row without a country is read in the default region, ES: not a Spanish number.
    assert phones == {"Ana": "+34600111222", "John": "+16175551791"}
    page = text(get_page(manager, f"{CUSTOMERS}{batch}/"))
    assert "This is not a valid phone number for its country" in page


def test_the_default_phone_region_is_a_setting(manager, app, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_PHONE_REGION", "FR")
    batch = batch_id(upload(manager, "/admin/blacklist/import/",
                            "Phone,Reason\n06 12 34 56 78,Fake orders\n"))
    apply_import(manager, "/admin/blacklist/import/", batch)
    assert db.session.scalar(select(BlacklistEntry.phone)) == "+33612345678"


@pytest.mark.parametrize("language, applied, undone", [
    ("en", "Imported: 1 new record, 0 updated, 0 unchanged; 0 invalid rows skipped.",
     "The import was undone: 1 record put back as it was."),
    ("es", "Importación hecha: 1 registro nuevo, 0 actualizados, 0 sin cambios; 0 filas no "
           "válidas omitidas.",
     "Importación deshecha: 1 registro ha vuelto a su estado anterior."),
])
def test_one_record_is_said_in_the_singular(manager, users, language, applied, undone):
    speak(users[Role.MANAGER], language)
    batch = batch_id(upload(manager, CUSTOMERS, "First name,Surname\nAna,Ruiz\n"))
    page = get_page(manager, apply_import(manager, CUSTOMERS, batch).headers["Location"])
    assert ("success", applied) in flashes(page)
    response = manager.post_form(f"{CUSTOMERS}{batch}/undo/")
    assert ("success", undone) in flashes(get_page(manager, response.headers["Location"]))


def test_a_batch_previewed_before_rows_were_stored_still_opens(manager, users):
    batch = ImportBatch(kind="customers", file_name="old.csv", read_rows=None,
                        content=b"First name,Surname\nAna,Ruiz\n", created_by=users[Role.MANAGER])
    gone = ImportBatch(kind="customers", file_name="older.csv", read_rows=None, content=None)
    db.session.add_all([batch, gone])
    db.session.commit()
    assert "Import 1 record" in text(get_page(manager, f"{CUSTOMERS}{batch.id}/"))
    apply_import(manager, CUSTOMERS, batch.id)
    assert row_count(Customer) == 1
    page = get_page(manager, f"{CUSTOMERS}{gone.id}/")
    assert "can no longer be applied" in text(page)
