"""CSV import of customers, guests and blacklist entries: template, dry-run
preview, confirm, undo; bad files refused with nothing written."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from admin_app.choices import BlacklistReason, ImportStatus, Role
from admin_app.extensions import db
from admin_app.models import BlacklistEntry, Customer, Guest, ImportBatch
from admin_app.services import imports

from ..pages import (
    apply_import,
    batch_id,
    csv_rows,
    flashes,
    get_page,
    preview_counts,
    row_count,
    text,
    upload,
)

DATA = Path(__file__).resolve().parent.parent / "data"
CUSTOMERS = "/admin/customers/import/"


@pytest.fixture
def groups(make):
    return [make.group(name) for name in ("Mayoristas", "Empleados", "VIP")]


def test_the_spanish_spreadsheet_previews_then_imports(manager, groups):
    response = upload(manager, CUSTOMERS, (DATA / "clientes_excel_es.csv").read_bytes(),
                      name="clientes.csv")
    batch = batch_id(response)
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    assert row_count(Customer) == 0  # a preview writes nothing
    assert preview_counts(page) == {"new": 30, "updated": 0, "unchanged": 0, "invalid": 1}
    problems = text(page.split('id="import-problems"', 1)[1].split("</table>", 1)[0])
    assert "Birthday" in problems and "Not a date" in problems
    assert "Saldo" in text(page)  # named among the columns an import never changes

    response = apply_import(manager, CUSTOMERS, batch)
    assert response.status_code == 302
    assert row_count(Customer) == 30
    customer = db.session.scalar(select(Customer).where(Customer.email == "cliente0@ejemplo.es"))
    assert (customer.first_name, customer.surname) == ("Martín", "Taylor")
    assert customer.phone == "+34682306120" and customer.birthday == date(1974, 7, 28)
    assert customer.group.name == "Mayoristas" and customer.balance_minor == 0
    assert db.session.get(ImportBatch, batch).status == ImportStatus.APPLIED


def test_importing_the_same_file_again_changes_nothing(manager, groups):
    content = (DATA / "clientes_excel_es.csv").read_bytes()
    apply_import(manager, CUSTOMERS, batch_id(upload(manager, CUSTOMERS, content)))
    again = batch_id(upload(manager, CUSTOMERS, content))
    page = get_page(manager, f"{CUSTOMERS}{again}/")
    assert preview_counts(page) == {"new": 0, "updated": 0, "unchanged": 30, "invalid": 1}


def test_a_shopify_export_maps_its_columns(manager):
    batch = batch_id(upload(manager, CUSTOMERS,
                            (DATA / "customers_shopify_export.csv").read_bytes()))
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    counts = preview_counts(page)
    assert counts["new"] > 50 and counts["invalid"] >= 1
    assert "Total Spent" in text(page)
    apply_import(manager, CUSTOMERS, batch)
    daniel = db.session.scalar(select(Customer).where(
        Customer.email == "daniel.fernandez1@example.com"))
    assert daniel.marketing_opt_in and daniel.country == "ES" and daniel.postcode == "28013"
    assert daniel.phone == "+34640192664"


def test_an_update_shows_before_and_after_and_can_be_undone(manager, make):
    kept = make.customer("Ana", "Ruiz", email="ana@example.com", postcode="28001")
    content = ("First name,Surname,Email,Postcode\r\n"
               "Ana,Ruiz,ana@example.com,08002\r\n"
               "Berta,Gil,berta@example.com,46001\r\n")
    batch = batch_id(upload(manager, CUSTOMERS, content))
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    updates = text(page.split('id="import-updates"', 1)[1].split("</table>", 1)[0])
    assert "Ana Ruiz Postcode 28001 08002" in updates
    apply_import(manager, CUSTOMERS, batch)
    assert db.session.get(Customer, kept.id).postcode == "08002"
    assert row_count(Customer) == 2

    response = manager.post_form(f"{CUSTOMERS}{batch}/undo/")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, kept.id).postcode == "28001"
    assert row_count(Customer) == 1
    assert db.session.get(ImportBatch, batch).status == ImportStatus.UNDONE


def test_undo_is_refused_when_a_record_changed_since(manager, make):
    content = "First name,Surname,Email\nBerta,Gil,b@example.com\n"
    batch = batch_id(upload(manager, CUSTOMERS, content))
    apply_import(manager, CUSTOMERS, batch)
    berta = db.session.scalar(select(Customer))
    berta.surname = "Gil Pardo"
    db.session.commit()
    response = manager.post_form(f"{CUSTOMERS}{batch}/undo/", follow_redirects=True)
    assert "changed since" in text(response.get_data(as_text=True))
    db.session.expire_all()
    assert row_count(Customer) == 1
    assert db.session.get(ImportBatch, batch).status == ImportStatus.APPLIED


def test_all_or_nothing_writes_nothing_when_a_row_is_invalid(manager):
    content = "First name,Surname,Email\nAna,Ruiz,ana@example.com\nBerta,Gil,not-an-email\n"
    batch = batch_id(upload(manager, CUSTOMERS, content, all_or_nothing="y"))
    response = apply_import(manager, CUSTOMERS, batch)
    assert response.status_code == 302
    assert row_count(Customer) == 0
    assert db.session.get(ImportBatch, batch).status == ImportStatus.PREVIEWED


def test_without_all_or_nothing_the_valid_rows_go_in(manager):
    content = "First name,Surname,Email\nAna,Ruiz,ana@example.com\nBerta,Gil,not-an-email\n"
    response = apply_import(manager, CUSTOMERS, batch_id(upload(manager, CUSTOMERS, content)))
    page = get_page(manager, response.headers["Location"])
    assert ("success", "Imported: 1 new record, 0 updated, 0 unchanged; 1 invalid row "
            "skipped.") in flashes(page)
    assert row_count(Customer) == 1


@pytest.mark.parametrize("content, message", [
    (b"", "The file is empty"),
    (b"PK\x03\x04binary", "This is not a CSV file"),
    (b"Colour,Size\nred,L\n", "None of the columns can be imported"),
    (b"\x81\x8d\x90,x\n", "could not be read"),
])
def test_a_bad_file_is_refused_with_a_message_and_nothing_written(manager, content, message):
    response = upload(manager, CUSTOMERS, content)
    assert response.status_code == 400
    assert message in text(response.get_data(as_text=True))
    assert row_count(ImportBatch) == 0 and row_count(Customer) == 0


def test_the_size_and_row_limits_are_settings(manager, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 2)
    content = "First name,Surname\nA,B\nC,D\nE,F\n"
    response = upload(manager, CUSTOMERS, content)
    assert "more than 2 rows" in text(response.get_data(as_text=True))
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 10)
    response = upload(manager, CUSTOMERS, content)
    assert "larger than" in text(response.get_data(as_text=True))
    assert row_count(ImportBatch) == 0


def test_export_then_import_changes_nothing(manager, make):
    gold = make.group("Gold")
    make.customer("Lucía", "Moreno", email="lucia@example.com", phone="+34600111222",
                  postcode="28013", group=gold, marketing_opt_in=True, card_number="LC42")
    make.customer("=Eva", "Formula", email="eva@example.com")
    exported = manager.get("/admin/customers/export/csv/").get_data()
    batch = batch_id(upload(manager, CUSTOMERS, exported, name="export.csv"))
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    assert preview_counts(page) == {"new": 0, "updated": 0, "unchanged": 2, "invalid": 0}


def test_the_template_speaks_the_users_language_and_both_import(manager, users):
    english = csv_rows(manager.get(f"{CUSTOMERS}template.csv"))[0]
    assert english[:3] == ["First name", "Surname", "Email"]
    users[Role.MANAGER].language = "es"
    db.session.commit()
    spanish = csv_rows(manager.get(f"{CUSTOMERS}template.csv"))[0]
    assert spanish[:3] == ["Nombre", "Apellidos", "Correo electrónico"]
    for header in (english, spanish):
        row = ["Ana", "Ruiz", f"ana{len(header[0])}@example.com"] + [""] * (len(header) - 3)
        content = ",".join(header) + "\n" + ",".join(row) + "\n"
        page = get_page(manager, f"{CUSTOMERS}{batch_id(upload(manager, CUSTOMERS, content))}/")
        assert preview_counts(page)["new"] == 1


def test_guests_and_blacklist_import_too(manager):
    guests = "/admin/guests/import/"
    content = "Name;Email;Phone\nPepe Ruiz;pepe@example.com;+34 600 111 222\n"
    batch = batch_id(upload(manager, guests, content))
    apply_import(manager, guests, batch)
    assert db.session.scalar(select(Guest.phone)) == "+34600111222"

    blacklist = "/admin/blacklist/import/"
    content = ("Teléfono;Motivo;Nota\n+34 600 111 222;Pedidos falsos;llamadas\n"
               "0034 611 222 333;fake_orders;\n")
    batch = batch_id(upload(manager, blacklist, content.encode("cp1252")))
    apply_import(manager, blacklist, batch)
    entries = db.session.scalars(select(BlacklistEntry).order_by(BlacklistEntry.phone)).all()
    assert [(e.phone, e.reason) for e in entries] == [
        ("+34600111222", BlacklistReason.FAKE_ORDERS),
        ("+34611222333", BlacklistReason.FAKE_ORDERS),
    ]


def test_duplicates_in_the_file_are_invalid(manager):
    content = "First name,Surname,Email\nAna,Ruiz,ana@example.com\nAna,R.,ANA@example.com\n"
    page = get_page(manager, f"{CUSTOMERS}{batch_id(upload(manager, CUSTOMERS, content))}/")
    assert preview_counts(page) == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    assert "already on line 2" in text(page)


def test_operators_cannot_import_and_do_not_see_the_button(login):
    operator = login(Role.OPERATOR)
    assert f'href="{CUSTOMERS}"' not in get_page(operator, "/admin/customers/")
    assert operator.get(CUSTOMERS).status_code == 403
    assert upload(operator, CUSTOMERS, "First name,Surname\nA,B\n").status_code == 403
    assert row_count(ImportBatch) == 0


def test_managers_see_the_import_button(manager):
    assert f'href="{CUSTOMERS}"' in get_page(manager, "/admin/customers/")
    assert manager.get("/admin/groups/import/").status_code == 404  # groups do not import


def test_confirm_needs_the_csrf_token(manager):
    batch = batch_id(upload(manager, CUSTOMERS, "First name,Surname\nA,B\n"))
    assert manager.post(f"{CUSTOMERS}{batch}/apply/").status_code == 400
    assert row_count(Customer) == 0


def test_a_batch_applies_once(manager):
    batch = batch_id(upload(manager, CUSTOMERS, "First name,Surname,Email\nA,B,a@example.com\n"))
    apply_import(manager, CUSTOMERS, batch)
    response = apply_import(manager, CUSTOMERS, batch)
    assert response.status_code == 302
    assert "already applied" in text(get_page(manager, response.headers["Location"]))
    assert row_count(Customer) == 1


def test_a_crash_mid_import_writes_nothing(manager, monkeypatch):
    content = "First name,Surname,Email\nAna,Ruiz,ana@example.com\nBerta,Gil,berta@example.com\n"
    batch = batch_id(upload(manager, CUSTOMERS, content))

    def crash(*args, **kwargs):
        raise RuntimeError("the server stopped here")

    # After the new customers are inserted, before the batch records its changes.
    monkeypatch.setattr(imports, "_count", crash)
    with pytest.raises(RuntimeError):
        apply_import(manager, CUSTOMERS, batch)
    db.session.rollback()
    assert row_count(Customer) == 0
    assert db.session.get(ImportBatch, batch).status == ImportStatus.PREVIEWED


def test_the_reasons_are_in_the_readers_language(manager, users, login):
    content = "First name,Surname,Email,Birthday\nAna,Ruiz,ana@example.com,31/02/1990\n"
    batch = batch_id(upload(manager, CUSTOMERS, content))
    assert "Not a date" in text(get_page(manager, f"{CUSTOMERS}{batch}/"))
    users[Role.MANAGER].language = "es"
    db.session.commit()
    page = text(get_page(manager, f"{CUSTOMERS}{batch}/"))
    assert "No es una fecha" in page and "Cumpleaños" in page
