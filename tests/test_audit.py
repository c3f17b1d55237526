"""The audit trail: every change, sign-in, export, import, share link and refusal
is recorded once, in the same transaction, and can never be changed."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import delete, select, update

from admin_app.choices import AuditAction, Role
from admin_app.extensions import db
from admin_app.models import AdminUser, AuditEvent, Customer, LedgerRowImmutable

from .conftest import TEST_PASSWORD, admins_by_language
from .pages import csv_rows, get_page, hidden_value, table_rows, text


def events(action: str | None = None, object_type: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    db.session.expire_all()
    return list(db.session.scalars(query))


def test_create_update_delete_of_a_record_each_leave_one_event(login, users, make):
    manager = login(Role.MANAGER)
    response = manager.post_form("/admin/customers/new/", {
        "first_name": "Lucía", "surname": "Núñez", "email": "lucia@example.com",
        "language": "es", "channel": "in_store"})
    assert response.status_code == 302
    customer = db.session.scalar(select(Customer))
    [created] = events(AuditAction.CREATE, "Customer")
    assert created.object_id == str(customer.id)
    assert created.user_id == users[Role.MANAGER].id and created.ip == "127.0.0.1"
    assert created.changes["email"] == [None, "lucia@example.com"]

    manager.post_form(f"/admin/customers/edit/?id={customer.id}", {
        "first_name": "Lucía", "surname": "Núñez Gil", "email": "lucia@example.com",
        "language": "es", "channel": "in_store"})
    [updated] = events(AuditAction.UPDATE, "Customer")
    assert updated.changes == {"surname": ["Núñez", "Núñez Gil"]}

    manager.post_form("/admin/customers/delete/", {"id": str(customer.id)})
    [deleted] = events(AuditAction.DELETE, "Customer")
    assert deleted.changes["surname"] == ["Núñez Gil", None]


def test_a_ledger_movement_is_recorded_with_the_balance_it_moved(login, make):
    manager = login(Role.MANAGER)
    wallet = make.wallet(make.customer())
    url = f"/admin/wallets/add-balance/?id={wallet.id}"
    key = hidden_value(get_page(manager, url), "idempotency_key")
    manager.post_form(url, {"amount": "12.50", "reason": "Gift", "idempotency_key": key})
    [movement] = events(AuditAction.CREATE, "WalletTransaction")
    assert movement.changes["amount_minor"] == [None, 1250]
    [balance] = events(AuditAction.UPDATE, "Wallet")
    assert balance.changes["balance_minor"] == [0, 1250]


def test_sign_in_attempts_and_sign_out_are_recorded(client, users):
    admin = users[Role.ADMIN]
    client.post_form("/login", {"email": admin.email, "password": "wrong-password!"})
    client.post_form("/login", {"email": "nobody@example.com", "password": "wrong-password!"})
    client.post_form("/login", {"email": admin.email, "password": TEST_PASSWORD})
    client.user = admin
    client.post_form("/logout")
    failed = events(AuditAction.LOGIN_FAILED)
    assert [(e.user_id, e.user_email) for e in failed] == [
        (admin.id, admin.email), (None, "nobody@example.com")]
    assert [e.user_id for e in events(AuditAction.LOGIN)] == [admin.id]
    assert [e.user_id for e in events(AuditAction.LOGOUT)] == [admin.id]


def test_exports_share_links_imports_undos_and_refusals_are_recorded(login, make):
    manager = login(Role.MANAGER)
    wallet = make.wallet(make.customer())
    manager.get("/admin/customers/export/xlsx/?search=ana").get_data()
    manager.post_form("/admin/wallets/share/", {"id": str(wallet.id)})
    response = manager.post_form("/admin/guests/import/", {
        "file": (io.BytesIO(b"Name,Email\nPepe,pepe@example.com\n"), "guests.csv")},
        content_type="multipart/form-data")
    batch = response.headers["Location"].rstrip("/").split("/")[-1]
    manager.post_form(f"/admin/guests/import/{batch}/apply/")
    manager.post_form(f"/admin/guests/import/{batch}/undo/")
    login(Role.VIEWER).get("/admin/customers/new/")

    [export] = events(AuditAction.EXPORT)
    assert export.object_type == "Customer" and "xlsx" in export.summary
    assert "search=ana" in export.summary
    assert [e.object_id for e in events(AuditAction.SHARE)] == [str(wallet.id)]
    assert [e.object_id for e in events(AuditAction.IMPORT)] == [batch]
    assert [e.object_id for e in events(AuditAction.IMPORT_UNDO)] == [batch]
    # The guest the import created, and removed again, has its own two events.
    assert [e.action for e in events(object_type="Guest")] == [AuditAction.CREATE,
                                                               AuditAction.DELETE]
    [refused] = events(AuditAction.REFUSED)
    assert refused.summary == "GET /admin/customers/new/"


@pytest.mark.parametrize("language, one, two", [
    ("en", "csv file, 1 row: search=ana", "csv file, 2 rows: search=a"),
    ("es", "archivo csv, 1 fila: search=ana", "archivo csv, 2 filas: search=a"),
])
def test_an_export_reads_in_the_audit_log_in_the_readers_language(
        app, users, password_hash, make, language, one, two):
    make.customer("Ana", "Abad")
    make.customer("Eva", "Abad")
    client = admins_by_language(app, users, password_hash)[language]
    client.get("/admin/customers/export/csv/?search=ana").get_data()
    client.get("/admin/customers/export/csv/?search=a").get_data()
    client.get("/admin/customers/export/csv/?search=Jos%C3%A9+Garc%C3%ADa").get_data()
    rows = table_rows(get_page(client, "/admin/audit/"))
    summaries = [row["summary"] for row in rows if "search=" in row["summary"]]
    # The search as typed, not as the address encodes it.
    assert summaries == [summaries[0], two, one]
    assert summaries[0].endswith("search=José García")


@pytest.mark.parametrize("language, label", [("en", "Guest"), ("es", "Invitado")])
def test_an_order_whose_guest_was_deleted_names_the_field_in_the_readers_language(
        app, users, password_hash, login, make, language, label):
    guest = make.guest("Diego Gutiérrez")
    make.order(guest=guest)
    deleted = login(Role.MANAGER).post_form("/admin/guests/delete/",
                                            {"id": str(guest.id), "url": "/admin/guests/"})
    assert deleted.status_code == 302
    client = admins_by_language(app, users, password_hash)[language]
    changes = [row["changes"] for row in table_rows(get_page(client, "/admin/audit/"))]
    # The order's change when its buyer, a guest, was deleted; nowhere a field's
    # own name.
    assert f"{label}: Diego Gutiérrez ({'deleted' if language == 'en' else 'eliminado'}) → —" \
        in changes
    assert not any("guest_id" in change for change in changes)


def test_moving_customers_to_a_group_records_each_move(login, make):
    gold = make.group("Gold")
    customers = [make.customer() for _ in range(3)]
    operator = login(Role.OPERATOR)
    page_url = operator.post_form("/admin/customers/action/", {
        "action": "assign_group", "rowid": [str(c.id) for c in customers]}
    ).headers["Location"]
    operator.post_form(page_url, {"group": str(gold.id), "confirmed": "1"})
    moves = events(AuditAction.UPDATE, "Customer")
    assert sorted(int(e.object_id) for e in moves) == sorted(c.id for c in customers)
    assert {tuple(e.changes["group_id"]) for e in moves} == {(None, gold.id)}


def test_a_password_change_is_recorded_without_the_password(make, users):
    user = users[Role.VIEWER]
    user.set_password("another-long-password")
    db.session.commit()
    [event] = events(AuditAction.UPDATE, "AdminUser")
    assert event.changes == {"password": ["••••", "••••"]}
    assert "another-long-password" not in str(event.changes)


def test_audit_rows_cannot_be_changed_or_removed(login, make):
    make.customer()
    event = events()[0]
    event.summary = "tampered"
    with pytest.raises(LedgerRowImmutable):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(LedgerRowImmutable):
        db.session.execute(update(AuditEvent).values(summary="x"))
    with pytest.raises(LedgerRowImmutable):
        db.session.execute(delete(AuditEvent))
    db.session.rollback()
    admin = login(Role.ADMIN)
    assert admin.get(f"/admin/audit/edit/?id={event.id}").status_code == 403
    assert admin.post_form("/admin/audit/delete/", {"id": str(event.id)}).status_code == 403
    assert admin.get("/admin/audit/new/").status_code == 403


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR, Role.MANAGER])
def test_only_admins_see_the_audit_log(login, role):
    client = login(role)
    assert client.get("/admin/audit/").status_code == 403
    assert "/admin/audit/" not in get_page(client, "/admin/")


def test_the_audit_log_filters_by_user_object_type_action_and_date(login, users, make):
    make.customer()
    make.group("Gold")
    admin = login(Role.ADMIN)
    rows = table_rows(get_page(admin, "/admin/audit/", flt0_object_type_equals="CustomerGroup"))
    assert [row["object_type"] for row in rows] == ["Group"]
    rows = table_rows(get_page(admin, "/admin/audit/", flt0_action_is="login"))
    assert {row["user_email"] for row in rows} == {users[Role.ADMIN].email}
    rows = table_rows(get_page(admin, "/admin/audit/",
                               flt0_user_equals=str(users[Role.ADMIN].id)))
    assert rows and {row["user_email"] for row in rows} == {users[Role.ADMIN].email}
    assert table_rows(get_page(admin, "/admin/audit/",
                               flt0_date_between="2000-01-01 to 2000-01-31")) == []


def test_a_details_page_shows_the_records_history_to_admins(login, make):
    admin = login(Role.ADMIN)
    customer = make.customer("Ana", "Ruiz")
    customer.postcode = "28013"
    db.session.commit()
    page = get_page(admin, f"/admin/customers/details/?id={customer.id}")
    history = text(page.split('id="record-history"', 1)[1].split("</table>", 1)[0])
    assert "Changed" in history and "Postcode: — → 28013" in history
    assert "Created" in history
    operator_page = get_page(login(Role.OPERATOR), f"/admin/customers/details/?id={customer.id}")
    assert 'id="record-history"' not in operator_page


def test_deactivating_a_user_ends_their_session_and_is_recorded(login, users):
    viewer = login(Role.VIEWER)
    admin = login(Role.ADMIN)
    target = users[Role.VIEWER]
    response = admin.post_form(f"/admin/users/edit/?id={target.id}", {
        "email": target.email, "name": target.name, "role": "viewer", "language": "en"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AdminUser, target.id).active is False
    assert viewer.get("/admin/").status_code == 302  # back to the login page
    [event] = events(AuditAction.UPDATE, "AdminUser")
    assert event.changes == {"active": [True, False]}


@pytest.mark.parametrize("language, kind, summary, changes", [
    ("en", "Wallet movement", "GSGN-Z9CA +€1,234.50",
     ["Wallet ID: — → GSGN-Z9CA", "Amount: — → €1,234.50",
      "Balance after: — → €1,234.50", "Kind: — → Top-up",
      "Reason: — → Gift", "By: — → Admin", "Customer notified: — → No"]),
    ("es", "Movimiento de monedero", "GSGN-Z9CA +1234,50 €",
     ["ID del monedero: — → GSGN-Z9CA", "Importe: — → 1234,50 €",
      "Saldo resultante: — → 1234,50 €", "Tipo: — → Recarga",
      "Motivo: — → Gift", "Por: — → Admin", "Cliente notificado: — → No"]),
])
@pytest.mark.parametrize("export_type", ["csv", "xlsx"])
def test_the_audit_export_shows_values_as_the_details_page_does(
        login, users, make, export_type, language, kind, summary, changes):
    admin = login(Role.ADMIN)
    wallet = make.wallet(make.customer("Ana", "Ruiz"), wallet_code="GSGN-Z9CA")
    db.session.commit()
    url = f"/admin/wallets/add-balance/?id={wallet.id}"
    key = hidden_value(get_page(admin, url), "idempotency_key")
    admin.post_form(url, {"amount": "1234.50", "reason": "Gift", "idempotency_key": key})
    [movement] = events(AuditAction.CREATE, "WalletTransaction")
    users[Role.ADMIN].language = language
    db.session.commit()
    details = text(get_page(admin, f"/admin/audit/details/?id={movement.id}"))
    response = admin.get(f"/admin/audit/export/{export_type}/")
    rows = csv_rows(response) if export_type == "csv" else [
        ["" if cell is None else str(cell) for cell in row]
        for row in openpyxl.load_workbook(io.BytesIO(response.get_data())).active.iter_rows(
            values_only=True)]
    header, *found = rows
    # The movement's row: its summary names the wallet and the amount, as on screen.
    [row] = [r for r in found if re.sub(r"\s", " ", r[6]) == summary]
    assert row[4] == kind
    # (read with plain spaces, as the page's text is: Babel writes "1234,50\xa0€")
    shown = re.sub(r"\s", " ", row[7])
    # One line of text: the details page's words and values, in the reader's language.
    assert shown.split("; ")[:len(changes)] == changes, shown
    assert all(change in details for change in changes)
    when = re.search(r"(?:When|Cuándo): — → [\d/]+ [\d:]+(?: [AP]M)?", details.split(kind)[-1])
    assert shown.split("; ")[-1] == when.group(0)
    assert "{" not in shown and "_minor" not in shown and "created_at" not in shown
