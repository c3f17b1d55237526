"""An import's undo after a merge of one of its customers: what the import recorded
no longer describes one record, so the undo is refused and the customer kept (with
their orders) stays as it is."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from admin_app.choices import OrderStatus, Role
from admin_app.extensions import db
from admin_app.models import Customer, ImportBatch, Order
from admin_app.services import imports, merging
from admin_app.services.errors import DomainError


def _imported(users, content: bytes) -> ImportBatch:
    batch, _ = imports.preview("customers", "list.csv", content, actor=users[Role.ADMIN])
    db.session.commit()
    imports.apply(batch, actor=users[Role.ADMIN])
    db.session.commit()
    return batch


def _merge(kept: Customer, other: Customer, admin) -> None:
    shown = merging.plan(merging.customers_for([kept.id, other.id]), kept.id)
    merging.merge(shown.survivor, shown.others, {}, actor=admin, expected=shown.fingerprint)
    db.session.commit()


def test_undoing_an_import_never_deletes_the_customer_a_merge_kept(make, users):
    ana = make.customer("Ana", "Garcia", created_at=datetime(2020, 1, 1))
    order = make.order(ana, total_minor=4_000, status=OrderStatus.DELIVERED)
    db.session.commit()
    batch = _imported(users, b"First name,Surname,Email\nAna,Garcia,ana.g@example.com\n")
    imported = db.session.scalars(select(Customer).filter_by(email="ana.g@example.com")).one()
    _merge(ana, imported, users[Role.ADMIN])

    with pytest.raises(DomainError):
        imports.undo(db.session.get(ImportBatch, batch.id))
    db.session.rollback()
    assert db.session.get(Customer, ana.id) is not None
    assert db.session.get(Order, order.id).customer_id == ana.id


def test_undoing_an_update_never_writes_a_merged_customers_old_values_on_the_one_kept(
        make, users):
    ana = make.customer("Ana", "Garcia", email="ana@example.com", postcode="28001",
                        created_at=datetime(2020, 1, 1))
    other = make.customer("Ana", "García Old", email="ana.old@example.com", postcode="41001")
    db.session.commit()
    batch = _imported(users, b"First name,Surname,Email,Postcode\n"
                             b"Ana,Garcia Old,ana.old@example.com,08002\n")
    _merge(ana, db.session.get(Customer, other.id), users[Role.ADMIN])

    with pytest.raises(DomainError):
        imports.undo(db.session.get(ImportBatch, batch.id))
    db.session.rollback()
    assert db.session.get(Customer, ana.id).postcode in ("28001", "08002")
