"""An import's preview shows each value as the record's own page will show it once
imported (phones, countries, days, yes/no, related records by name), in the
reader's language: one rule for lists, details pages, history and the preview."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import Customer

from ..conftest import admins_by_language
from ..pages import apply_import, batch_id, detail_rows, get_page, text, upload
from .test_imports import CUSTOMERS

# Each column the preview shows, with what the file says and what is stored before.
FILE = ("First name,Surname,Email,Phone,Country,Birthday,Group,Marketing opt-in\r\n"
        "Ana,Ruiz,ana@example.com,+34 600 999 888,FR,1991-06-17,Silver,yes\r\n"
        "Berta,Gil,berta@example.com,+34 611 222 333,PT,1985-02-03,Gold,no\r\n")


@pytest.fixture(params=("en", "es"))
def reader(request, app, users, password_hash):
    return admins_by_language(app, users, password_hash)[request.param]


@pytest.fixture
def ana(make):
    gold = make.group("Gold")
    make.group("Silver")
    return make.customer("Ana", "Ruiz", email="ana@example.com", phone="+34600111222",
                         country="ES", birthday=date(1990, 5, 17), group=gold,
                         marketing_opt_in=False)


def details(reader, customer_id: int) -> dict[str, str]:
    page = get_page(reader, f"/admin/customers/details/?id={customer_id}")
    return {label: text(value) for label, value in detail_rows(page).items()}


def updates(page: str) -> dict[str, tuple[str, str]]:
    """Field label -> (before, after) from the preview's updates table."""
    table = page.split('id="import-updates"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>\s*<td>.*?</td><td>.*?</td>\s*<td>(.*?)</td>\s*"
                      r"<td>(.*?)</td><td>(.*?)</td>\s*</tr>", table, re.S)
    return {text(label): (text(before), text(after)) for label, before, after in rows}


def sample(page: str) -> dict[str, str]:
    """Column label -> value of the preview's one new record."""
    table = page.split('id="import-sample"', 1)[1].split("</table>", 1)[0]
    labels = [text(h) for h in re.findall(r"<th>(.*?)</th>", table, re.S)]
    (row,) = re.findall(r"<tr><td>\d+</td>(.*?)</tr>", table, re.S)
    return dict(zip(labels[1:], [text(v) for v in re.findall(r"<td>(.*?)</td>", row, re.S)],
                    strict=True))


def test_the_preview_says_what_the_records_page_says_before_and_after(reader, ana):
    before_page = details(reader, ana.id)
    batch = batch_id(upload(reader, CUSTOMERS, FILE))
    page = get_page(reader, f"{CUSTOMERS}{batch}/")
    changes, new = updates(page), sample(page)
    assert apply_import(reader, CUSTOMERS, batch).status_code == 302
    after_page = details(reader, ana.id)
    berta = db.session.scalar(select(Customer.id).where(Customer.email == "berta@example.com"))
    berta_page = details(reader, berta)

    assert len(changes) == 5, changes  # phone, country, birthday, group, marketing
    for label, (before, after) in changes.items():
        assert (before, after) == (before_page[label], after_page[label]), label
    shown = {label: value for label, value in new.items() if label in berta_page}
    assert len(shown) == 8, new
    for label, value in shown.items():
        assert value == berta_page[label], label
