"""Merging customers: every record, cent and point moves; the preview is what happens;
refusals write nothing; a concurrent add-balance loses nothing and never deadlocks."""
from __future__ import annotations

import itertools
import random
import threading
import time
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from admin_app.choices import (
    AuditAction,
    ConsentSource,
    ImportAction,
    InvoiceStatus,
    LoyaltyTxKind,
    OfferEventKind,
    OrderStatus,
    WalletStatus,
    WalletTxKind,
)
from admin_app.extensions import db
from admin_app.models import (
    Address,
    AuditEvent,
    ConsentChange,
    Customer,
    DuplicateGroup,
    DuplicateMember,
    DuplicateScan,
    Guest,
    ImportBatch,
    ImportChange,
    Invoice,
    LoyaltyTransaction,
    Notification,
    Offer,
    OfferEvent,
    Order,
    Wallet,
    WalletTransaction,
    WishlistItem,
)
from admin_app.services import ledger, merging
from admin_app.services.merging import MergeChanged, MergeError

from ..pages import fresh, row_count, table_counts

keys = (f"merge-test-{n}" for n in itertools.count())


def top_up(wallet, amount):
    ledger.add_balance(wallet, amount, actor=None, reason="Test", idempotency_key=next(keys))
    db.session.commit()


def points(customer, amount):
    ledger.adjust_points(customer, amount, actor=None, reason="Test",
                         idempotency_key=next(keys))
    db.session.commit()


def preview(*customers, survivor=None):
    return merging.plan(merging.customers_for([c.id for c in customers]),
                        survivor.id if survivor is not None else None)


def merge(*customers, survivor=None, chosen=None, actor=None):
    """Preview, then merge as the preview shows it; committed."""
    shown = preview(*customers, survivor=survivor)
    done = merging.merge(shown.survivor, shown.others, chosen or {}, actor=actor,
                         expected=shown.fingerprint)
    db.session.commit()
    return shown, done


def assert_ledger_clean():
    db.session.expire_all()
    assert ledger.verify() == []


@pytest.fixture
def ana(make):
    """The older customer: kept by default."""
    return make.customer("Ana", "García", email="ana@example.com", loyalty_member=True,
                         created_at=datetime(2024, 1, 1), phone="+34600000001",
                         account_limit_minor=20_000)


@pytest.fixture
def bea(make):
    return make.customer("Ana", "Garcia Lopez", email="ana.garcia@example.com",
                         loyalty_member=True, created_at=datetime(2025, 6, 1),
                         card_number="C-777", postcode="28013", account_limit_minor=30_000)


def everything_of(make, customer, *, store_credit=True):
    """One record of every kind for ``customer``; returns their ids by kind."""
    made = {}
    wallet = make.wallet(customer, is_store_credit=store_credit)
    top_up(wallet, 2_500)
    made["wallet"] = wallet.id
    blocked = make.wallet(customer)
    top_up(blocked, 700)
    ledger.set_wallet_status(blocked, WalletStatus.BLOCKED)
    db.session.commit()
    made["blocked"] = blocked.id
    made["order"] = make.order(customer, total_minor=4_000, status=OrderStatus.DELIVERED).id
    made["cancelled"] = make.order(customer, total_minor=999, status=OrderStatus.CANCELLED).id
    made["invoice"] = make.invoice(customer, amount_minor=15_000).id
    made["paid_invoice"] = make.invoice(customer, amount_minor=1_000,
                                        status=InvoiceStatus.PAID).id
    for model, fields in (
        (Address, {"line1": f"Calle {customer.id}", "city": "Madrid", "is_default": True}),
        (WishlistItem, {"product": f"Lamp {customer.id}", "sku": "L-1"}),
        (Notification, {"subject": "Hello", "body": "Hi"}),
    ):
        row = model(customer_id=customer.id, **fields)
        db.session.add(row)
        db.session.commit()
        made[model.__name__] = row.id
    offer = Offer(title=f"Offer {customer.id}")
    db.session.add(offer)
    db.session.commit()
    event = OfferEvent(offer_id=offer.id, customer_id=customer.id, kind=OfferEventKind.REDEEMED)
    batch = ImportBatch(kind="customers", file_name="people.csv")
    db.session.add_all([event, batch])
    db.session.commit()
    change = ImportChange(batch_id=batch.id, record_id=customer.id, action=ImportAction.CREATED,
                          line=2, after={"first_name": customer.first_name})
    guest = make.guest(f"Guest of {customer.id}", customer_id=customer.id,
                       converted_at=datetime(2026, 1, 2))
    db.session.add(change)
    customer.marketing_opt_in = not customer.marketing_opt_in  # a consent log entry
    db.session.commit()
    made.update(OfferEvent=event.id, ImportChange=change.id, Guest=guest.id)
    points(customer, 40 + customer.id)
    return made


def test_a_merge_moves_every_record_and_every_cent_and_point(make, ana, bea):
    mine, theirs = everything_of(make, ana), everything_of(make, bea)
    scan = DuplicateScan()
    db.session.add(scan)
    db.session.flush()
    group = DuplicateGroup(scan_id=scan.id, reason="email", strength=0, size=2)
    db.session.add(group)
    db.session.flush()
    phones = DuplicateGroup(scan_id=scan.id, reason="phone", strength=2, size=3)
    db.session.add(phones)
    db.session.flush()
    db.session.add_all([DuplicateMember(group_id=group.id, customer_id=ana.id),
                        DuplicateMember(group_id=group.id, customer_id=bea.id),
                        *(DuplicateMember(group_id=phones.id, customer_id=make.customer().id)
                          for _ in range(2)),
                        DuplicateMember(group_id=phones.id, customer_id=bea.id)])
    db.session.commit()
    money_before = db.session.scalar(select(func.sum(Wallet.balance_minor)))
    points_before = ana.loyalty_points + bea.loyalty_points
    ana_id, bea_id = ana.id, bea.id

    shown, done = merge(ana, bea)

    assert shown.survivor.id == ana_id  # the oldest
    survivor, tombstone = fresh(Customer, ana_id), fresh(Customer, bea_id)
    # Money: every wallet is the survivor's, with its code, balance and history.
    for wallet_id in (theirs["wallet"], theirs["blocked"]):
        wallet = fresh(Wallet, wallet_id)
        assert wallet.customer_id == ana_id
        last = db.session.scalars(select(WalletTransaction).where(
            WalletTransaction.wallet_id == wallet_id).order_by(WalletTransaction.id.desc())).first()
        assert (last.kind, last.amount_minor, last.balance_after_minor, last.reason) == (
            WalletTxKind.OWNER_CHANGE, 0, wallet.balance_minor,
            f"Merged from #{bea_id} into #{ana_id}")
    assert db.session.scalar(select(func.sum(Wallet.balance_minor))) == money_before
    assert survivor.balance_minor == 2 * 2_500  # the blocked wallets count in no balance
    assert tombstone.balance_minor == 0
    # One store-credit wallet: the survivor's own; the moved one is a plain wallet now.
    assert fresh(Wallet, mine["wallet"]).is_store_credit
    assert not fresh(Wallet, theirs["wallet"]).is_store_credit
    # Points: a pair of movements, nothing left on the tombstone.
    assert survivor.loyalty_points == points_before and tombstone.loyalty_points == 0
    pair = db.session.scalars(select(LoyaltyTransaction).where(
        LoyaltyTransaction.kind == LoyaltyTxKind.MERGE).order_by(LoyaltyTransaction.id)).all()
    assert [(row.customer_id, row.points, row.reason) for row in pair] == [
        (bea_id, -(40 + bea_id), f"Merged into #{ana_id}"),
        (ana_id, 40 + bea_id, f"Merged from #{bea_id}")]
    # Every other record points to the survivor.
    for model, key in ((Address, "Address"), (WishlistItem, "WishlistItem"),
                       (Notification, "Notification"), (OfferEvent, "OfferEvent")):
        assert fresh(model, theirs[key]).customer_id == ana_id
    assert fresh(ImportChange, theirs["ImportChange"]).record_id == ana_id
    assert fresh(Guest, theirs["Guest"]).customer_id == ana_id
    assert db.session.scalar(select(func.count()).select_from(ConsentChange).where(
        ConsentChange.customer_id == bea_id)) == 0
    for model, kind in ((Order, "order"), (Order, "cancelled"), (Invoice, "invoice"),
                        (Invoice, "paid_invoice")):
        assert fresh(model, theirs[kind]).customer_id == ana_id
    # The survivor's default address stays the only default.
    defaults = db.session.scalars(select(Address.id).where(
        Address.customer_id == ana_id, Address.is_default)).all()
    assert defaults == [mine["Address"]]
    # Figures: from the orders that count; the larger limit, never below what is owed.
    assert (survivor.orders_count, survivor.sales_value_minor) == (2, 8_000)
    assert survivor.account_limit_minor == 30_000
    # The tombstone: points to the survivor, keeps its name, loses email and card.
    assert tombstone.merged_into_id == ana_id and tombstone.merged_at is not None
    assert (tombstone.email, tombstone.card_number, tombstone.surname) == (
        None, None, "Garcia Lopez")
    # The survivor took the card number nobody else had, and the newest email.
    assert survivor.card_number == "C-777" and survivor.email == "ana.garcia@example.com"
    # The duplicates page forgets the tombstone: the pair goes, the trio is two now.
    assert [(g.reason, g.size) for g in db.session.scalars(select(DuplicateGroup))] == [
        ("phone", 2)]
    assert row_count(DuplicateMember) == 2
    # The audit trail: one merge event on each, the survivor's listing what moved.
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.MERGE).order_by(AuditEvent.id)).all()
    assert [e.object_id for e in events] == [str(ana_id), str(bea_id)]
    moved = events[0].changes
    assert moved["merged_from"] == [None, [bea_id]]
    assert moved["orders"][1] == [theirs["order"], theirs["cancelled"]]
    assert sorted(moved["wallets"][1]) == sorted([theirs["wallet"], theirs["blocked"]])
    assert moved["guests"][1] == [theirs["Guest"]]
    assert events[1].changes == {"merged_into_id": [None, ana_id]}
    assert_ledger_clean()


def test_the_preview_is_what_happens(make, ana, bea):
    everything_of(make, ana)
    theirs = everything_of(make, bea)
    shown = preview(ana, bea)
    assert {kind: found.count for kind, found in shown.moved.items()} == {
        "orders": 2, "invoices": 2, "addresses": 1, "wishlist": 1, "offer_events": 1,
        "messages": 1, "consent_changes": 1, "guests": 1, "tombstones": 0,
        "import_changes": 1}
    assert [m.wallet.id for m in shown.wallets] == [theirs["wallet"], theirs["blocked"]]
    assert [(m.from_id, m.points) for m in shown.points] == [(bea.id, 40 + bea.id)]
    figures = (shown.balance_minor, shown.loyalty_points, shown.orders_count,
               shown.sales_value_minor, shown.account_limit_minor)
    _shown, done = merge(ana, bea)
    survivor = fresh(Customer, ana.id)
    assert figures == (survivor.balance_minor, survivor.loyalty_points, survivor.orders_count,
                       survivor.sales_value_minor, survivor.account_limit_minor)
    assert_ledger_clean()


def test_the_newest_value_is_proposed_and_a_chosen_one_is_taken(make):
    old = make.customer("Eva", "Ruiz", email="eva@old.example", phone="+34600000002",
                        created_at=datetime(2020, 1, 1), updated_at=datetime(2020, 1, 1))
    new = make.customer("Eva María", "Ruiz", email="eva@new.example",
                        created_at=datetime(2025, 1, 1), updated_at=datetime(2026, 1, 1),
                        marketing_opt_in=True, birthday=date(1990, 5, 4))
    shown = preview(old, new)
    by_name = {choice.name: choice for choice in shown.choices}
    assert set(by_name) == {"first_name", "email", "marketing_opt_in"}
    assert by_name["email"].default == new.id  # the most recently updated
    assert shown.taken == {"birthday": new.id}
    merge(old, new, chosen={"first_name": old.id})
    survivor = fresh(Customer, old.id)
    # The new email moved from the tombstone to the survivor (unique where given).
    assert (survivor.first_name, survivor.email, survivor.phone, survivor.birthday) == (
        "Eva", "eva@new.example", "+34600000002", date(1990, 5, 4))
    assert survivor.marketing_opt_in
    log = db.session.scalars(select(ConsentChange).where(
        ConsentChange.customer_id == old.id).order_by(ConsentChange.id)).all()
    assert [(c.opted_in, c.source) for c in log][-1] == (True, ConsentSource.MERGE)
    assert_ledger_clean()


def test_a_value_several_customers_share_is_offered_and_proposed_once(make):
    """Met in the preview: the newest customer's first name was also an older one's,
    offered under the older number, so no option was proposed at all."""
    first = make.customer("Zoe", "Ruiz", created_at=datetime(2020, 1, 1),
                          updated_at=datetime(2020, 1, 1))
    newest = make.customer("Zoe", "Ruiz", created_at=datetime(2021, 1, 1),
                           updated_at=datetime(2026, 1, 1))
    other = make.customer("Pablo", "Ruiz", created_at=datetime(2022, 1, 1),
                          updated_at=datetime(2022, 1, 1))
    [choice] = [c for c in preview(first, newest, other).choices if c.name == "first_name"]
    assert choice.options == [(first.id, "Zoe"), (other.id, "Pablo")]
    assert choice.default == first.id  # the newest's value, where it is offered
    # A choice made on an earlier preview, shown now under another customer's number.
    assert choice.option_for(newest.id) == first.id
    assert choice.option_for(other.id) == other.id
    assert choice.option_for(None) == choice.option_for(999_999) == first.id


def test_points_arriving_make_the_survivor_a_member(make):
    member = make.customer("Luis", "Soto", loyalty_member=True)
    points(member, 120)
    other = make.customer("Luis", "Soto", created_at=datetime(2001, 1, 1))
    merge(member, other)  # the older, not a member, is kept
    survivor = fresh(Customer, other.id)
    assert survivor.loyalty_member and survivor.loyalty_points == 120
    assert_ledger_clean()


def test_three_customers_merge_at_once_and_chains_resolve(make):
    a, b, c, d = (make.customer("Rosa", f"Vidal {n}") for n in range(4))
    wallets = [make.wallet(x) for x in (a, b, c, d)]
    for n, wallet in enumerate(wallets):
        top_up(wallet, 1_000 * (n + 1))
    merge(a, b, survivor=b)                 # a into b
    shown, _done = merge(b, c, d, survivor=d)  # b (holding a's) and c into d
    assert shown.moved["tombstones"].ids == [a.id]
    for tombstone in (a, b, c):
        assert fresh(Customer, tombstone.id).merged_into_id == d.id  # one step, always
    assert fresh(Customer, d.id).balance_minor == 10_000
    assert db.session.scalar(select(func.count(Wallet.id)).where(
        Wallet.customer_id == d.id)) == 4
    # a's wallet changed hands twice: two owner-change movements, amount 0.
    moves = db.session.scalars(select(WalletTransaction.reason).where(
        WalletTransaction.wallet_id == wallets[0].id,
        WalletTransaction.kind == WalletTxKind.OWNER_CHANGE).order_by(WalletTransaction.id))
    assert list(moves) == [f"Merged from #{a.id} into #{b.id}", f"Merged from #{b.id} into #{d.id}"]
    assert_ledger_clean()


def test_the_account_limit_never_ends_below_what_is_owed(make):
    a = make.customer("Pilar", "Ortega", account_limit_minor=10_000)
    b = make.customer("Pilar", "Ortega", account_limit_minor=8_000)
    make.invoice(a, amount_minor=9_000)
    make.invoice(b, amount_minor=7_000)
    shown, _done = merge(a, b)
    assert shown.unpaid_minor == 16_000 and shown.account_limit_minor == 16_000
    assert fresh(Customer, a.id).account_limit_minor == 16_000


def refusal_writes_nothing(call) -> str:
    before = table_counts()
    with pytest.raises(MergeError) as refused:
        call()
    db.session.rollback()
    assert table_counts() == before
    return str(refused.value)


def test_a_change_between_preview_and_merge_refuses_it(make, ana, bea):
    wallet = make.wallet(bea)
    top_up(wallet, 1_000)
    shown = preview(ana, bea)
    top_up(wallet, 1)  # a cent arrives in between
    message = refusal_writes_nothing(lambda: merging.merge(
        shown.survivor, shown.others, {}, actor=None, expected=shown.fingerprint))
    assert "changed since the preview" in message
    # So does an edit of a field, or a new order.
    shown = preview(ana, bea)
    make.order(bea)
    with pytest.raises(MergeChanged):
        merging.merge(fresh(Customer, ana.id), [fresh(Customer, bea.id)], {}, actor=None,
                      expected=shown.fingerprint)
    db.session.rollback()
    assert fresh(Customer, bea.id).merged_into_id is None
    assert_ledger_clean()


def test_merging_a_customer_into_itself_is_refused(ana, bea):
    shown = preview(ana, bea)
    message = refusal_writes_nothing(lambda: merging.merge(
        ana, [ana], {}, actor=None, expected=shown.fingerprint))
    assert message == "A customer cannot be merged into itself."
    with pytest.raises(MergeError, match="at least two"):
        merging.plan(merging.customers_for([ana.id, ana.id]))


def test_tombstones_erased_and_unknown_customers_are_refused(make, ana, bea):
    carla = make.customer("Carla", "Pons")
    merge(ana, bea)
    with pytest.raises(MergeError, match="already merged into"):
        merging.customers_for([bea.id, carla.id])
    refusal_writes_nothing(lambda: merging.merge(
        carla, [fresh(Customer, bea.id)], {}, actor=None, expected="x"))
    carla.erased_at = datetime(2026, 1, 1)
    db.session.commit()
    with pytest.raises(MergeError, match="erased"):
        merging.customers_for([ana.id, carla.id])
    with pytest.raises(MergeError, match="no customer #999"):
        merging.customers_for([ana.id, 999])
    with pytest.raises(MergeError, match="not a customer number"):
        merging.parse_ids("1,abc")
    with pytest.raises(MergeError, match="must be one of"):
        merging.plan(merging.customers_for([ana.id, make.customer().id]), survivor_id=carla.id)


def test_a_chosen_value_of_another_customer_is_refused(make, ana, bea):
    stranger = make.customer()
    shown = preview(ana, bea)
    refusal_writes_nothing(lambda: merging.merge(
        shown.survivor, shown.others, {"email": stranger.id}, actor=None,
        expected=shown.fingerprint))


def test_owner_change_needs_a_new_owner(make, ana):
    wallet = make.wallet(ana)
    with pytest.raises(ledger.LedgerError, match="already belongs"):
        ledger.change_owner(wallet, ana, actor=None, reason="Test")


# -- concurrency ---------------------------------------------------------------------------

ROUNDS = 12     # of top-ups racing a merge attempt
PER_ROUND = 3   # top-ups per thread and round


class Race:
    """Tills adding balance, and a merger, in rounds: the merger reads its preview
    while the tills wait, then merges while they add balance. In the first half of
    the rounds the tills race the merge freely (a top-up that goes first makes the
    merge refuse its stale preview); in the second half they wait until the merge
    holds its locks, so on a machine of any speed the merge lands, with top-ups
    queued behind it."""

    def __init__(self, app, ids: list[int]):
        self.app, self.ids = app, ids
        self.previewed = threading.Barrier(5, timeout=60)
        self.round_over = threading.Barrier(5, timeout=60)
        self.errors: list[str] = []
        self.top_ups: list[tuple[float, float]] = []  # (began, committed)
        self.merged: list[tuple[int, float, float]] = []  # (round, began, committed)
        self.merge_locked = threading.Event()  # set by the test's hook on customers_for

    def in_rounds(self, each_round):
        with self.app.app_context():
            try:
                for round_ in range(ROUNDS):
                    each_round(round_)
            except threading.BrokenBarrierError:
                self.errors.append("a thread never reached the end of a round")
            db.session.remove()

    def till(self, wallet_ids: list[int]):
        def each_round(round_):
            self.previewed.wait()
            merge_first = round_ >= ROUNDS // 2 and not self.merged
            if merge_first and not self.merge_locked.wait(timeout=60):
                self.errors.append("the merge never took its locks")
            for n in range(PER_ROUND):
                if not merge_first:
                    # Tills at different paces: the merge gets its locks first, or not.
                    time.sleep(random.uniform(0, 0.02))
                began = time.monotonic()
                try:
                    ledger.add_balance(db.session.get(Wallet, wallet_ids[(round_ + n) % 2]),
                                       100 + n, actor=None, reason="Concurrent",
                                       idempotency_key=next(keys))
                    db.session.commit()
                    self.top_ups.append((began, time.monotonic()))
                except Exception as error:  # any failure here is a lost top-up
                    db.session.rollback()
                    self.errors.append(repr(error))
            self.round_over.wait()
        self.in_rounds(each_round)

    def merger(self):
        def each_round(round_):
            shown = None
            if not self.merged:
                shown = merging.plan(merging.customers_for(self.ids), self.ids[0])
                db.session.rollback()  # the preview's request ends here
            self.merge_locked.clear()
            self.previewed.wait()
            if shown is not None:
                self.merge(round_, shown.fingerprint)
            self.round_over.wait()
        self.in_rounds(each_round)

    def merge(self, round_: int, fingerprint: str):
        began = time.monotonic()
        try:
            merging.merge(fresh(Customer, self.ids[0]), [fresh(Customer, i) for i in self.ids[1:]],
                          {}, actor=None, expected=fingerprint)
            db.session.commit()
            self.merged.append((round_, began, time.monotonic()))
        except MergeChanged:
            db.session.rollback()  # a top-up went first: a new preview next round
        except Exception as error:
            db.session.rollback()
            self.errors.append(repr(error))


@pytest.mark.slow
def test_merging_while_balance_is_added_loses_nothing_and_never_deadlocks(app, make, monkeypatch):
    """Three customers are merged while four threads add balance to their six
    wallets. On PostgreSQL the rows are locked (customers, then wallets); on SQLite
    the writers are serialised by the database's one write lock (busy timeout)."""
    people = [make.customer("Hugo", f"Blanco {n}", loyalty_member=True) for n in range(3)]
    wallets = [make.wallet(person) for person in people for _ in range(2)]
    for wallet in wallets:
        top_up(wallet, 10_000)
    points(people[1], 50)
    ids, wallet_ids = [p.id for p in people], [w.id for w in wallets]
    race = Race(app, ids)
    locking = merging.customers_for

    def customers_for(ids, *, lock=False):
        found = locking(ids, lock=lock)
        if lock:
            race.merge_locked.set()
        return found
    monkeypatch.setattr(merging, "customers_for", customers_for)
    threads = [threading.Thread(target=race.till, args=(wallet_ids[i::4] * 2,))
               for i in range(4)]
    threads.append(threading.Thread(target=race.merger))
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a deadlock, or a lock never freed"
    assert time.monotonic() - began < 180
    assert race.errors == []
    assert len(race.merged) == 1 and race.merged[0][0] < ROUNDS - 1
    # The race was real: top-ups began while the merge held its locks, and went
    # through once it committed (onto wallets that had changed owner meanwhile).
    _round, merge_began, merge_ended = race.merged[0]
    assert any(began < merge_ended < ended for began, ended in race.top_ups)
    added = 4 * ROUNDS * sum(100 + n for n in range(PER_ROUND))
    assert len(race.top_ups) == 4 * ROUNDS * PER_ROUND
    db.session.expire_all()
    assert db.session.scalar(select(func.sum(Wallet.balance_minor))) == 6 * 10_000 + added
    assert row_count(WalletTransaction) == 6 + 4 * ROUNDS * PER_ROUND + 4  # + 4 owner changes
    survivor = fresh(Customer, ids[0])
    assert survivor.balance_minor == 6 * 10_000 + added
    assert survivor.loyalty_points == 50
    assert all(w.customer_id == ids[0] for w in db.session.scalars(select(Wallet)))
    assert ledger.verify() == []


def test_a_kind_of_record_added_to_what_the_merge_finds_is_moved_too(make, ana, bea,
                                                                     monkeypatch):
    """A developer adds a table that points to a customer to merging._sources()
    (the recipe's step 7): the merge moves its rows, with no second list to update."""
    listed = merging._sources()
    listed["gift_wishes"] = listed.pop("wishlist")  # as a new kind would arrive
    monkeypatch.setattr(merging, "_sources", lambda: dict(listed))
    wish = WishlistItem(customer_id=bea.id, product="Scarf", sku="SC-1")
    db.session.add(wish)
    db.session.commit()
    merge(ana, bea, survivor=ana)
    assert fresh(WishlistItem, wish.id).customer_id == ana.id
