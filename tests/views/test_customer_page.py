"""The customer page is built around the customer, in English and in Spanish: the
name and key facts head it, the blacklist badge gives the reason and links to
the entry, points are offered only to loyalty members, no two sections share a
title, and Spanish headings agree with what they head."""
from __future__ import annotations

import re
from collections import Counter

import pytest

from admin_app.choices import BlacklistReason, Role

from ..pages import get_page, speak, text

CUSTOMERS = "/admin/customers/"


def details(client, customer) -> str:
    return get_page(client, f"{CUSTOMERS}details/?id={customer.id}")


def head(page: str) -> str:
    return page.split('id="customer-head">', 1)[1].split("</header>", 1)[0]


@pytest.fixture
def ana(make):
    return make.customer("Ana", "García", group=make.group("Gold"), balance_minor=1250,
                         loyalty_points=1540, loyalty_member=True, phone="+34600111222")


@pytest.mark.parametrize("language, facts, badge", [
    ("en", "Ana García On the blacklist: Fake orders Group Gold Balance €12.50 "
           "Loyalty points 1,540 Owed on account €0.00", "On the blacklist: Fake orders"),
    ("es", "Ana García En lista negra: Pedidos falsos Grupo Gold Saldo 12,50 € "
           "Puntos de fidelidad 1540 Adeudado a cuenta 0,00 €", "En lista negra: Pedidos falsos"),
])
def test_the_name_and_key_facts_head_the_page(login, users, make, ana, language, facts, badge):
    entry = make.blacklist("+34600111222", reason=BlacklistReason.FAKE_ORDERS,
                           note="Three orders never collected")
    viewer = login(Role.VIEWER)
    speak(users[Role.VIEWER], language)
    page = details(viewer, ana)
    # Above the tabs and the table of fields, before anything else of the record.
    assert page.index('id="customer-head"') < page.index("nav nav-tabs")
    assert text(head(page)).startswith(facts)
    link = re.search(r'<a class="badge badge-danger[^"]*" id="blacklist-badge"\s+href="([^"]+)"'
                     r'\s+title="([^"]*)">(.*?)</a>', head(page), re.S)
    assert link and link.group(1) == f"/admin/blacklist/details/?id={entry.id}"
    assert (link.group(2), text(link.group(3))) == ("Three orders never collected", badge)
    assert get_page(viewer, link.group(1))  # the entry opens for whoever sees the badge


@pytest.mark.parametrize("language, state", [("en", "Blacklist Not on it"),
                                             ("es", "Lista negra No figura")])
def test_a_customer_not_on_the_blacklist_says_so(login, users, ana, language, state):
    viewer = login(Role.VIEWER)
    speak(users[Role.VIEWER], language)
    assert text(head(details(viewer, ana))).endswith(state)


def test_a_group_links_to_its_customers_and_no_group_says_none(login, users, make, ana):
    viewer = login(Role.VIEWER)
    assert f'href="/admin/customers/?flt0_group_equals={ana.group_id}">Gold</a>' in head(
        details(viewer, ana))
    speak(users[Role.VIEWER], "es")
    assert "Grupo Ninguno" in text(head(details(viewer, make.customer("Eva", "Otero"))))


def test_points_are_offered_to_loyalty_members_only(login, make, ana):
    outsider = make.customer("Eva", "Otero", loyalty_member=False)
    manager = login(Role.MANAGER)
    member_head, outsider_head = head(details(manager, ana)), head(details(manager, outsider))
    assert f"/adjust-points/?id={ana.id}" in member_head
    assert f"/adjust-points/?id={outsider.id}" not in outsider_head
    assert "Loyalty points Not a member" in text(outsider_head)
    # What stays offered to everyone.
    for action in ("add-balance", "account-limit"):
        assert f"/{action}/?id={outsider.id}" in outsider_head


def titles(page: str) -> list[str]:
    """The page's headings and the labels of the figures at its head, as read."""
    found = []
    for title in re.findall(r"<h[2-6][^>]*>(.*?)</h[2-6]>", page, re.S):
        found.append(text(re.sub(r"<small.*?</small>|<a class=\"badge.*?</a>", "", title,
                                 flags=re.S)))
    found += [text(label) for label in re.findall(
        r'<(?:div|dt) class="text-muted small[^"]*">(.*?)</(?:div|dt)>', page, re.S)]
    return found


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_two_sections_share_a_title(login, users, ana, language):
    admin = login(Role.ADMIN)  # admins see every section, the record's history too
    speak(users[Role.ADMIN], language)
    shown = titles(details(admin, ana))
    repeated = [title for title, times in Counter(shown).items() if times > 1]
    assert not repeated, shown
    assert ("Points history" if language == "en" else "Historial de puntos") in shown


def test_spanish_offer_headings_agree_with_the_offers(login, users, ana):
    viewer = login(Role.VIEWER)
    speak(users[Role.VIEWER], "es")
    page = details(viewer, ana)
    offers = page.split('id="offers">', 1)[1]
    headings = [text(h) for h in re.findall(r"<h4[^>]*>(.*?)</h4>", offers, re.S)]
    # Feminine plural, like "ofertas": not "Conseguida", "Canjeados", "Marcada como favorita".
    assert headings == ["Ofertas conseguidas", "Ofertas canjeadas", "Ofertas favoritas"]
