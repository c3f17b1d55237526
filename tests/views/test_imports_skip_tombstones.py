"""An import never updates a tombstone: a customer merged away keeps its phone for
the record, and a row with that phone must reach a live customer or a new one."""
from __future__ import annotations

from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import Customer, utcnow

from ..pages import apply_import, batch_id, upload

CUSTOMERS = "/admin/customers/import/"


def test_a_row_matching_only_a_tombstone_creates_a_customer(manager, make):
    survivor = make.customer("Ana", "Ruiz", email="ana@example.com")
    tombstone = make.customer("Ana", "Ruiz Old", phone="+34600111222", postcode="28001")
    tombstone.merged_into_id, tombstone.merged_at = survivor.id, utcnow()
    db.session.commit()

    content = "First name,Surname,Phone,Postcode\r\nAna,Ruiz Nueva,+34600111222,08002\r\n"
    apply_import(manager, CUSTOMERS, batch_id(upload(manager, CUSTOMERS, content)))

    db.session.expire_all()
    kept = db.session.get(Customer, tombstone.id)
    assert (kept.surname, kept.postcode) == ("Ruiz Old", "28001")
    created = db.session.scalar(select(Customer).where(Customer.surname == "Ruiz Nueva"))
    assert created is not None and created.merged_into_id is None
