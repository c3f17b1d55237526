"""Who may do what: the role table of the domain, one capability per row."""
from __future__ import annotations

from ..choices import Role

VIEW = "view"                # see lists, details, history
EXPORT = "export"            # export lists
EDIT = "edit"                # create / edit customers, guests, groups
MONEY = "money"              # add or deduct balance, adjust points, account limits
MANAGE = "manage"            # import files, blacklist, discount codes, wallets' status
DELETE = "delete"            # delete records
CUSTOMER_DATA = "customer_data"  # merge customers, export a customer's personal data
ERASE = "erase"              # erase a customer's personal data
ADMINISTER = "administer"    # admin users, roles, the audit log

MINIMUM_ROLE = {
    VIEW: Role.VIEWER,
    EXPORT: Role.OPERATOR,
    EDIT: Role.OPERATOR,
    MONEY: Role.MANAGER,
    MANAGE: Role.MANAGER,
    DELETE: Role.MANAGER,
    CUSTOMER_DATA: Role.MANAGER,
    ERASE: Role.ADMIN,
    ADMINISTER: Role.ADMIN,
}


def can(user, capability: str) -> bool:
    """True when ``user`` is a logged-in, active admin user whose role allows it."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return Role.rank(user.role) >= Role.rank(MINIMUM_ROLE[capability])


def needs(capability: str):
    """Marks a view's own page (an ``@expose``d method) with who may use it; the
    base view checks the mark before the page runs, for every request method."""
    def mark(page):
        page.capability = capability
        return page
    return mark


def least_demanding(*capabilities: str) -> str:
    """Of these capabilities, the one the lowest role has."""
    return min(capabilities, key=lambda capability: Role.rank(MINIMUM_ROLE[capability]))
