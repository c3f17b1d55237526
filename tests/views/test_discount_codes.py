"""/admin/discount-codes/ (in the Market menu, with wallets): code, description,
kind and value, validity, active and "available in wallet"; managers create and
change them; a value is typed the way the user's language writes it; a code
that wallets hold keeps its availability and is never deleted."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from admin_app.choices import DiscountKind, Role
from admin_app.extensions import db
from admin_app.models import DiscountCode

from ..pages import flashes, get_page, refused, speak, table_rows, text

CODES = "/admin/discount-codes/"
NEW = CODES + "new/"


def form(**fields) -> dict:
    data = {"code": "WELCOME10", "description": "First purchase", "kind": "percent",
            "amount": "10", "valid_from": "", "valid_until": "", "active": "y",
            "available_in_wallet": "y"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def stored() -> int:
    return db.session.scalar(select(func.count(DiscountCode.id)))


def test_the_list_shows_values_as_written_in_each_language(login, users, make):
    make.discount_code("WELCOME10", kind=DiscountKind.PERCENT, value=10)
    make.discount_code("FIVE", kind=DiscountKind.FIXED, value=550, available_in_wallet=False)
    db.session.commit()
    client = login(Role.VIEWER)
    rows = {r["code"]: r for r in table_rows(get_page(client, CODES))}
    assert rows["WELCOME10"]["value"] == "10%"
    assert rows["FIVE"]["value"] == "€5.50"
    assert rows["FIVE"]["available_in_wallet"] == "No"
    speak(users[Role.VIEWER], "es")
    rows = {r["code"]: r for r in table_rows(get_page(client, CODES))}
    assert rows["WELCOME10"]["value"] == "10 %"
    assert rows["FIVE"]["value"] == "5,50 €"


def test_the_market_menu_holds_wallets_and_discount_codes(login):
    page = get_page(login(Role.VIEWER), "/admin/")
    market = page.split("Market<i", 1)[1].split("</ul>", 1)[0]
    assert "/admin/wallets/" in market and "/admin/discount-codes/" in market


def test_a_manager_creates_a_percent_and_a_fixed_code(login, users):
    client = login(Role.MANAGER)
    assert client.post_form(NEW, form()).status_code == 302
    speak(users[Role.MANAGER], "es")
    response = client.post_form(NEW, form(code="CINCO", kind="fixed", amount="5,50 €"))
    assert response.status_code == 302
    codes = {c.code: (c.kind, c.value) for c in db.session.scalars(select(DiscountCode))}
    assert codes == {"WELCOME10": ("percent", 10), "CINCO": ("fixed", 550)}


@pytest.mark.parametrize("fields, field, message", [
    ({"amount": "150"}, "amount", "Enter a whole percent from 1 to 100"),
    ({"amount": "12.5"}, "amount", "Enter a whole percent from 1 to 100"),
    ({"amount": "ten"}, "amount", "Enter a whole percent from 1 to 100"),
    ({"kind": "fixed", "amount": "0"}, "amount", "A fixed discount must be more than zero"),
    ({"kind": "fixed", "amount": "5.555"}, "amount", ""),
    ({"valid_from": "2026-12-31", "valid_until": "2026-12-01"}, "valid_until",
     "The code cannot end before it starts."),
])
def test_a_wrong_value_or_validity_is_refused_and_nothing_is_saved(login, fields, field,
                                                                     message):
    errors = refused(login(Role.MANAGER).post_form(NEW, form(**fields)), field)
    assert any(message in error for error in errors), errors
    assert stored() == 0


def test_editing_shows_the_value_as_typed_and_keeps_it(login, make):
    code = make.discount_code("FIVE", kind=DiscountKind.FIXED, value=550)
    db.session.commit()
    client = login(Role.MANAGER)
    edit = f"{CODES}edit/?id={code.id}"
    assert 'value="€5.50"' in get_page(client, edit)
    response = client.post_form(edit, form(code="FIVE", kind="fixed", amount="€6.00"))
    assert response.status_code == 302
    db.session.refresh(code)
    assert code.value == 600


def test_a_code_that_wallets_hold_stays_available_and_is_not_deleted(login, make):
    code = make.discount_code("HELD", value=5)
    make.wallet(make.customer(), discount_code=code)
    db.session.commit()
    client = login(Role.MANAGER)
    page = client.post_form(f"{CODES}edit/?id={code.id}",
                            form(code="HELD", amount="5", available_in_wallet=None),
                            follow_redirects=True).get_data(as_text=True)
    assert any("1 wallet holds the code HELD" in m for _c, m in flashes(page)), flashes(page)
    db.session.refresh(code)
    assert code.available_in_wallet
    page = client.post_form(f"{CODES}delete/", {"id": code.id},
                            follow_redirects=True).get_data(as_text=True)
    assert any("cannot be deleted" in m for _c, m in flashes(page))
    assert stored() == 1


def test_operators_and_viewers_only_read_codes(login, make):
    code = make.discount_code("READ", value=5)
    db.session.commit()
    for role in (Role.VIEWER, Role.OPERATOR):
        client = login(role)
        assert client.get(CODES).status_code == 200
        assert client.post_form(NEW, form(code="NOPE")).status_code == 403
        assert client.post_form(f"{CODES}edit/?id={code.id}", form(code="X")).status_code == 403
    assert [c.code for c in db.session.scalars(select(DiscountCode))] == ["READ"]


def test_an_empty_list_says_what_to_do(login):
    page = text(get_page(login(Role.MANAGER), CODES))
    assert "No discount codes yet. Create the first one." in page
