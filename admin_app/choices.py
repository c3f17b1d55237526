"""Fixed value sets of the domain: stored as short strings, shown as translated labels."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext


class Choices:
    """A closed set of stored values, each with a translatable label.

    Subclasses declare ``LABELS`` (value -> lazy label) in display order.
    """

    LABELS: dict[str, object] = {}
    # Where a value deserves a coloured badge in lists (value -> Bootstrap colour).
    BADGES: dict[str, str] = {}

    @classmethod
    def values(cls) -> list[str]:
        return list(cls.LABELS)

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        return list(cls.LABELS.items())

    @classmethod
    def label(cls, value: str | None) -> str:
        return str(cls.LABELS.get(value, value or ""))

    @classmethod
    def badge(cls, value: str | None) -> str | None:
        """The Bootstrap colour of the value's badge, or None for plain text."""
        return cls.BADGES.get(value)

    @classmethod
    def check_sql(cls, column: str) -> str:
        quoted = ", ".join(f"'{v}'" for v in cls.LABELS)
        return f"{column} IN ({quoted})"


class Role(Choices):
    VIEWER, OPERATOR, MANAGER, ADMIN = "viewer", "operator", "manager", "admin"
    LABELS = {
        VIEWER: _l("Viewer"),
        OPERATOR: _l("Operator"),
        MANAGER: _l("Manager"),
        ADMIN: _l("Admin"),
    }

    @classmethod
    def rank(cls, role: str | None) -> int:
        """Roles are ordered: each one can do everything the ones before it can."""
        return cls.values().index(role) if role in cls.LABELS else -1


class Language(Choices):
    EN, ES = "en", "es"
    LABELS = {EN: "English", ES: "Español"}


class Channel(Choices):
    IN_STORE, ONLINE = "in_store", "online"
    LABELS = {IN_STORE: _l("In store"), ONLINE: _l("Online")}


class OrderType(Choices):
    IN_STORE, ONLINE, PHONE, ON_ACCOUNT = "in_store", "online", "phone", "on_account"
    LABELS = {
        IN_STORE: _l("In store"),
        ONLINE: _l("Online"),
        PHONE: _l("Phone"),
        ON_ACCOUNT: _l("On account"),
    }


class OrderStatus(Choices):
    PLACED, PAID, SHIPPED = "placed", "paid", "shipped"
    DELIVERED, CANCELLED, RETURNED = "delivered", "cancelled", "returned"
    LABELS = {
        PLACED: _l("Placed"),
        # An order is "pagado" in Spanish where an invoice is "pagada".
        PAID: lazy_pgettext("order status", "Paid"),
        SHIPPED: _l("Shipped"),
        DELIVERED: _l("Delivered"),
        CANCELLED: _l("Cancelled"),
        RETURNED: _l("Returned"),
    }
    BADGES = {PLACED: "info", PAID: "primary", SHIPPED: "warning", DELIVERED: "success",
              CANCELLED: "secondary", RETURNED: "dark"}


class BlacklistReason(Choices):
    REFUSED_ORDERS, RETURNS_FRAUD = "refused_orders", "returns_fraud"
    STAFF_ABUSE, FAKE_ORDERS, OTHER = "staff_abuse", "fake_orders", "other"
    LABELS = {
        REFUSED_ORDERS: _l("Frequent refusal to accept orders"),
        RETURNS_FRAUD: _l("Misuse of returns or fraud"),
        STAFF_ABUSE: _l("Inappropriate behaviour towards staff"),
        FAKE_ORDERS: _l("Fake orders"),
        OTHER: _l("Other"),
    }


class DiscountKind(Choices):
    PERCENT, FIXED = "percent", "fixed"
    LABELS = {PERCENT: _l("Percent"), FIXED: _l("Fixed amount")}


class WalletStatus(Choices):
    ACTIVE, BLOCKED = "active", "blocked"
    LABELS = {ACTIVE: _l("Active"), BLOCKED: _l("Blocked")}
    BADGES = {ACTIVE: "success", BLOCKED: "danger"}


class WalletTxKind(Choices):
    TOP_UP, DEDUCTION, PAYMENT = "top_up", "deduction", "payment"
    REFUND, EXPIRY, ADJUSTMENT = "refund", "expiry", "adjustment"
    # The wallet passed to another customer (a merge): no amount moves, the
    # movement is the record of who held the balance when.
    OWNER_CHANGE = "owner_change"
    LABELS = {
        TOP_UP: _l("Top-up"),
        DEDUCTION: _l("Deduction"),
        PAYMENT: _l("Payment"),
        REFUND: _l("Refund"),
        EXPIRY: _l("Expiry"),
        ADJUSTMENT: _l("Adjustment"),
        OWNER_CHANGE: _l("Owner change"),
    }


class LoyaltyTxKind(Choices):
    EARNED, REDEEMED, ADJUSTMENT, EXPIRY = "earned", "redeemed", "adjustment", "expiry"
    # Points carried from a merged-away customer to the one kept: a pair of
    # movements, "merged into #id" on the one and "merged from #id" on the other.
    MERGE = "merge"
    LABELS = {
        EARNED: _l("Earned"),
        REDEEMED: _l("Redeemed"),
        ADJUSTMENT: _l("Adjustment"),
        EXPIRY: _l("Expiry"),
        MERGE: _l("Merge"),
    }


class OfferEventKind(Choices):
    CLAIMED, REDEEMED, FAVOURITED = "claimed", "redeemed", "favourited"
    LABELS = {
        CLAIMED: _l("Claimed"),
        REDEEMED: _l("Redeemed"),
        FAVOURITED: _l("Favourited"),
    }


class InvoiceStatus(Choices):
    UNPAID, PAID, VOID = "unpaid", "paid", "void"
    LABELS = {UNPAID: _l("Unpaid"), PAID: _l("Paid"), VOID: _l("Void")}
    BADGES = {UNPAID: "warning", PAID: "success", VOID: "secondary"}


class NotificationChannel(Choices):
    EMAIL, SMS = "email", "sms"
    LABELS = {EMAIL: _l("Email"), SMS: _l("SMS")}


class NotificationKind(Choices):
    """What a message is about: how the outbox shows it and what its delivery adds."""

    BALANCE_CHANGED, PASSWORD_RESET = "balance_changed", "password_reset"
    LABELS = {BALANCE_CHANGED: _l("Balance change"),
              PASSWORD_RESET: _l("Password reset link")}


class NotificationStatus(Choices):
    QUEUED, SENDING, SENT, FAILED, NOT_SENDABLE = (
        "queued", "sending", "sent", "failed", "not_sendable")
    LABELS = {QUEUED: _l("Queued"), SENDING: _l("Sending"), SENT: _l("Sent"),
              FAILED: _l("Failed"), NOT_SENDABLE: _l("Not sendable")}
    BADGES = {QUEUED: "info", SENDING: "info", SENT: "success", FAILED: "danger",
              NOT_SENDABLE: "warning"}


class JobStatus(Choices):
    """Where a job run by the worker stands (see admin_app/jobs/)."""

    QUEUED, RUNNING, DONE, FAILED, ROLLED_BACK = (
        "queued", "running", "done", "failed", "rolled_back")
    LABELS = {QUEUED: _l("Waiting"), RUNNING: _l("Running"), DONE: _l("Done"),
              FAILED: _l("Failed"), ROLLED_BACK: _l("Rolled back")}
    BADGES = {QUEUED: "info", RUNNING: "info", DONE: "success", FAILED: "danger",
              ROLLED_BACK: "secondary"}


class ImportStatus(Choices):
    # While a job applies or undoes a batch, its Job row says so (status unchanged).
    PREVIEWED, APPLIED, UNDONE, DISCARDED = "previewed", "applied", "undone", "discarded"
    LABELS = {
        PREVIEWED: _l("Previewed"),
        APPLIED: _l("Applied"),
        UNDONE: _l("Undone"),
        DISCARDED: _l("Discarded"),
    }
    BADGES = {PREVIEWED: "info", APPLIED: "success", UNDONE: "secondary", DISCARDED: "light"}


class ImportAction(Choices):
    CREATED, UPDATED = "created", "updated"
    LABELS = {CREATED: _l("Created"), UPDATED: _l("Updated")}


class AuditAction(Choices):
    CREATE, UPDATE, DELETE = "create", "update", "delete"
    LOGIN, LOGIN_FAILED, LOGOUT = "login", "login_failed", "logout"
    EXPORT, IMPORT, IMPORT_UNDO, SHARE, REFUSED = (
        "export", "import", "import_undo", "share", "refused")
    RESET_SENT, RESET_USED, RESEND = "reset_sent", "reset_used", "resend"
    MERGE, GUEST_CONVERTED = "merge", "guest_converted"
    PERSONAL_DATA_EXPORT, ERASURE = "personal_data_export", "erasure"
    LABELS = {
        CREATE: _l("Created"),
        UPDATE: _l("Changed"),
        DELETE: _l("Deleted"),
        LOGIN: _l("Logged in"),
        LOGIN_FAILED: _l("Failed login"),
        LOGOUT: _l("Logged out"),
        EXPORT: _l("Exported"),
        IMPORT: _l("Imported"),
        IMPORT_UNDO: _l("Import undone"),
        SHARE: _l("Share link made"),
        REFUSED: _l("Refused"),
        RESET_SENT: _l("Password reset link sent"),
        RESET_USED: _l("Password reset"),
        RESEND: _l("Sent again"),
        MERGE: _l("Merged"),
        GUEST_CONVERTED: _l("Guest made a customer"),
        PERSONAL_DATA_EXPORT: _l("Personal data exported"),
        ERASURE: _l("Personal data erased"),
    }


class ConsentSource(Choices):
    """Where a change of a customer's marketing opt-in came from."""

    FORM, IMPORT, MERGE, ERASURE = "form", "import", "merge", "erasure"
    # "Import" the source is a noun ("Importación"), "Import" the button a verb.
    LABELS = {FORM: _l("Form"), IMPORT: lazy_pgettext("consent source", "Import"),
              MERGE: _l("Merge"), ERASURE: _l("Erasure")}


class DuplicateReason(Choices):
    """Why customers (and guests) look like one person, strongest first: the order
    of the labels is the order of the duplicates page."""

    EMAIL, CARD, PHONE = "email", "card", "phone"
    NAME_BIRTHDAY, NAME_POSTCODE = "name_birthday", "name_postcode"
    LABELS = {
        EMAIL: _l("Same email"),
        CARD: _l("Same card number"),
        PHONE: _l("Same phone"),
        NAME_BIRTHDAY: _l("Same name and birthday"),
        NAME_POSTCODE: _l("Same name and postcode"),
    }

    @classmethod
    def strength(cls, value: str) -> int:
        """0 for the strongest reason, then 1, 2...: what the page sorts by."""
        return cls.values().index(value)


class MovementReason(Choices):
    """Reasons the system (the tills, the seed, expiry) gives wallet and points
    movements. Stored in English, shown in the reader's language; a reason staff
    typed is shown as typed."""

    PURCHASE, REFUND, REWARD = "Purchase", "Refund", "Reward"
    CREDIT_EXPIRED, GIFT_CARD_SALE = "Credit expired", "Gift card sale"
    LABELS = {
        PURCHASE: _l("Purchase"),
        REFUND: _l("Refund"),
        REWARD: _l("Reward"),
        CREDIT_EXPIRED: _l("Credit expired"),
        GIFT_CARD_SALE: _l("Gift card sale"),
        "Refund as store credit": _l("Refund as store credit"),
        "Campaign credit": _l("Campaign credit"),
        "Goodwill gesture": _l("Goodwill gesture"),
        "Returned item": _l("Returned item"),
    }

    # What a merge writes (services/merging.py), with the customers' numbers in it.
    MERGE_REASONS = (
        (re.compile(r"Merged from #(\d+) into #(\d+)"),
         lambda m: _l("Merged from #%(from_id)s into #%(into_id)s", from_id=m[1], into_id=m[2])),
        (re.compile(r"Merged into #(\d+)"), lambda m: _l("Merged into #%(id)s", id=m[1])),
        (re.compile(r"Merged from #(\d+)"), lambda m: _l("Merged from #%(id)s", id=m[1])),
    )

    @classmethod
    def label(cls, value: str | None) -> str:
        for pattern, label in cls.MERGE_REASONS:
            match = pattern.fullmatch(value or "")
            if match:
                return str(label(match))
        # Rows written before reasons were stored in English hold the writer's
        # language ("Compra"): those are recognised too.
        return str(cls.LABELS.get(cls._in_english().get(value or "", value or ""),
                                  value or ""))

    _from_spanish: dict[str, str] | None = None

    @classmethod
    def _in_english(cls) -> dict[str, str]:
        if cls._from_spanish is None:
            from flask_babel import force_locale  # needs an app: read when first shown

            with force_locale("es"):
                cls._from_spanish = {str(label): value for value, label in cls.LABELS.items()}
        return cls._from_spanish
