"""The fast CSV export (tuples, one converter per column) writes exactly the
bytes the generic export (ORM objects, a type test per cell) writes."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest

from admin_app.extensions import db
from admin_app.services.exports import csv_chunks
from admin_app.services.fast_csv import as_is, csv_text, money_text, texts
from admin_app.services.money import major_units
from admin_app.views import fast_export

from ..conftest import admins_by_language
from ..pages import csv_rows

CUSTOMERS = "/admin/customers/export/csv/"
XLSX = "/admin/customers/export/xlsx/"


@pytest.fixture
def every_kind_of_value(make):
    gold = make.group("Oro ñandú")
    formula_group = make.group("@Gold")
    make.customer("Lucía", "Núñez-Ébano", email="lucia@example.com", phone="+34600111222",
                  postcode="28001", country="ES", birthday=date(1990, 5, 17),
                  card_number="=CARD1", group=gold, marketing_opt_in=True,
                  notes='Line one\r\nline "two",\twith a comma, a \\ backslash',
                  sales_value_minor=-123_456,
                  orders_count=3, loyalty_points=320, balance_minor=5,
                  created_at=datetime(2026, 1, 15, 10, 30, 5, 123_456))
    make.customer("=HYPERLINK(\"http://evil.example\")", "+Plus", email=None, phone=None,
                  postcode=None, country=None, birthday=None, card_number=None,
                  group=formula_group, marketing_opt_in=False, notes="-42",
                  sales_value_minor=0, orders_count=0, loyalty_points=0, balance_minor=7,
                  created_at=datetime(2025, 12, 31, 23, 59, 59))
    make.customer("Zoë", "O'Brien", email="zoe@example.com", group=None, notes="@mention",
                  postcode="-12.50", card_number="-4x", tax_id='Say "hi"',
                  sales_value_minor=99_999_999_999, balance_minor=0,
                  created_at=datetime(2024, 2, 29))
    # Numbers only to the eye: other scripts' digits, a line end after the digits.
    make.customer("Ray", "Digits", email="ray@example.com", postcode="-\u0661\u0662",
                  card_number="-1\n", notes="-7\r")


def both_paths(client, monkeypatch, **query) -> tuple[bytes, bytes]:
    taken = []
    real_plan = fast_export.plan

    def spying_plan(view, session):
        found = real_plan(view, session)
        taken.append(found is not None)
        return found

    real_lines = fast_export.line_texts
    lines = []

    def spying_lines(plan, query):
        found = real_lines(plan, query)
        lines.append(found is not None)
        return found

    monkeypatch.setattr(fast_export, "plan", spying_plan)
    monkeypatch.setattr(fast_export, "line_texts", spying_lines)
    fast = client.get(CUSTOMERS, query_string=query)
    assert fast.status_code == 200
    fast_bytes = fast.get_data()
    monkeypatch.setattr(fast_export, "plan", lambda view, session: None)
    generic = client.get(CUSTOMERS, query_string=query)
    assert generic.status_code == 200
    assert taken == [True], "the customer list's CSV takes the fast path"
    assert lines == [True], "its lines are written by the database"
    return fast_bytes, generic.get_data()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_fast_csv_is_byte_for_byte_the_generic_one(app, users, password_hash, monkeypatch,
                                                       every_kind_of_value, language):
    client = admins_by_language(app, users, password_hash)[language]
    fast, generic = both_paths(client, monkeypatch)
    assert fast == generic
    text = fast.decode("utf-8")
    assert text.startswith("\ufeff")
    # What the reader depends on, in their language.
    words = {"en": ("First name", "Yes", "No"), "es": ("Nombre", "Sí", "No")}[language]
    assert text[1:].startswith(words[0] + ",")
    assert f",{words[1]}," in text and f",{words[2]}," in text
    assert ",-1234.56," in text and ",0.05," in text and ",999999999.99," in text
    assert "'=HYPERLINK" in text and "'@Gold" in text and ",-42," in text
    assert ",-12.50," in text and ",'-4x," in text
    assert "2026-01-15 10:30:05" in text and "1990-05-17" in text


def test_a_filtered_searched_sorted_fast_export_keeps_the_list_s_choice(
        operator, make, monkeypatch):
    gold = make.group("Gold")
    for name in ("Ana", "Berta", "Carla", "Dora"):
        make.customer(name, "Ruiz", group=gold if name != "Dora" else None)
    make.customer("Ana", "Otero", group=gold)
    query = {"search": "ruiz", "flt0_group_equals": str(gold.id), "sort": "0", "desc": "1"}
    fast, generic = both_paths(operator, monkeypatch, **query)
    assert fast == generic
    rows = csv_rows(operator.get(CUSTOMERS, query_string=query))
    assert [row[0] for row in rows[1:]] == ["Carla", "Berta", "Ana"]


def test_a_merged_away_customer_stays_out_of_the_fast_export(operator, make):
    kept = make.customer("Kept", "One")
    make.customer("Gone", "Two", merged_into_id=kept.id, merged_at=datetime(2026, 1, 1))
    db.session.commit()
    rows = csv_rows(operator.get(CUSTOMERS))
    assert [row[0] for row in rows[1:]] == ["Kept"]


@pytest.mark.parametrize("amount", [0, 1, 5, 10, 99, 100, 101, 123_456, 10**15 + 7])
def test_money_without_decimal_objects_reads_as_the_decimal_did(amount):
    for signed in (amount, -amount):
        assert money_text(signed) == str(major_units(signed))


def test_the_fast_writer_writes_what_the_generic_writer_writes():
    header = ["=Name", "Count"]
    rows = [("=1+2", 3), ("plain", None), (None, 0)]
    fast = "".join(csv_text(header, [rows[:1], rows[1:]], [texts, as_is], chunk_chars=1))
    assert fast == "".join(csv_chunks(header, [list(row) for row in rows], batch=1))


def sheet_xml(response) -> bytes:
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as workbook:
        return workbook.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_fast_xlsx_has_the_generic_one_s_cells(app, users, password_hash, monkeypatch,
                                                   every_kind_of_value, language):
    client = admins_by_language(app, users, password_hash)[language]
    query = {"sort": "0", "desc": "1"}
    fast = sheet_xml(client.get(XLSX, query_string=query))
    monkeypatch.setattr(fast_export, "plan", lambda view, session: None)
    generic = sheet_xml(client.get(XLSX, query_string=query))
    assert fast == generic
    # Texts as typed (an xlsx text never runs), money a number in a money format.
    assert b"=HYPERLINK" in fast and b"'=HYPERLINK" not in fast
    assert b"<v>-1234.56</v>" in fast
