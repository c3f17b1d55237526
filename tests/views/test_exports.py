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

from ..pages import csv_rows, flashes

CUSTOMERS = "/admin/customers/export/"


def xlsx_sheet(response):
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(response.get_data())).active


def xlsx_rows(response) -> list[list]:
    return [list(row) for row in xlsx_sheet(response).iter_rows(values_only=True)]


@pytest.fixture
def lucia(make):
    return make.customer("Lucía", "Moreno", email="lucia@example.com", balance_minor=123_456,
                         sales_value_minor=5, loyalty_points=320, marketing_opt_in=True,
                         created_at=datetime(2026, 1, 15, 10, 30), birthday=date(1990, 5, 17))


def test_excel_keeps_numbers_as_numbers_and_texts_as_texts(operator, lucia):
    header, row = xlsx_rows(operator.get(CUSTOMERS + "xlsx/"))
    cells = dict(zip(header, row, strict=True))
    assert (cells["First name"], cells["Surname"]) == ("Lucía", "Moreno")
    assert cells["Balance"] == pytest.approx(1234.56) and isinstance(cells["Balance"], float)
    assert cells["Sales value"] == pytest.approx(0.05)
    assert cells["Loyalty points"] == 320
    assert cells["Date added"] == datetime(2026, 1, 15, 10, 30)
    assert cells["Birthday"] == datetime(1990, 5, 17)
    assert cells["Marketing opt-in"] == "Yes"
    assert cells["Currency"] == "EUR"


def test_excel_opens_ready_to_read_formatted_frozen_filtered_and_sized(operator, lucia):
    sheet = xlsx_sheet(operator.get(CUSTOMERS + "xlsx/"))
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    assert row["Birthday"].is_date and row["Birthday"].number_format == "yyyy-mm-dd"
    assert row["Date added"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert row["Balance"].data_type == "n" and row["Balance"].number_format == "#,##0.00"
    assert row["Loyalty points"].data_type == "n"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(2, len(header)).coordinate}"
    widths = {name: sheet.column_dimensions[cell.column_letter].width
              for name, cell in row.items()}
    assert widths["Email"] >= len("lucia@example.com") and widths["Currency"] < 20


def test_csv_keeps_days_and_times_readable_as_text(operator, lucia):
    header, row = csv_rows(operator.get(CUSTOMERS + "csv/"))[:2]
    cells = dict(zip(header, row, strict=True))
    assert cells["Birthday"] == "1990-05-17" and cells["Date added"] == "2026-01-15 10:30:00"


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"])
def test_a_text_a_spreadsheet_would_run_is_neutralised_in_csv(operator, make, prefix):
    make.customer(f"{prefix}HYPERLINK(\"http://evil.example\")", "X")
    rows = csv_rows(operator.get(CUSTOMERS + "csv/"))
    name = rows[1][rows[0].index("First name")]
    # The name's leading tab or return is trimmed on save; what remains must not run.
    assert name.startswith("'") or not name.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert "HYPERLINK" in name


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "＝"])
def test_excel_keeps_a_formula_like_text_as_typed_in_a_string_cell(operator, make, prefix):
    typed = f"{prefix}HYPERLINK(\"http://evil.example\")"
    make.customer(typed, "X")
    sheet = xlsx_sheet(operator.get(CUSTOMERS + "xlsx/"))
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(2, header.index("First name") + 1)
    assert cell.data_type == "s" and cell.value == typed  # a string: shown, never run


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
    assert [row[0] for row in rows[1:]] == ["Carla", "Berta", "Ana"]


def test_the_header_row_follows_the_users_language(operator, users, lucia):
    users[Role.OPERATOR].language = "es"
    db.session.commit()
    header, row = xlsx_rows(operator.get(CUSTOMERS + "xlsx/"))
    assert header[:3] == ["Nombre", "Apellidos", "Correo electrónico"]
    assert header[-1] == "Moneda"
    # Values stay real dates and numbers in any language.
    assert dict(zip(header, row, strict=True))["Fecha de alta"] == datetime(2026, 1, 15, 10, 30)


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
    assert neutralise("＝1+2") == "'＝1+2"


@pytest.mark.parametrize("view", VIEWS, ids=[view.view_url for view in VIEWS])
def test_every_list_offers_both_formats(admin_client, view):
    page = admin_client.get(f"/admin/{view.view_url}/").get_data(as_text=True)
    for kind in ("csv", "xlsx"):
        assert f"/admin/{view.view_url}/export/{kind}/" in page
        response = admin_client.get(f"/admin/{view.view_url}/export/{kind}/")
        assert response.status_code == 200, kind
        assert response.get_data(), kind


@pytest.mark.parametrize("view", VIEWS, ids=[view.view_url for view in VIEWS])
def test_no_list_exports_a_column_twice(admin_client, view):
    header = csv_rows(admin_client.get(f"/admin/{view.view_url}/export/csv/"))[0]
    assert len(header) == len(set(header)), header


def test_a_list_that_exports_its_currency_has_it_once_beside_its_amounts(admin_client, make):
    make.invoice(make.customer(account_limit_minor=100_000), amount_minor=5_000)
    header, row = csv_rows(admin_client.get("/admin/invoices/export/csv/"))
    cells = dict(zip(header, row, strict=True))
    assert header.count("Currency") == 1
    assert (cells["Amount"], cells["Currency"]) == ("50.00", "EUR")


def test_an_unknown_format_is_not_found(operator):
    assert operator.get(CUSTOMERS + "pdf/").status_code == 404


def test_a_viewer_cannot_export_either_format(login, lucia):
    viewer = login(Role.VIEWER)
    for kind in ("csv", "xlsx"):
        assert viewer.get(CUSTOMERS + f"{kind}/").status_code == 403


@pytest.mark.parametrize("unreadable", [{"flt0_nope": "1"}, {"flt0_group_equals": "abc"}])
def test_an_export_whose_filter_cannot_be_read_exports_nothing(operator, make, unreadable):
    make.customer("Lucía", "Moreno")
    make.customer("Bruno", "Otero")
    response = operator.get(CUSTOMERS + "csv/", query_string=unreadable)
    assert response.status_code == 302
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    page = operator.get(response.headers["Location"]).get_data(as_text=True)
    assert ("danger", "Nothing was exported: a filter or the search of this list could not be "
            "read, so the file would have held every record.") in flashes(page)


def test_the_csv_names_its_character_set_once(operator, lucia):
    response = operator.get(CUSTOMERS + "csv/")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
