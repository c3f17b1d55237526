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
    customers = db.session.scalars(select(Customer).where(Customer.phone.in_(phones))
                                   .order_by(Customer.sort_name, Customer.id))
    guests = db.session.scalars(select(Guest).where(Guest.phone.in_(phones))
                                .order_by(Guest.name, Guest.id))
    for person in [*customers, *guests]:
        if person.phone is not None:
            found[person.phone].append(person)
    return found
