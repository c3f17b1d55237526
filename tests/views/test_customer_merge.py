"""The merge page: from a customer's "Merge with…" to a search, a preview that shows
exactly what happens, and a confirmation (manager and up, CSRF-checked) that refuses
if anything changed since the preview."""
from __future__ import annotations

import html as html_lib
import re
from datetime import datetime

import pytest
from sqlalchemy import select, update

from admin_app.choices import AuditAction, Role
from admin_app.extensions import db
from admin_app.models import AuditEvent, Customer, Wallet
from admin_app.services import ledger

from ..conftest import admins_by_language
from ..language import foreign_words, stored_text_values
from ..pages import flashes, fresh, get_page, row_count, text, the_error_flashed

MERGE = "/admin/customers/merge/"


@pytest.fixture
def pair(make):
    """Two records of one person: the older one (kept by default) and a newer one
    with a wallet, points, an order and a different email."""
    old = make.customer("Marta", "Iglesias", email="marta@example.com",
                        created_at=datetime(2023, 1, 1), loyalty_member=True)
    new = make.customer("Marta", "Iglesias Roca", email="marta.iglesias@example.com",
                        loyalty_member=True, postcode="08001")
    wallet = make.wallet(new)
    ledger.add_balance(wallet, 4_250, actor=None, reason="Gift", idempotency_key="pair-1")
    ledger.adjust_points(new, 75, actor=None, reason="Welcome", idempotency_key="pair-2")
    make.order(new, total_minor=3_000, sale_code="S-PAIR-1")
    db.session.commit()
    return old, new, wallet


def fingerprint(page: str) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', page).group(1)


def confirm(client, page: str, ids: str, **fields):
    data = {"survivor": re.search(r'name="survivor" value="(\d+)"', page.split(
        'id="merge-confirm"', 1)[1]).group(1), "fingerprint": fingerprint(page), **fields}
    return client.post_form(f"{MERGE}?ids={ids}", data)


def test_merge_with_starts_from_the_customer_page_and_finds_the_other(manager, pair):
    old, new, _wallet = pair
    details = get_page(manager, f"/admin/customers/details/?id={old.id}")
    assert f'href="{MERGE}?ids={old.id}"' in details
    page = get_page(manager, MERGE, ids=old.id)
    assert 'id="merge-search"' in page and "Marta Iglesias" in text(page)
    found = get_page(manager, MERGE, ids=old.id, q="iglesias")
    matches = text(found.split('id="merge-matches">', 1)[1].split("</ul>", 1)[0])
    assert matches.startswith(f"#{new.id} Marta Iglesias Roca")  # never the customer itself
    assert f"ids={old.id}%2C{new.id}" in found or f"ids={old.id},{new.id}" in found
    assert "No customer found." in text(get_page(manager, MERGE, ids=old.id, q="zzzz"))


def test_the_preview_shows_choices_and_everything_that_moves(manager, pair):
    old, new, wallet = pair
    page = get_page(manager, MERGE, ids=f"{new.id},{old.id}")
    shown = text(page)
    # The oldest is proposed; the newest value of each differing field is preselected.
    assert re.search(rf'name="survivor" value="{old.id}" id="survivor-{old.id}" checked', page)
    assert re.search(rf'name="value-email" value="{new.id}"[^>]*checked', page)
    assert "marta@example.com" in shown and "marta.iglesias@example.com" in shown
    assert wallet.wallet_code in shown and "42.50" in text(page.split('id="merge-wallets"')[1])
    assert f"75 points from #{new.id}" in shown
    records = text(page.split('id="merge-records"', 1)[1].split("</table>", 1)[0])
    assert "Orders 1 S-PAIR-1" in records
    after = text(page.split('id="merge-after"', 1)[1].split("</dl>", 1)[0])
    assert "Balance €42.50" in after and "Loyalty points 75" in after
    assert f"#{new.id} will stay only as a record saying “merged into #{old.id}”" in shown


def test_confirming_merges_and_the_tombstone_points_to_the_survivor(manager, pair):
    old, new, wallet = pair
    ids = f"{old.id},{new.id}"
    page = get_page(manager, MERGE, ids=ids)
    response = confirm(manager, page, ids, **{"value-email": str(old.id)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/customers/details/?id={old.id}")
    survivor, tombstone = fresh(Customer, old.id), fresh(Customer, new.id)
    assert survivor.email == "marta@example.com"  # as chosen, not the preselected one
    assert survivor.postcode == "08001"  # taken: the survivor had none
    assert (survivor.balance_minor, survivor.loyalty_points) == (4_250, 75)
    assert fresh(Wallet, wallet.id).customer_id == old.id
    assert tombstone.merged_into_id == old.id
    assert ledger.verify() == []
    landed = get_page(manager, response.headers["Location"])
    assert ("success", f"#{tombstone.id} {tombstone.full_name} was merged into "
                       f"#{survivor.id} {survivor.full_name}.") in flashes(landed)
    banner = get_page(manager, f"/admin/customers/details/?id={new.id}")
    assert "This customer was merged into another one." in text(banner)
    assert f'href="/admin/customers/details/?id={old.id}"' in banner
    # The tombstone is never offered again, nor listed.
    assert 'id="merge-no-match"' in get_page(manager, MERGE, ids=old.id, q="iglesias")
    assert "already merged" in the_error_flashed(
        manager.get(f"{MERGE}?ids={old.id},{new.id}").get_data(as_text=True))
    assert row_count(AuditEvent) and db.session.scalar(select(AuditEvent.object_id).where(
        AuditEvent.action == AuditAction.MERGE).order_by(AuditEvent.id)) == str(old.id)


def test_a_change_since_the_preview_refuses_and_shows_the_new_preview(manager, pair):
    old, new, wallet = pair
    ids = f"{old.id},{new.id}"
    page = get_page(manager, MERGE, ids=ids)
    ledger.add_balance(wallet, 1, actor=None, reason="Meanwhile", idempotency_key="pair-3")
    db.session.commit()
    response = confirm(manager, page, ids)
    assert response.status_code == 409
    again = response.get_data(as_text=True)
    assert "changed since the preview" in the_error_flashed(again)
    assert fingerprint(again) != fingerprint(page)
    assert "42.51" in text(again.split('id="merge-wallets"')[1])
    assert fresh(Customer, new.id).merged_into_id is None
    assert confirm(manager, again, ids).status_code == 302  # the new preview merges


def test_a_refused_confirmation_keeps_the_values_the_operator_chose(manager, pair):
    """Met when the database was busy: the new preview proposed the defaults again,
    and confirming it, as the message said to, kept values nobody chose."""
    old, new, wallet = pair
    ids = f"{old.id},{new.id}"
    page = get_page(manager, MERGE, ids=ids)
    assert re.search(rf'name="value-email" value="{new.id}"[^>]*checked', page)  # proposed
    ledger.add_balance(wallet, 1, actor=None, reason="Meanwhile", idempotency_key="pair-4")
    db.session.commit()
    again = confirm(manager, page, ids, **{"value-email": str(old.id)}).get_data(as_text=True)
    assert re.search(rf'name="value-email" value="{old.id}"[^>]*checked', again)
    assert not re.search(rf'name="value-email" value="{new.id}"[^>]*checked', again)
    assert confirm(manager, again, ids, **{"value-email": str(old.id)}).status_code == 302
    assert fresh(Customer, old.id).email == "marta@example.com"


def test_a_refused_confirmation_keeps_a_choice_now_shown_under_another_number(manager, make):
    """Met by the third review: the value picked (Pablo, #3) came to be held by #1
    too, so it was offered under #1, and the preview fell back to the proposed one."""
    old = datetime(2020, 1, 1)
    zoe = make.customer("Zoe", "Ruiz", created_at=old, updated_at=old)
    make.customer("Zoe", "Ruiz", updated_at=datetime(2026, 1, 1))  # the newest: proposed
    pablo = make.customer("Pablo", "Ruiz", created_at=old, updated_at=old)
    ids = ",".join(str(c) for c in sorted(c.id for c in db.session.scalars(select(Customer))))
    page = get_page(manager, MERGE, ids=ids)
    db.session.execute(update(Customer).where(Customer.id == zoe.id).values(
        first_name="Pablo", updated_at=old))  # meanwhile, elsewhere
    db.session.commit()
    again = confirm(manager, page, ids, **{"value-first_name": str(pablo.id)})
    assert again.status_code == 409
    shown = again.get_data(as_text=True)
    assert re.search(rf'name="value-first_name" value="{zoe.id}"[^>]*checked', shown)  # Pablo


def test_refusals_write_nothing(manager, pair):
    old, new, _wallet = pair
    page = get_page(manager, MERGE, ids=f"{old.id},{new.id}")
    # Itself: the only way is a forged form, or the same id twice.
    response = manager.post_form(f"{MERGE}?ids={old.id},{old.id}",
                                 {"survivor": old.id, "fingerprint": fingerprint(page)})
    assert response.status_code == 200 and 'id="merge-search"' in response.get_data(as_text=True)
    stranger = Customer(first_name="Otro", surname="Cliente")
    db.session.add(stranger)
    db.session.commit()
    response = manager.post_form(f"{MERGE}?ids={old.id},{new.id}",
                                 {"survivor": stranger.id, "fingerprint": fingerprint(page)})
    assert response.status_code == 409
    assert "must be one of the customers" in the_error_flashed(response.get_data(as_text=True))
    for bad in ("abc", f"{old.id},999999"):
        response = manager.get(f"{MERGE}?ids={bad}")
        assert response.status_code == 400
        the_error_flashed(response.get_data(as_text=True))
    assert fresh(Customer, new.id).merged_into_id is None and ledger.verify() == []


def test_the_confirmation_needs_the_csrf_token(manager, pair):
    old, new, _wallet = pair
    ids = f"{old.id},{new.id}"
    page = get_page(manager, MERGE, ids=ids)
    response = manager.post(f"{MERGE}?ids={ids}", data={
        "survivor": old.id, "fingerprint": fingerprint(page)})
    assert response.status_code == 400
    assert fresh(Customer, new.id).merged_into_id is None


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_only_managers_and_admins_merge(login, pair, role):
    old, new, _wallet = pair
    client = login(role)
    ids = f"{old.id},{new.id}"
    assert client.get(f"{MERGE}?ids={ids}").status_code == 403
    assert client.post_form(f"{MERGE}?ids={ids}", {"survivor": old.id}).status_code == 403
    assert f"{MERGE}?ids" not in get_page(client, f"/admin/customers/details/?id={old.id}")
    assert fresh(Customer, new.id).merged_into_id is None


def test_the_admin_merges_too(admin_client, pair):
    old, new, _wallet = pair
    ids = f"{old.id},{new.id}"
    assert confirm(admin_client, get_page(admin_client, MERGE, ids=ids), ids).status_code == 302


def test_the_page_in_spanish(app, users, password_hash, pair):
    old, new, _wallet = pair
    spanish = admins_by_language(app, users, password_hash)["es"]
    page = get_page(spanish, MERGE, ids=f"{old.id},{new.id}")
    shown = text(page)
    assert "Fusionar clientes" in shown and "Cliente que se conserva" in shown
    assert not foreign_words(page, "es", stored_text_values())
    search = get_page(spanish, MERGE, ids=old.id, q="zzzz")
    assert not foreign_words(search, "es", stored_text_values())
    page = get_page(spanish, MERGE, ids=f"{old.id},{new.id}")
    response = confirm(spanish, page, f"{old.id},{new.id}")
    landed = get_page(spanish, response.headers["Location"])
    assert ("success", f"N.º {new.id} Marta Iglesias Roca se fusionó con el n.º {old.id} "
                       "Marta Iglesias Roca.") in flashes(landed)
    # The ledgers' merge movements, stored in English, read in the reader's language;
    # the admin's History shows the merge event.
    shown = text(landed)
    assert f"Fusionado del n.º {new.id} con el n.º {old.id}" in shown
    assert f"Fusionado desde el n.º {new.id}" in shown
    assert "Fusionado" in text(landed.split('id="record-history"', 1)[1].split("</table>", 1)[0])
    tombstone = text(get_page(spanish, f"/admin/customers/details/?id={new.id}"))
    assert f"Fusionado con el n.º {old.id}" in tombstone


def test_a_third_customer_is_added_from_the_preview_and_all_three_merge(manager, pair, make):
    old, new, _wallet = pair
    third = make.customer("Marta", "Iglesias Sanz", card_number="T-3")
    make.wallet(third)
    page = get_page(manager, MERGE, ids=f"{old.id},{new.id}", q="iglesias sanz")
    link = re.search(r'id="merge-matches">\s*<li[^>]*><a href="([^"]+)"', page).group(1)
    assert html_lib.unescape(link).replace("%2C", ",") == (
        f"{MERGE}?ids={old.id},{new.id},{third.id}")
    ids = f"{old.id},{new.id},{third.id}"
    page = get_page(manager, MERGE, ids=ids)
    assert confirm(manager, page, ids).status_code == 302
    assert [fresh(Customer, c.id).merged_into_id for c in (old, new, third)] == [
        None, old.id, old.id]
    assert fresh(Customer, old.id).card_number == "T-3"
    assert ledger.verify() == []
