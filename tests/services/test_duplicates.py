"""services/duplicates: the scan finds each reason (folded email, card and name,
guests by email and phone), strongest first, never tombstones, erased customers or
converted guests; forget() keeps the result right between two scans."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import DuplicateGroup, DuplicateMember, DuplicateScan, utcnow
from admin_app.services import duplicates

from ..pages import row_count


def hand_made_group(scan, *members, reason="email"):
    """A group of (customer id, guest id) pairs in ``scan``, written as the scan would."""
    group = DuplicateGroup(scan_id=scan.id, reason=reason, strength=0, size=len(members))
    db.session.add(group)
    db.session.flush()
    for customer_id, guest_id in members:
        db.session.add(DuplicateMember(group_id=group.id, customer_id=customer_id,
                                       guest_id=guest_id))
    db.session.commit()
    return group.id


def test_forget_drops_members_and_the_groups_left_too_small(make):
    a, b, c = make.customer(), make.customer(), make.customer()
    guest = make.guest()
    scan = DuplicateScan(started_at=utcnow(), finished_at=utcnow(), groups_found=3)
    db.session.add(scan)
    db.session.commit()
    pair = hand_made_group(scan, (a.id, None), (b.id, None))
    three = hand_made_group(scan, (a.id, None), (b.id, None), (c.id, None))
    with_guest = hand_made_group(scan, (c.id, None), (None, guest.id))

    assert duplicates.forget(customer_ids=[a.id]) == 1
    db.session.commit()
    assert db.session.get(DuplicateGroup, pair) is None
    assert db.session.get(DuplicateGroup, three).size == 2
    assert db.session.get(DuplicateScan, scan.id).groups_found == 2

    # A guest alone is nothing to merge: the group goes with its last customer.
    assert duplicates.forget(customer_ids=[c.id]) == 2
    db.session.commit()
    assert row_count(DuplicateGroup) == 0
    assert row_count(DuplicateMember) == 0
    assert db.session.get(DuplicateScan, scan.id).groups_found == 0
    assert db.session.get(DuplicateGroup, with_guest) is None


def test_forget_by_guest_and_of_nobody(make):
    a = make.customer()
    guest = make.guest()
    scan = DuplicateScan(started_at=utcnow(), finished_at=utcnow(), groups_found=1)
    db.session.add(scan)
    db.session.commit()
    hand_made_group(scan, (a.id, None), (None, guest.id))
    assert duplicates.forget() == 0
    assert duplicates.forget(customer_ids=[999999]) == 0
    assert duplicates.forget(guest_ids=[guest.id]) == 1
    db.session.commit()
    assert db.session.scalars(select(DuplicateGroup)).all() == []


def groups_found() -> list[tuple[str, set]]:
    """(reason, {("c", id) / ("g", id)...}) of the latest scan, in the page's order."""
    scan = duplicates.latest_scan()
    groups = db.session.scalars(select(DuplicateGroup).where(DuplicateGroup.scan_id == scan.id)
                                .order_by(DuplicateGroup.strength, DuplicateGroup.id)).all()
    return [(group.reason, {("c", m.customer_id) if m.customer_id else ("g", m.guest_id)
                            for m in group.members}) for group in groups]


def test_each_reason_is_found_strongest_first(make):
    # Email, folded for case and accents (reason 1).
    a = make.customer("José", "Núñez", email="José.Nunez@Example.com")
    b = make.customer("Pepe", "Other", email="jose.nuñez@example.COM")
    # Card number with spaces and dashes (reason 2).
    c = make.customer("Carla", "Card", card_number="LC 0001-22")
    d = make.customer("Carlota", "Tarjeta", card_number="lc000122")
    # Phone, and a guest by phone and another by email.
    e = make.customer("Eva", "Phone", phone="+34600111222")
    phone_guest = make.guest("Eva P.", phone="+34600111222")
    email_guest = make.guest("Pepe N.", email="JOSE.NUNEZ@example.com")
    # Folded name with the same birthday, and with the same postcode.
    f = make.customer("María", "Gómez", birthday=date(1980, 5, 1))
    g = make.customer("maria", "GOMEZ", birthday=date(1980, 5, 1))
    h = make.customer("Luis", "Pérez", postcode="28013")
    i = make.customer("LUIS", "perez", postcode="28013")
    make.customer("Luis", "Pérez", postcode="08001")  # another postcode: nobody's twin
    make.guest("Lonely guest", email="lonely@example.com")
    make.guest("Lonely again", email="Lonely@example.com")  # two guests alone: no group

    scan = duplicates.scan()
    db.session.commit()
    assert scan.finished_at is not None and scan.groups_found == 5
    assert groups_found() == [
        ("email", {("c", a.id), ("c", b.id), ("g", email_guest.id)}),
        ("card", {("c", c.id), ("c", d.id)}),
        ("phone", {("c", e.id), ("g", phone_guest.id)}),
        ("name_birthday", {("c", f.id), ("c", g.id)}),
        ("name_postcode", {("c", h.id), ("c", i.id)}),
    ]
    assert duplicates.counts(scan) == {"email": 1, "card": 1, "phone": 1,
                                       "name_birthday": 1, "name_postcode": 1}


def test_a_weaker_reason_adding_nobody_is_not_listed_again(make):
    a = make.customer("Ana", "Ruiz", email="ana@example.com", postcode="28001")
    b = make.customer("Ana", "Ruiz", email="ANA@example.com", postcode="28001")
    c = make.customer("Ana", "Ruiz", email="other@example.com", postcode="28001")
    duplicates.scan()
    db.session.commit()
    # The name and postcode group adds c: it stays; a pair of a and b alone would not.
    assert groups_found() == [("email", {("c", a.id), ("c", b.id)}),
                              ("name_postcode", {("c", a.id), ("c", b.id), ("c", c.id)})]
    duplicates.forget(customer_ids=[c.id])
    db.session.commit()
    assert groups_found() == [("email", {("c", a.id), ("c", b.id)}),
                              ("name_postcode", {("c", a.id), ("c", b.id)})]


def test_tombstones_erased_customers_and_converted_guests_are_never_members(make):
    kept = make.customer(email="same@example.com", phone="+34600000001")
    make.customer(email="SAME@example.com.", merged_into_id=kept.id, merged_at=utcnow())
    make.customer(first_name="X", email="same@EXAMPLE.com", merged_into_id=kept.id)
    make.customer(email="sáme@example.com", erased_at=utcnow())
    make.guest(email="same@example.com", customer_id=kept.id, converted_at=utcnow())
    make.guest(phone="+34600000001", customer_id=kept.id)
    duplicates.scan()
    db.session.commit()
    assert groups_found() == []


def test_a_new_scan_replaces_the_older_ones(make):
    make.customer(email="twin@example.com")
    make.customer(email="TWIN@example.com")
    first = duplicates.scan().id
    db.session.commit()
    asked = duplicates.ask_for_scan().id
    db.session.commit()
    assert duplicates.scan_under_way().id == asked
    assert duplicates.scan(asked).id == asked
    db.session.commit()
    assert db.session.scalars(select(DuplicateScan.id)).all() == [asked]
    assert duplicates.latest_scan().id == asked != first
    assert duplicates.scan_under_way() is None
    assert row_count(DuplicateGroup) == 1
    # A second run of the same task changes nothing.
    assert duplicates.scan(asked) is None
    assert row_count(DuplicateGroup) == 1 and row_count(DuplicateMember) == 2


def test_no_scan_yet():
    assert duplicates.latest_scan() is None
    assert duplicates.scan_under_way() is None


def test_a_record_merged_while_the_scan_looks_is_left_out(make, monkeypatch):
    a = make.customer(email="race@example.com")
    b = make.customer(email="RACE@example.com")
    c = make.customer(email="Race@example.com")
    found = duplicates.find

    def find_then_merge():
        groups = found()
        # A merge commits between the scan's reading and its writing.
        db.session.get(type(a), c.id).merged_into_id = a.id
        db.session.flush()
        return groups

    monkeypatch.setattr(duplicates, "find", find_then_merge)
    duplicates.scan()
    db.session.commit()
    assert groups_found() == [("email", {("c", a.id), ("c", b.id)})]


def test_the_page_leaves_out_what_changed_since_the_scan(make):
    a = make.customer(email="late@example.com")
    b = make.customer(email="LATE@example.com")
    guest = make.guest(email="late@example.com")
    scan = duplicates.scan()
    db.session.commit()
    [shown] = duplicates.page_of_groups(scan)
    assert shown.customers == [a, b] and shown.guests == [guest]
    guest.customer_id = a.id
    b.erased_at = utcnow()
    db.session.commit()
    assert duplicates.page_of_groups(scan) == []


def test_a_scan_lost_with_its_worker_stops_showing_under_way(make):
    lost = duplicates.ask_for_scan().id
    db.session.commit()
    assert duplicates.scan_under_way(utcnow()).id == lost
    assert duplicates.scan_under_way(utcnow() + duplicates.SCAN_LOST * 2) is None
    finished = duplicates.scan()
    db.session.commit()
    # The newer scan did the lost one's work: its row goes, and its task does nothing.
    assert db.session.scalars(select(DuplicateScan.id)).all() == [finished.id]
    assert duplicates.scan(lost) is None
