"""The blacklist: which entry a phone is on, and who holds a blacklisted phone."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import BlacklistEntry, Customer, Guest


def entry_for(phone: str | None) -> BlacklistEntry | None:
    """The blacklist entry of this phone (E.164, as both keep it), or None."""
    if not phone:
        return None
    return db.session.scalar(select(BlacklistEntry).where(BlacklistEntry.phone == phone))


# A number shared by more people than this is shown with "and N more".
HOLDERS_SHOWN = 3


def holders(phones: list[str]) -> dict[str, list[Customer | Guest]]:
    """The customers, then the guests, who hold each of these phones: two
    queries through the phone indexes, however many numbers a page lists."""
    found: dict[str, list[Customer | Guest]] = {phone: [] for phone in phones}
    if not phones:
        return found
    for model, order in ((Customer, Customer.sort_name), (Guest, Guest.name)):
        rows = db.session.scalars(select(model).where(model.phone.in_(phones))
                                  .order_by(model.phone, order, model.id))
        for person in rows:
            found[person.phone].append(person)
    return found
