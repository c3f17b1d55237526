"""Exports of any list, as CSV and Excel: what the list shows, streamed, safe to
open, with numbers as numbers and labels in the user's language."""
from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import openpyxl
import pytest
from flask.testing import FlaskClient

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.services import ledger
from admin_app.services.exports import csv_chunks, neutralise
from admin_app.views import VIEWS

from ..pages import csv_rows

CUSTOMERS = "/admin/customers/export/"


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def operator(login):
    return login(Role.OPERATOR)


@pytest.fixture
def lucia(make):
    return make.customer("Lucía", "Moreno", email="lucia@example.com", balance_minor=123_456,
                         sales_value_minor=5, loyalty_points=320, marketing_opt_in=True,
                         created_at=datetime(2026, 1, 15, 10, 30), birthday=date(1990, 5, 17))


def test_excel_keeps_numbers_as_numbers_and_texts_as_texts(operator, lucia):
    header, row = xlsx_rows(operator.get(CUSTOMERS + "xlsx/"))
    cells = dict(zip(header, row, strict=True))
    assert cells["Customer"] == "Lucía Moreno"
    assert cells["Balance"] == pytest.approx(1234.56) and isinstance(cells["Balance"], float)
    assert cells["Sales value"] == pytest.approx(0.05)
    assert cells["Loyalty points"] == 320
    assert cells["Date added"] == "2026-01-15 10:30:00"
    assert cells["Marketing opt-in"] == "Yes"
    assert cells["Currency"] == "EUR"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_a_spreadsheet_would_run_is_neutralised(operator, make, kind, prefix):
    make.customer(f"{prefix}HYPERLINK(\"http://evil.example\")", "X")
    response = operator.get(CUSTOMERS + f"{kind}/")
    rows = csv_rows(response) if kind == "csv" else xlsx_rows(response)
    name = rows[1][rows[0].index("Customer")]
    # The name's leading tab or return is trimmed on save; what remains must not run.
    assert name.startswith("'") or not name.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert "HYPERLINK" in name


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_export_is_what_the_list_shows_searched_filtered_and_sorted(operator, make, kind):
    gold = make.group("Gold")
    for name in ("Ana", "Berta", "Carla", "Dora"):
        make.customer(name, "Ruiz", group=gold if name != "Dora" else None)
    make.customer("Ana", "Otero", group=gold)
    url = CUSTOMERS + f"{kind}/"
    # Search "ruiz", group Gold, sorted by name descending (column 0 of the list).
    query = {"search": "ruiz", "flt0_group_equals": str(gold.id), "sort": "0", "desc": "1"}
    response = operator.get(url, query_string=query)
    rows = csv_rows(response) if kind == "csv" else xlsx_rows(response)
    assert [row[0] for row in rows[1:]] == ["Carla Ruiz", "Berta Ruiz", "Ana Ruiz"]


def test_the_header_row_follows_the_users_language(operator, users, lucia):
    users[Role.OPERATOR].language = "es"
    db.session.commit()
    header, row = xlsx_rows(operator.get(CUSTOMERS + "xlsx/"))
    assert header[:3] == ["Cliente", "Correo electrónico", "Teléfono"]
    assert header[-1] == "Moneda"
    # Values stay machine-readable in any language: ISO dates, decimal numbers.
    assert dict(zip(header, row, strict=True))["Fecha de alta"] == "2026-01-15 10:30:00"


def test_negative_amounts_stay_numbers(operator, make, lucia):
    wallet = make.wallet(lucia)
    ledger.add_balance(wallet, 1_000, actor=None, reason="Gift", idempotency_key="a")
    ledger.add_balance(wallet, -250, actor=None, reason="Fix", idempotency_key="b")
    db.session.commit()
    rows = xlsx_rows(operator.get("/admin/wallet-history/export/xlsx/"))
    amounts = sorted(row[rows[0].index("Amount")] for row in rows[1:])
    assert amounts == [pytest.approx(-2.5), pytest.approx(10.0)]
    text_rows = csv_rows(operator.get("/admin/wallet-history/export/csv/"))
    assert sorted(row[text_rows[0].index("Amount")] for row in text_rows[1:]) == ["-2.50", "10.00"]


def test_the_csv_is_streamed_in_chunks_not_built_whole(operator, lucia):
    response = operator.get(CUSTOMERS + "csv/", buffered=False)
    assert response.is_streamed
    assert response.headers["Content-Disposition"].startswith("attachment; filename=customers-")
    response.close()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("read_all", [True, False], ids=["read whole", "cut off"])
def test_an_export_gives_its_database_connection_back(app, operator, lucia, kind, read_all):
    # A connection the stream kept would sit "idle in transaction": on PostgreSQL
    # it blocks schema changes and, export after export, empties the pool. The
    # request runs in a thread of its own, as in a server: with its own app
    # context and session, not the test's.
    session_cookie = operator.get_cookie("session").value

    def export() -> int:
        client = FlaskClient(app, app.response_class)
        client.set_cookie("session", session_cookie)
        response = client.get(CUSTOMERS + f"{kind}/", buffered=False)
        chunks = iter(response.response)
        next(chunks)  # the stream has begun reading rows
        if read_all:
            for _chunk in chunks:
                pass
        response.close()
        return response.status_code

    db.session.rollback()  # the test's own session holds no connection
    pool = db.engine.pool
    in_use = pool.checkedout()
    with ThreadPoolExecutor(max_workers=1) as thread:
        assert thread.submit(export).result() == 200
    assert pool.checkedout() == in_use


def test_chunks_hold_a_batch_of_rows_each():
    rows = ([str(n)] for n in range(1200))
    chunks = list(csv_chunks(["Number"], rows, batch=500))
    assert chunks[0] == "\ufeffNumber\r\n"
    assert [chunk.count("\r\n") for chunk in chunks[1:]] == [500, 500, 200]


def test_plain_numbers_are_left_alone_and_formulas_are_not():
    assert neutralise("-42") == "-42" and neutralise("-0.05") == "-0.05"
    assert neutralise("-2+3") == "'-2+3"
    assert neutralise("+34 600 111 222") == "'+34 600 111 222"
    assert neutralise("Ana") == "Ana"


@pytest.mark.parametrize("view", VIEWS, ids=[view.view_url for view in VIEWS])
def test_every_list_offers_both_formats(admin_client, view):
    page = admin_client.get(f"/admin/{view.view_url}/").get_data(as_text=True)
    for kind in ("csv", "xlsx"):
        assert f"/admin/{view.view_url}/export/{kind}/" in page
        response = admin_client.get(f"/admin/{view.view_url}/export/{kind}/")
        assert response.status_code == 200, kind
        assert response.get_data(), kind


def test_an_unknown_format_is_not_found(operator):
    assert operator.get(CUSTOMERS + "pdf/").status_code == 404


def test_a_viewer_cannot_export_either_format(login, lucia):
    viewer = login(Role.VIEWER)
    for kind in ("csv", "xlsx"):
        assert viewer.get(CUSTOMERS + f"{kind}/").status_code == 403
