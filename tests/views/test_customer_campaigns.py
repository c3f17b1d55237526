"""Finding customers for a campaign: by birthday day and month whatever the
year (a range may run over the new year), and by the day they redeemed an
offer; the details page shows the offers each customer claimed, redeemed and
favourited."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from admin_app.choices import OfferEventKind, Role
from admin_app.extensions import db
from admin_app.models import Offer, OfferEvent

from ..pages import flashes, get_page, listed_ids, speak, text

CUSTOMERS = "/admin/customers/"
BIRTHDAY = "flt0_birthday_any_year_day_and_month_between"
REDEEMED = "flt0_offer_redeemed_between"


@pytest.fixture
def birthdays(make):
    people = {
        "new_year_eve": make.customer("Eva", "Año", birthday=date(1980, 12, 31)),
        "new_year": make.customer("Nuria", "Enero", birthday=date(2001, 1, 2)),
        "leap": make.customer("Lea", "Bisiesto", birthday=date(1996, 2, 29)),
        "summer": make.customer("Sol", "Verano", birthday=date(1975, 7, 15)),
        "unknown": make.customer("Nadie", "Sinfecha"),
    }
    db.session.commit()
    return people


def _ids(people, *names):
    return sorted(people[n].id for n in names)


@pytest.mark.parametrize("language, typed, expected", [
    ("en", "12/20 – 01/10", ("new_year_eve", "new_year")),  # over the new year
    ("es", "20/12 – 10/01", ("new_year_eve", "new_year")),
    ("es", "28/02 - 01/03", ("leap",)),
    ("en", "7/1 to 7/31", ("summer",)),
    ("es", "15/07 a 15/07", ("summer",)),
])
def test_birthdays_by_day_and_month_across_years(login, users, birthdays, language, typed,
                                                 expected):
    client = login(Role.VIEWER)
    speak(users[Role.VIEWER], language)
    found = listed_ids(get_page(client, CUSTOMERS, **{BIRTHDAY: typed}))
    assert sorted(found) == _ids(birthdays, *expected)


def test_an_impossible_day_and_month_is_explained_in_the_users_language(login, users,
                                                                        birthdays):
    client = login(Role.VIEWER)
    speak(users[Role.VIEWER], "es")
    page = get_page(client, CUSTOMERS, **{BIRTHDAY: "31/04 – 10/05"})
    assert any("no es un valor válido" in m and "20/12 – 10/01" in m
               for _c, m in flashes(page)), flashes(page)


def test_customers_by_the_day_they_redeemed_an_offer(login, make):
    offer = Offer(title="2x1 Coffee")
    ana, luis, marta = (make.customer(n) for n in ("Ana", "Luis", "Marta"))
    db.session.add_all([
        offer,
        OfferEvent(offer=offer, customer=ana, kind=OfferEventKind.REDEEMED,
                   occurred_at=datetime(2026, 11, 10, 23, 59)),
        # Claimed on the day, redeemed later: not a redemption in the range.
        OfferEvent(offer=offer, customer=luis, kind=OfferEventKind.CLAIMED,
                   occurred_at=datetime(2026, 11, 10, 12)),
        OfferEvent(offer=offer, customer=luis, kind=OfferEventKind.REDEEMED,
                   occurred_at=datetime(2026, 11, 25, 12)),
        OfferEvent(offer=offer, customer=marta, kind=OfferEventKind.FAVOURITED,
                   occurred_at=datetime(2026, 11, 10, 12)),
    ])
    db.session.commit()
    client = login(Role.VIEWER)
    found = listed_ids(get_page(client, CUSTOMERS, **{REDEEMED: "2026-11-01 to 2026-11-10"}))
    assert found == [ana.id]
    found = listed_ids(get_page(client, CUSTOMERS, **{REDEEMED: "2026-11-01 to 2026-11-30"}))
    assert sorted(found) == sorted([ana.id, luis.id])
    page = text(get_page(client, f"{CUSTOMERS}details/?id={luis.id}").split('id="offers">', 1)[1])
    assert page.startswith("Offers Claimed offers 2x1 Coffee 11/10/2026 Redeemed offers 2x1 Coffee "
                           "11/25/2026 Favourite offers —")
