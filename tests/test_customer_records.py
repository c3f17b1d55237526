"""Every table that points to a customer (or a guest) is handled by the three things
that follow a person: a merge moves it to the customer kept, the access export
includes it, an erasure removes, replaces or keeps it for a stated reason. A new
table fails here until each of the three has been told (see docs/adding-a-view.md)."""
from __future__ import annotations

from admin_app.extensions import db
from admin_app.services import merging, personal_data

# What an erasure (services/erasure.py) does with each table that points to a person.
ERASURE = {
    "addresses": "deleted",
    "wishlist_items": "deleted",
    "duplicate_members": "deleted (duplicates.forget)",
    "notifications": "recipient, subject and text replaced; dates and kinds kept",
    "guests": "the same person's guest records lose name, email and phone",
    "customers": "customers merged into the one erased are erased with it",
    "orders": "kept by amount and date",
    "wallets": "kept: the ledger",
    "loyalty_transactions": "kept: the ledger",
    "invoices": "kept with the billing name and tax ID: the tax authority",
    "offer_events": "kept: an offer and a date, nothing personal",
    "consent_changes": "kept, with the erasure's own change: the proof of consent",
}
# Moved by the ledger (an owner change, a merge pair), not re-pointed by the merge.
MOVED_BY_THE_LEDGER = {"wallets", "loyalty_transactions"}
# Not the person's data: the duplicates scan's own bookkeeping.
NOT_EXPORTED = {"duplicate_members"}
PEOPLE = ("customers", "guests")


def _tables_pointing_to_a_person() -> set[str]:
    found = set()
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            points = any(fk.column.table.name in PEOPLE for fk in column.foreign_keys)
            # Tombstone links have no foreign key (see models.py): found by name.
            if points or column.name in ("customer_id", "merged_into_id"):
                found.add(table.name)
    return found


def _tables_the_merge_moves() -> set[str]:
    return {column.table.name for pair in merging._sources().values() for column in pair}


def _tables_the_export_reads() -> set[str]:
    found = set()
    for section in personal_data.SECTIONS:
        for selectable in section.query(0).get_final_froms():
            found.update(t.name for t in selectable._from_objects if hasattr(t, "name"))
    return found


def test_an_erasure_has_a_rule_for_every_table_that_points_to_a_person():
    assert _tables_pointing_to_a_person() == set(ERASURE), (
        "say in services/erasure.py what an erasure does with the new table, then here")


def test_a_merge_moves_every_table_that_points_to_a_customer():
    missing = _tables_pointing_to_a_person() - _tables_the_merge_moves() - MOVED_BY_THE_LEDGER
    assert not missing, f"services/merging.py _sources() does not move {missing}"


def test_the_access_export_reads_every_table_that_points_to_a_person():
    missing = _tables_pointing_to_a_person() - _tables_the_export_reads() - NOT_EXPORTED
    assert not missing, f"services/personal_data.py SECTIONS do not read {missing}"
