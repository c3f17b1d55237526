"""Dates typed key by key, as an operator types them, into every kind of date
field and filter, in English and in Spanish: as ISO (2026-12-31) and in the
language's own order (12/31/2026, 31/12/2026).

Each test checks what was stored or filtered, that the calendar opens on the
current month and then on the typed one, that Escape closes it and that, open,
it covers no other field.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer, WalletTransaction

from .conftest import expect, open_in

ROWS = "table.model-list tbody tr"
CALENDAR = ".daterangepicker:visible"

WORDS = {
    "en": {"Add Filter": "Add Filter", "Apply": "Apply", "Save": "Save",
           "Created": "Created", "Birthday": "Birthday", "to": "to"},
    "es": {"Add Filter": "Añadir filtro", "Apply": "Aplicar", "Save": "Guardar",
           "Created": "Creado", "Birthday": "Cumpleaños", "to": "hasta"},
}


def _type(page, field, text: str) -> None:
    field.click()
    page.keyboard.type(text)


def _calendar_month(page) -> tuple[int, int]:
    """(year, month) the open calendar shows (its first month for a range)."""
    calendar = page.locator(f"{CALENDAR} .calendar:visible").first
    month = int(calendar.locator("select.monthselect").input_value()) + 1
    return int(calendar.locator("select.yearselect").input_value()), month


def _expect_calendar_on(page, year: int, month: int) -> None:
    expect(page.locator(CALENDAR)).to_have_count(1)
    assert _calendar_month(page) == (year, month)


def _reachable(field) -> bool:
    """Whether a click at the field's centre lands on it (nothing covers it)."""
    return field.evaluate("""element => {
        element.scrollIntoView({block: "center"});
        const box = element.getBoundingClientRect();
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return hit === element || element.contains(hit);
    }""")


def _escape_closes_the_calendar(page, field, typed: str) -> None:
    page.keyboard.press("Escape")
    expect(page.locator(CALENDAR)).to_have_count(0)
    expect(field).to_have_value(typed)  # closing keeps what was typed


def _add_filter(page, words, name: str):
    """Add Filter > ``name``: the new filter's row."""
    page.get_by_role("button", name=words["Add Filter"]).click()
    page.locator(".field-filters").get_by_role("button", name=name, exact=True).click()
    return page.locator("table.filters tr:has(.remove-filter)").last


def _filter_values(page) -> dict[str, list[str]]:
    """The list's filters from its URL: {name without flt<n>_: [values]}."""
    query = parse_qs(urlsplit(page.url).query)
    return {re.sub(r"^flt\d+_", "", key): value for key, value in query.items()}


@pytest.mark.parametrize(("language", "typed"), [
    ("en", "12/31/2026"), ("en", "2026-12-31"), ("es", "31/12/2026"), ("es", "2026-12-31"),
], ids=["en-order", "en-iso", "es-order", "es-iso"])
def test_type_the_credit_expiry_when_adding_balance(logged_in, make, language, typed):
    wallet = make.wallet(make.customer("Lucía", "Moreno"))
    db.session.commit()
    page = logged_in(Role.MANAGER, language)
    open_in(page, f"/admin/wallets/add-balance/?id={wallet.id}", language)
    _type(page, page.locator("#amount"), "25")
    _type(page, page.locator("#reason"), "Goodwill")

    expiry = page.locator("#expires_at")
    expiry.click()
    today = date.today()
    _expect_calendar_on(page, today.year, today.month)
    page.keyboard.type(typed)
    expect(expiry).to_have_value(typed)
    _expect_calendar_on(page, 2026, 12)
    assert _reachable(page.locator("#notify")), "the calendar covers the next field"
    _escape_closes_the_calendar(page, expiry, typed)

    page.get_by_role("button", name=WORDS[language]["Save"], exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    db.session.expire_all()
    credit = db.session.scalars(
        select(WalletTransaction).where(WalletTransaction.wallet_id == wallet.id)).one()
    assert (credit.amount_minor, credit.credit_expires_on) == (2500, date(2026, 12, 31))


@pytest.mark.parametrize(("language", "typed"), [
    ("en", "05/04/1990"), ("es", "04/05/1990"), ("es", "1990-05-04"),
], ids=["en-order", "es-order", "es-iso"])
def test_type_a_new_customers_birthday(logged_in, language, typed):
    """4 May 1990: the same keys mean another day in each language."""
    page = logged_in(Role.OPERATOR, language)
    open_in(page, "/admin/customers/new/", language)
    _type(page, page.locator("#first_name"), "Lucía")
    _type(page, page.locator("#surname"), "Moreno")

    birthday = page.locator("#birthday")
    _type(page, birthday, typed)
    expect(birthday).to_have_value(typed)
    _expect_calendar_on(page, 1990, 5)
    assert _reachable(page.locator("#card_number")), "the calendar covers the next field"
    _escape_closes_the_calendar(page, birthday, typed)

    page.get_by_role("button", name=WORDS[language]["Save"], exact=True).click()
    expect(page.locator(".alert-success")).to_be_visible()
    db.session.expire_all()
    customer = db.session.scalars(select(Customer).where(Customer.surname == "Moreno")).one()
    assert customer.birthday == date(1990, 5, 4)


@pytest.mark.parametrize(("language", "first_day"), [("en", "01/02/2026"), ("es", "02/01/2026")],
                         ids=["en", "es"])
def test_type_days_into_the_wallets_created_filters(logged_in, make, language, first_day):
    """From 2 January (typed in the language's order) to 31 January (typed as ISO)."""
    words = WORDS[language]
    shown = [make.wallet(created_at=datetime(2026, 1, 2, 0, 0)),
             make.wallet(created_at=datetime(2026, 1, 31, 23, 30))]
    hidden = [make.wallet(created_at=datetime(2026, 1, 1, 23, 59)),
              make.wallet(created_at=datetime(2026, 2, 1, 0, 0))]
    page = logged_in(Role.VIEWER, language)
    open_in(page, "/admin/wallets/", language)
    expect(page.locator(ROWS)).to_have_count(len(shown) + len(hidden))

    since = _add_filter(page, words, words["Created"]).locator("input.filter-val")
    _type(page, since, first_day)
    expect(since).to_have_value(first_day)
    _expect_calendar_on(page, 2026, 1)
    _escape_closes_the_calendar(page, since, first_day)

    until_row = _add_filter(page, words, words["Created"])
    until_row.locator(".select2-choice").click()  # the operation: from -> to
    page.get_by_role("option", name=words["to"], exact=True).click()
    until = until_row.locator("input.filter-val")
    _type(page, until, "2026-01-31")
    _expect_calendar_on(page, 2026, 1)
    _escape_closes_the_calendar(page, until, "2026-01-31")

    since.click()  # open again: the next filter stays in reach
    _expect_calendar_on(page, 2026, 1)
    assert _reachable(until), "the calendar covers the next filter"
    page.keyboard.press("Enter")

    expect(page.locator(ROWS)).to_have_count(len(shown))
    assert _filter_values(page) == {"created_from": ["2026-01-02"], "created_to": ["2026-01-31"]}
    for wallet in shown:
        expect(page.get_by_role("cell", name=wallet.wallet_code)).to_be_visible()


@pytest.mark.parametrize(("language", "typed"), [
    ("en", "12/01/1990 to 12/31/1990"), ("es", "01/12/1990 - 31/12/1990"),
    ("es", "1990-12-01 a 1990-12-31"),
], ids=["en-order", "es-order", "es-iso"])
def test_type_a_birthday_range_into_the_customers_filter(logged_in, make, language, typed):
    words = WORDS[language]
    for born in (date(1990, 12, 1), date(1990, 12, 31)):
        make.customer("Shown", birthday=born)
    for born in (date(1990, 11, 30), date(1991, 1, 1)):
        make.customer("Hidden", birthday=born)
    page = logged_in(Role.VIEWER, language)
    open_in(page, "/admin/customers/", language)

    days = _add_filter(page, words, words["Birthday"]).locator("input.filter-val")
    _type(page, days, typed)
    expect(days).to_have_value(typed)
    _expect_calendar_on(page, 1990, 12)
    apply = page.locator("#filter_form button[type=submit]", has_text=words["Apply"])
    assert _reachable(apply), "the calendar covers the filters' Apply button"
    _escape_closes_the_calendar(page, days, typed)
    apply.click()

    expect(page.locator(ROWS)).to_have_count(2)
    expect(page.locator(ROWS).filter(has_text="Hidden")).to_have_count(0)
    assert _filter_values(page) == {"birthday_between": ["1990-12-01 – 1990-12-31"]}


@pytest.mark.parametrize(("language", "typed"), [("en", "03/01 - 03/05"), ("es", "01/03 - 05/03")],
                         ids=["en-order", "es-order"])
def test_a_birthday_any_year_range_keeps_its_days_when_the_language_changes(
        logged_in, make, language, typed):
    """Typed in one language's order, then the language switched: the same
    customers (1 to 5 March), not the other order's days (3 January to 3 May)."""
    words = WORDS[language]
    make.customer("March", birthday=date(1990, 3, 2))
    make.customer("April", birthday=date(1985, 4, 10))
    page = logged_in(Role.VIEWER, language)
    open_in(page, "/admin/customers/", language)
    name = {"en": "Birthday, any year", "es": "Cumpleaños, cualquier año"}[language]
    days = _add_filter(page, words, name).locator("input.filter-val")
    _type(page, days, typed)
    page.locator("#filter_form button[type=submit]", has_text=words["Apply"]).click()
    expect(page.locator(ROWS)).to_have_count(1)
    assert _filter_values(page) == {"birthday_any_year_day_and_month_between":
                                    ["--03-01 to --03-05"]}
    other = "es" if language == "en" else "en"
    page.get_by_role("button", name={"en": "English", "es": "Español"}[other]).click()
    expect(page.locator("html")).to_have_attribute("lang", other)
    assert _filter_values(page) == {"birthday_any_year_day_and_month_between":
                                    ["--03-01 to --03-05"]}
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS).filter(has_text="March")).to_have_count(1)
