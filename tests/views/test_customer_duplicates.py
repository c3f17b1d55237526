"""The duplicates page, /admin/customers/duplicates/ (manager and up): the latest
scan's groups, strongest reason first, guests marked beside the customers they
match, a merge link with the checked customers, a filter by reason, the scan's age,
and "Look again now" queueing a scan that the worker runs."""
from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import DuplicateScan, utcnow
from admin_app.services import duplicates

from ..pages import flashes, get_page, row_count, speak, text

PAGE = "/admin/customers/duplicates/"


def group_texts(page: str) -> list[tuple[str, list[str]]]:
    """(reason shown, [the members' rows as text]) of each group, top to bottom."""
    found = []
    for body in re.findall(r'<form method="GET"[^>]*class="card mb-3 duplicate-group".*?</form>',
                           page, re.S):
        reason = text(re.search(r'class="group-reason">(.*?)</strong>', body).group(1))
        rows = [text(row) for row in re.findall(r'<tr class="member.*?</tr>', body, re.S)]
        found.append((reason, rows))
    return found


@pytest.fixture
def twins(make):
    """Two customers with one email (told apart by case and accents), a guest with
    it, and a pair by name and postcode; scanned."""
    first = make.customer("José", "Núñez", email="jose.nunez@example.com", postcode="28013",
                          card_number="LC-1", created_at=utcnow() - timedelta(days=30))
    second = make.customer("Pepe", "Núñez", email="JOSÉ.Nunez@example.com")
    guest = make.guest("Pepe N.", email="Jose.Nunez@example.com")
    make.customer("Luis", "Pérez", postcode="08001")
    make.customer("luis", "PEREZ", postcode="08001")
    duplicates.scan()
    db.session.commit()
    return first, second, guest


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_below_manager_may_not_see_or_scan(login, role, twins):
    client = login(role)
    assert client.get(PAGE).status_code == 403
    assert client.post_form(PAGE).status_code == 403
    assert client.get(PAGE + "merge/?ids=1&ids=2").status_code == 403
    assert row_count(DuplicateScan) == 1


def test_groups_strongest_first_guests_after_customers(manager, twins):
    first, second, guest = twins
    page = get_page(manager, PAGE)
    groups = group_texts(page)
    assert [reason for reason, _rows in groups] == ["Same email", "Same name and postcode"]
    email_rows = groups[0][1]
    # Customers by date added, then the guest, marked.
    assert email_rows[0].startswith("José Núñez jose.nunez@example.com")
    assert "LC-1" in email_rows[0] and "28013" in email_rows[0]
    assert email_rows[1].startswith("Pepe Núñez")
    assert email_rows[2].startswith("Guest Pepe N.")
    assert f'href="/admin/customers/details/?id={first.id}"' in page
    assert f'href="/admin/guests/details/?id={guest.id}"' in page
    assert "Same email (1)" in text(page) and "Same name and postcode (1)" in text(page)
    assert "Found 0 seconds ago." in text(page) or "Found 1 second ago." in text(page)


def test_merge_takes_the_checked_customers_to_the_merge_page(manager, twins):
    first, second, _guest = twins
    page = get_page(manager, PAGE)
    assert f'name="ids" value="{first.id}" checked' in page
    response = manager.get(PAGE + "merge/", query_string={"ids": [second.id, first.id]})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/admin/customers/merge/"
    assert parse_qs(location.query) == {"ids": [f"{second.id},{first.id}"]}
    # One customer checked is nothing to merge.
    response = manager.get(PAGE + "merge/", query_string={"ids": [first.id, "x"]},
                           follow_redirects=True)
    assert ("danger", "Check two customers or more to merge them.") in flashes(
        response.get_data(as_text=True))


def test_filter_by_reason_and_an_unknown_reason(manager, twins):
    page = get_page(manager, PAGE, reason="name_postcode")
    assert [reason for reason, _rows in group_texts(page)] == ["Same name and postcode"]
    for nonsense in ("nope", "", "<script>", "name_postcode'"):
        page = get_page(manager, PAGE, reason=nonsense)
        assert len(group_texts(page)) == 2
    page = get_page(manager, PAGE, reason="card")
    assert group_texts(page) == [] and "No likely duplicates were found." in text(page)
    assert len(group_texts(get_page(manager, PAGE, page="999999999999999999999"))) == 2


def test_forgotten_records_leave_the_page(manager, twins):
    first, second, guest = twins
    duplicates.forget(customer_ids=[first.id])
    db.session.commit()
    groups = group_texts(get_page(manager, PAGE))
    assert [rows[0].split(" ")[:2] for _reason, rows in groups] == [["Pepe", "Núñez"],
                                                                     ["Luis", "Pérez"]]
    duplicates.forget(customer_ids=[second.id])
    db.session.commit()
    assert [reason for reason, _rows in group_texts(get_page(manager, PAGE))] == [
        "Same name and postcode"]


def test_no_scan_yet_then_look_again_now(manager, make, drain):
    make.customer(email="twin@example.com")
    make.customer(email="Twin@example.com")
    page = get_page(manager, PAGE)
    assert "No look for duplicates has run yet." in text(page)
    response = manager.post_form(PAGE, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert ("success", "A new look for duplicates is queued: this page shows its groups once "
                       "it is done.") in flashes(page)
    assert "A new look is queued or running" in text(page)
    assert 'id="look-again"' not in page
    # Asked twice: one scan only.
    assert manager.post_form(PAGE).status_code == 302
    assert row_count(DuplicateScan) == 1
    drain()
    page = get_page(manager, PAGE)
    assert [reason for reason, _rows in group_texts(page)] == ["Same email"]
    assert "queued or running" not in text(page)
    assert db.session.scalars(select(DuplicateScan.finished_at)).all() != [None]


def test_look_again_needs_the_csrf_token(manager, twins):
    assert manager.post(PAGE, data={}).status_code == 400
    assert db.session.scalar(select(DuplicateScan).where(
        DuplicateScan.finished_at.is_(None))) is None


def test_the_page_in_spanish_with_its_age(manager, users, twins):
    db.session.execute(update(DuplicateScan).values(finished_at=utcnow() - timedelta(hours=3)))
    db.session.commit()
    assert "Found 3 hours ago." in text(get_page(manager, PAGE))
    speak(users[Role.MANAGER], "es")
    page = text(get_page(manager, PAGE))
    assert "Encontrados hace 3 horas." in page
    assert "Mismo correo electrónico (1)" in page
    assert "Invitado" in page and "Fusionar…" in page and "Buscar de nuevo ahora" in page
    assert "Duplicados" in text(get_page(manager, "/admin/customers/"))


def test_many_groups_are_paged(manager, make):
    for n in range(26):
        make.customer("Ana", f"Twin{n}", birthday=date(1990, 1, 1))
        make.customer("Ana", f"Twin{n}", birthday=date(1990, 1, 1))
    duplicates.scan()
    db.session.commit()
    first = get_page(manager, PAGE)
    assert len(group_texts(first)) == 25 and "Page 1 of 2" in text(first)
    second = get_page(manager, PAGE, page=1)
    assert len(group_texts(second)) == 1 and "Page 2 of 2" in text(second)


@pytest.mark.parametrize("role, shown", [(Role.OPERATOR, False), (Role.MANAGER, True)])
def test_the_customers_list_links_here_for_managers(login, role, shown):
    page = get_page(login(role), "/admin/customers/")
    assert (f'href="{PAGE}"' in page) is shown
