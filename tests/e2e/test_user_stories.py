"""Browser tests: what a person does in Backoffice, one test per story, in a real
Chromium against the app served on 127.0.0.1 (same database as the suite).

Run them:   .venv/bin/python -m pytest tests/e2e
            (add TEST_DATABASE_URL=postgresql://... for PostgreSQL)

They need Debian's Chromium at /usr/bin/chromium (apt-get install chromium) and
are skipped, with that reason, without it. Each test leaves a screenshot
in tests/e2e/screenshots/<test>.png, also when it fails.

Data is made with the suite's factories and committed before the browser looks;
pages are reached by URL and by visible labels, never through the menu.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer, Wallet
from admin_app.services import invoices, ledger

from .conftest import expect, fill_login_form, open_in

DATA = Path(__file__).resolve().parent.parent / "data"  # the suite's sample CSV files
ROWS = "table.model-list tbody tr"


def flash(page):
    """The page's flashed message(s) (not the notices a page always shows)."""
    return page.locator(".alert-dismissable")


def test_log_in_and_land_where_you_were_going(page, users):
    page.goto("/admin/customers/")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    fill_login_form(page, users[Role.OPERATOR].email, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Invalid email or password.")

    fill_login_form(page, users[Role.OPERATOR].email)
    expect(page).to_have_url(re.compile(r"/admin/customers/$"))
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.get_by_role("link", name="Operator", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_switch_to_spanish_and_back(logged_in):
    page = logged_in(Role.OPERATOR)
    page.goto("/admin/customers/?search=ana")

    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Clientes")).to_be_visible()
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/customers/\?search=ana$"))  # same page

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("button", name="Español")).to_be_visible()


def test_search_a_customer(logged_in, make):
    make.customer("Lucía", "Moreno", email="lucia@example.com")
    make.customer("Bruno", "Otero", email="bruno@example.com")
    page = logged_in(Role.VIEWER)
    page.goto("/admin/customers/")
    expect(page.locator(ROWS)).to_have_count(2)

    page.get_by_role("search").get_by_role("textbox").fill("Lucía Moreno")
    page.get_by_role("search").get_by_role("button", name="Search").click()

    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS)).to_contain_text("lucia@example.com")
    expect(page.get_by_role("cell", name="Lucía Moreno")).to_be_visible()
    expect(page.get_by_role("search").get_by_role("textbox")).to_have_value("Lucía Moreno")


def _add_filter(page, name: str):
    """Add Filter > ``name``: the new filter's row."""
    page.get_by_role("button", name="Add Filter").click()
    page.locator(".field-filters").get_by_role("button", name=name, exact=True).click()
    return page.locator("table.filters tr").last


def test_combine_a_date_range_and_outlets_on_wallets(logged_in, make):
    madrid, sevilla, online = make.outlet("Madrid"), make.outlet("Sevilla"), make.outlet("Online")
    shown = [
        make.wallet(outlet=madrid, created_at=datetime(2026, 1, 1, 0, 0)),
        make.wallet(outlet=sevilla, created_at=datetime(2026, 1, 31, 23, 30)),
    ]
    hidden = [
        make.wallet(outlet=online, created_at=datetime(2026, 1, 15)),        # other outlet
        make.wallet(outlet=madrid, created_at=datetime(2025, 12, 31, 23, 59)),  # before
        make.wallet(outlet=sevilla, created_at=datetime(2026, 2, 1, 0, 0)),  # after
        make.wallet(created_at=datetime(2026, 1, 15)),                       # no outlet
    ]
    page = logged_in(Role.VIEWER)
    page.goto("/admin/wallets/")
    expect(page.locator(ROWS)).to_have_count(len(shown) + len(hidden))

    _add_filter(page, "Created").locator("input.filter-val").fill("2026-01-01")
    until = _add_filter(page, "Created")
    until.locator(".select2-choice").click()             # the operation: from -> to
    page.get_by_role("option", name="to", exact=True).click()
    until.locator("input.filter-val").fill("2026-01-31")
    outlets = _add_filter(page, "Outlet").locator(".select2-container-multi input")
    for name in ("Madrid", "Sevilla"):
        outlets.fill(name[:3])
        page.get_by_role("option", name=name).click()
    page.get_by_role("button", name="Apply").click()

    expect(page).to_have_url(re.compile(r"created_from=2026-01-01.*created_to=2026-01-31"))
    expect(page.locator(ROWS)).to_have_count(len(shown))
    for wallet in shown:
        expect(page.get_by_role("cell", name=wallet.wallet_code)).to_be_visible()
    for wallet in hidden:
        expect(page.get_by_role("cell", name=wallet.wallet_code)).to_have_count(0)
    # The filters stay on the page, as chosen.
    expect(page.locator("table.filters")).to_contain_text("Madrid")
    expect(page.locator("table.filters")).to_contain_text("Sevilla")


def test_add_balance_shows_the_new_balance_and_a_history_row(logged_in, make, users):
    wallet = make.wallet(make.customer("Lucía", "Moreno"))
    ledger.add_balance(wallet, 1_000, actor=None, reason="Opening credit", idempotency_key="o")
    db.session.commit()
    page = logged_in(Role.MANAGER)
    page.goto(f"/admin/wallets/details/?id={wallet.id}")
    expect(page.get_by_text("Available balance").locator("+ div")).to_have_text("€10.00")

    page.get_by_role("link", name="Add balance").click()
    expect(page.get_by_text(f"Wallet {wallet.wallet_code} of Lucía Moreno")).to_be_visible()
    page.get_by_label("Amount").fill("25.50")
    page.get_by_label("Reason").fill("Goodwill gesture")
    page.get_by_role("button", name="Save").click()

    expect(flash(page)).to_contain_text(
        f"Added €25.50 to wallet {wallet.wallet_code}. Available balance: €35.50.")
    expect(page).to_have_url(re.compile(rf"/admin/wallets/details/\?id={wallet.id}$"))
    expect(page.get_by_text("Available balance").locator("+ div")).to_have_text("€35.50")
    row = page.get_by_role("row").filter(has_text="Goodwill gesture")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("€25.50")                       # the amount
    expect(row.get_by_role("cell").last).to_have_text("€35.50")  # the balance after
    expect(row).to_contain_text(users[Role.MANAGER].name)        # by whom


def test_download_an_invoice_pdf(logged_in, make, users, tmp_path):
    buyer = make.customer("Lucía", "Núñez", account_limit_minor=500_000)
    invoice = invoices.create_on_account_sale(
        buyer, 123_450, actor=users[Role.MANAGER], issued_on=date(2026, 11, 22),
        due_on=date(2026, 12, 22))
    db.session.commit()
    page = logged_in(Role.VIEWER)
    page.goto("/admin/invoices/")
    row = page.get_by_role("row").filter(has_text=str(invoice))
    expect(row).to_contain_text("Lucía Núñez")

    # The link opens the PDF in a new tab, where Chromium shows it.
    with page.context.expect_page() as new_tab:
        row.get_by_role("link", name="Invoice PDF").click()
    tab = new_tab.value
    expect(tab).to_have_url(re.compile(rf"/admin/invoices/{invoice.id}/pdf$"))
    tab.wait_for_load_state()
    assert tab.evaluate("document.contentType") == "application/pdf"

    # Saved as the tab's own request would fetch it: the browser's cookies, its session.
    response = tab.request.get(tab.url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert f"filename=invoice-{invoice}.pdf" in response.headers["content-disposition"]
    saved = tmp_path / "invoice.pdf"
    saved.write_bytes(response.body())
    assert saved.read_bytes().startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(saved).pages)
    assert str(invoice) in text and "Lucía Núñez" in text and "€1,234.50" in text


def test_import_a_csv_through_the_preview(logged_in, make):
    for name in ("Mayoristas", "Empleados", "VIP"):
        make.group(name)
    page = logged_in(Role.MANAGER)
    page.goto("/admin/customers/")
    page.get_by_role("link", name="Import", exact=True).click()

    page.get_by_label("CSV file").set_input_files(DATA / "clientes_excel_es.csv")
    page.get_by_role("button", name="Preview").click()

    counts = page.locator("#import-counts")
    expect(counts.locator(".card", has_text="New")).to_contain_text("30")
    expect(counts.locator(".card", has_text="Invalid")).to_contain_text("1")
    expect(page.get_by_role("table").filter(has_text="Why")).to_contain_text("Not a date")
    assert db.session.scalar(select(db.func.count(Customer.id))) == 0  # a preview writes nothing

    asked = []

    def confirm(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.wait_for_load_state()  # the question is asked by the page's script, once it has run
    page.get_by_role("button", name="Import 30 records").click()
    expect(flash(page)).to_contain_text(
        "Imported: 30 new records, 0 updated, 0 unchanged; 1 invalid row skipped.")
    assert asked == ["Import 30 records?"]
    expect(page.get_by_role("button", name="Undo this import")).to_be_visible()

    page.goto("/admin/customers/?search=cliente0@ejemplo.es")
    expect(page.get_by_role("cell", name="Martín Taylor")).to_be_visible()
    expect(page.get_by_role("cell", name="Mayoristas")).to_be_visible()


def test_an_applied_import_keeps_its_rejected_rows_to_fix_in_spanish(logged_in, make):
    for name in ("Mayoristas", "Empleados", "VIP"):
        make.group(name)
    page = logged_in(Role.MANAGER, "es")
    open_in(page, "/admin/customers/", "es")
    page.get_by_role("link", name="Importar", exact=True).click()
    page.get_by_label("Archivo CSV").set_input_files(DATA / "clientes_excel_es.csv")
    page.get_by_role("button", name="Vista previa").click()

    # The text as it will be stored, read before confirming.
    expect(page.locator("#import-encoding")).to_contain_text("Windows-1252")
    expect(page.locator("#import-sample")).to_contain_text("Martín")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Importar 30 registros").click()
    expect(flash(page)).to_contain_text("1 fila no válida omitida")

    problems = page.locator("#import-problems")
    expect(problems).to_contain_text("Cumpleaños")
    expect(problems).to_contain_text("No es una fecha")
    with page.expect_download() as download_info:
        page.locator("#import-rejected-download").click()
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert header[0] == "Nombre" and header[-1] == "Motivo por el que no se importó"
    assert len(rows) == 1 and "No es una fecha" in rows[0][-1]


def test_export_the_searched_customers_as_csv(logged_in, make):
    make.customer("Lucía", "Moreno", email="lucia@example.com", postcode="28013")
    make.customer("Bruno", "Otero", email="bruno@example.com")
    page = logged_in(Role.OPERATOR)
    page.goto("/admin/customers/")
    page.get_by_role("search").get_by_role("textbox").fill("moreno")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    expect(page.locator(ROWS)).to_have_count(1)
    page.wait_for_load_state()  # the dropdowns work once the page's scripts have run

    page.get_by_role("button", name="Export").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert re.fullmatch(r"customers-.*\.csv", download.suggested_filename)

    content = download.path().read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(content)))
    assert header[:3] == ["First name", "Surname", "Email"]
    assert [dict(zip(header, row, strict=True))["Surname"] for row in rows] == ["Moreno"]
    assert dict(zip(header, rows[0], strict=True))["Email"] == "lucia@example.com"


def test_a_viewer_cannot_add_balance(logged_in, make):
    wallet = make.wallet(make.customer("Lucía", "Moreno"))
    ledger.add_balance(wallet, 1_000, actor=None, reason="Opening credit", idempotency_key="o")
    db.session.commit()
    page = logged_in(Role.VIEWER)
    details = f"/admin/wallets/details/?id={wallet.id}"
    page.goto(details)
    expect(page.get_by_text("Available balance").locator("+ div")).to_have_text("€10.00")
    expect(page.get_by_role("link", name="Add balance")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.input_value()

    # Typing the page's address: refused, with a page that says why.
    add_balance = f"/admin/wallets/add-balance/?id={wallet.id}"
    response = page.goto(add_balance)
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Your role does not allow this.")).to_be_visible()

    # A forged form post, with the viewer's session and a valid CSRF token: refused too.
    forged = page.request.post(add_balance, form={
        "csrf_token": token, "amount": "100.00", "reason": "forged", "idempotency_key": "f"})
    assert forged.status == 403

    page.goto(details)
    expect(page.get_by_text("Available balance").locator("+ div")).to_have_text("€10.00")
    expect(page.get_by_role("row").filter(has_text="forged")).to_have_count(0)
    db.session.expire_all()
    assert db.session.get(Wallet, wallet.id).balance_minor == 1_000


def test_the_home_page_shows_the_figures_and_charts_in_each_language(logged_in, make):
    make.customer("Lucía", "Moreno", loyalty_points=1500)
    page = logged_in(Role.VIEWER)
    page.goto("/admin/")
    figures = page.locator("#key-figures")
    expect(figures.locator(".key-figure").first).to_contain_text("Customers")
    expect(figures).to_contain_text("1,500")
    expect(page.locator("#chart-new-customers svg rect.chart-bar")).to_have_count(12)
    expect(page.locator("#chart-movements svg")).to_be_visible()
    page.get_by_role("button", name="Español").click()
    expect(page.locator("#key-figures")).to_contain_text("Clientes")
    expect(page.locator("#key-figures")).to_contain_text("1500")  # no separator under 10 000


def test_deleting_asks_with_the_number_of_records(logged_in, make):
    for surname in ("Uno", "Dos", "Tres"):
        make.customer("Borrar", surname)
    make.customer("Quedar", "Cuatro")
    page = logged_in(Role.MANAGER)
    page.goto("/admin/customers/?search=borrar")
    expect(page.locator(ROWS)).to_have_count(3)
    page.locator("input.action-rowtoggle").check()
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss() if len(questions) == 1 else dialog.accept()

    page.on("dialog", answer)
    page.get_by_role("button", name="With selected").click()
    page.locator(".dropdown-item", has_text="Delete").click()
    expect(page.locator(ROWS)).to_have_count(3)  # dismissed: nothing deleted
    assert questions == ["Delete 3 customers? This cannot be undone."]

    page.get_by_role("button", name="With selected").click()
    page.locator(".dropdown-item", has_text="Delete").click()
    expect(flash(page).first).to_contain_text("Deleted 3 customers.")
    expect(page.get_by_text("Nothing matches this search and these filters.")).to_be_visible()
    assert db.session.scalars(select(Customer.surname)).all() == ["Cuatro"]
