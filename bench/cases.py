"""The page cases, each as a URL on both apps.

Query arguments are read from the registered view objects, never written by
hand: the sort index from the view's list columns, filter arguments from its
filters (found by column and operation), so a reordered column or filter
still gives the case it names.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

import dataset  # noqa: F401 - makes the project importable
from apps import OURS
from flask import url_for
from flask_admin.model.filters import BaseDateTimeBetweenFilter
from samples import Samples

from admin_app.models import Customer, Wallet, WalletTransaction

SURNAME_FRAGMENT = "garc"
SALE_CODE_START = "s0000123"  # the seed's sale codes are S and nine digits
PHONE_FRAGMENT = "600 12"
NO_MATCH = "zzzq"


def rare_fragment(samples: Samples) -> str:
    """The sample's email before its last digits ("lucia.garcia5000" of
    "lucia.garcia500000@..."): the same name and few ids share it."""
    return samples.email.split("@")[0][:-2]

# One <td class="col-..."> per column of each listed row (Flask-Admin's list template).
ROW_CELL = re.compile(r'<td class="col-')


@dataclass(frozen=True)
class Expect:
    """What a good page shows: rows in its list, and the text the case looked for."""
    rows: bool = True
    text: Callable[[Samples], str] | None = None

    def problem(self, html: str, samples: Samples) -> str | None:
        # An invalid filter is only flashed: the list would be timed unfiltered.
        if "alert-danger" in html:
            return "the page shows an error message"
        first_row = ROW_CELL.search(html)
        if self.rows and not first_row:
            return "the list is empty"
        # Looked for in the rows, not in the search box that repeats it.
        shown = html[first_row.start():] if first_row else html
        if self.text and self.text(samples).lower() not in shown.lower():
            return f"the rows lack {self.text(samples)!r}"
        return None


@dataclass(frozen=True)
class Spec:
    """A case before its URLs: which page, its query arguments, what it should show."""
    key: str  # for --cases
    label: str  # in the table; may name the samples: {s.deep_page}
    endpoint: str
    args: Callable  # (view, samples) -> query arguments
    expect: Expect = Expect()
    view: str = "index_view"
    compared: bool = True  # False: a page the plain ModelView has no equivalent of


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    urls: dict[str, str]  # app kind -> URL
    check: Callable[[str], str | None]  # page HTML -> what is wrong, or None
    errors: dict[str, str]  # app kind -> why the case fails there (ours lost a column)
    # App kinds with no such page, sort or filter: the plain ModelView has only
    # Flask-Admin's own (no group sort, no blacklisted filter), so nothing to compare.
    no_equivalent_on: frozenset[str] = frozenset()


# -- reading arguments from a view ---------------------------------------------------

def find_view(app, endpoint: str):
    for admin in app.extensions["admin"]:
        for view in admin._views:
            if view.endpoint == endpoint:
                return view
    raise LookupError(f"no admin view with endpoint {endpoint!r}")


def filter_arg(view, column, operations: tuple[str, ...], value_for: Callable) -> dict:
    """``{"flt0_<name>": value}`` for the view's filter on ``column`` whose operation
    is one of ``operations`` (in English); ``value_for(filter)`` writes the value
    the way that filter reads it."""
    wanted = _column_id(column)
    for index, flt in enumerate(view._filters or ()):
        if _column_id(getattr(flt, "column", None)) == wanted and \
                str(flt.operation()).lower() in operations:
            return {f"flt0_{view.get_filter_arg(index, flt)}": value_for(flt)}
    raise LookupError(f"{view.endpoint}: no filter {'/'.join(operations)} on {wanted}")


def _column_id(column) -> tuple[str, str] | None:
    # An ORM attribute (ours) or a table column (Flask-Admin's scaffolded filters).
    column = getattr(column, "expression", column)
    table, name = getattr(getattr(column, "table", None), "name", None), \
        getattr(column, "name", None)
    return (table, name) if table and name else None


def sort_args(view, column: str, descending: bool) -> dict:
    names = [name for name, _label in view._list_columns]
    if column not in names or column not in view._sortable_columns:
        raise LookupError(f"{view.endpoint}: {column!r} is not a sortable list column")
    return {"sort": names.index(column), "desc": int(descending)}


def day_range(start, end):
    """A range of days as the filter reads it: ours takes days, a plain
    DateTime filter takes times."""
    def value_for(flt) -> str:
        if isinstance(flt, BaseDateTimeBetweenFilter):
            return f"{start:%Y-%m-%d} 00:00:00 to {end:%Y-%m-%d} 23:59:59"
        return f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"
    return value_for


def day_month_range(start, end):
    """Days and months as the bench operator's English writes them (12/20)."""
    return lambda flt: f"{start:%m/%d} to {end:%m/%d}"


def sort_spec(column: str, descending: bool) -> Spec:
    """The customer list sorted by one of its columns (key sort-<column>[-desc])."""
    words = column.replace("_", " ")
    return Spec(f"sort-{column.replace('_', '-')}{'-desc' if descending else ''}",
                f"sort by {words}{', descending' if descending else ''}", "customers",
                lambda v, s: sort_args(v, column, descending))


# -- the cases ------------------------------------------------------------------------

SPECS = (
    Spec("customers", "customers, page 1", "customers", lambda v, s: {}),
    Spec("deep-page", "customers, deep page (page={s.deep_page:,})", "customers",
         lambda v, s: {"page": s.deep_page}),
    Spec("search-surname", f'search a surname fragment ("{SURNAME_FRAGMENT}")', "customers",
         lambda v, s: {"search": SURNAME_FRAGMENT}, Expect(text=lambda s: SURNAME_FRAGMENT)),
    Spec("search-email", "search an exact email", "customers",
         lambda v, s: {"search": s.email}, Expect(text=lambda s: s.email)),
    Spec("search-phone", f'search a phone fragment ("{PHONE_FRAGMENT}")', "customers",
         lambda v, s: {"search": PHONE_FRAGMENT}),
    *(Spec(f"search-{typed.replace(' ', '-')}", f'search "{typed}"', "customers",
           lambda v, s, typed=typed: {"search": typed},
           Expect(text=lambda s, shown=shown: shown))
      for typed, shown in (("more", "moreno"), ("mart", "mart"), ("alon", "alonso"),
                           ("ana garc", "garc"))),
    *(Spec(f"search-{typed}-page-{page + 1}", f'search "{typed}", page {page + 1}', "customers",
           lambda v, s, typed=typed, page=page: {"search": typed, "page": page},
           Expect(text=lambda s, typed=typed: typed))
      for typed, page in ((SURNAME_FRAGMENT, 1), ("mart", 9), ("more", 49))),
    Spec("search-rare", "search a fragment few customers have (the start of an email)",
         "customers", lambda v, s: {"search": rare_fragment(s)},
         Expect(text=lambda s: rare_fragment(s))),
    Spec("search-none", f'search a fragment nobody has ("{NO_MATCH}")', "customers",
         lambda v, s: {"search": NO_MATCH}, Expect(rows=False)),
    Spec("search-by-points", f'search "{SURNAME_FRAGMENT}", sorted by loyalty points',
         "customers", lambda v, s: {"search": SURNAME_FRAGMENT,
                                    **sort_args(v, "loyalty_points", descending=True)},
         Expect(text=lambda s: SURNAME_FRAGMENT)),
    Spec("filter-group", "filter by group", "customers",
         lambda v, s: filter_arg(v, Customer.group_id, ("equals",),
                                 lambda flt: str(s.group_id))),
    Spec("filter-date-added", "filter by date added (one month)", "customers",
         lambda v, s: filter_arg(v, Customer.created_at, ("between",),
                                 day_range(*s.customers_month))),
    Spec("sort-points", "sort by loyalty points, descending", "customers",
         lambda v, s: sort_args(v, "loyalty_points", descending=True)),
    # Every other sort the customer list offers, and every other filter.
    *(sort_spec(column, descending) for column, descending in (
        ("full_name", True), ("postcode", False), ("postcode", True), ("group", False),
        ("group", True), ("sales_value_minor", True), ("orders_count", True),
        ("balance_minor", True), ("marketing_opt_in", True), ("card_number", False),
        ("card_number", True), ("created_at", True))),
    Spec("filter-opt-in", "filter: marketing opt-in", "customers",
         lambda v, s: filter_arg(v, Customer.marketing_opt_in, ("is",), lambda flt: "1")),
    Spec("filter-loyalty", "filter: loyalty member", "customers",
         lambda v, s: filter_arg(v, Customer.loyalty_member, ("is",), lambda flt: "1")),
    Spec("filter-birthday", "filter: birthday in one year (born in 1980)", "customers",
         lambda v, s: filter_arg(v, Customer.birthday, ("between",),
                                 day_range(date(1980, 1, 1), date(1980, 12, 31)))),
    Spec("filter-birthday-week", "filter: birthday any year, this week", "customers",
         lambda v, s: filter_arg(v, Customer.birthday_month_day, ("day and month between",),
                                 day_month_range(date.today(), date.today() + timedelta(6)))),
    Spec("filter-offer-redeemed", "filter: offer redeemed in one month", "customers",
         lambda v, s: filter_arg(v, Customer.id, ("between",), day_range(*s.customers_month))),
    Spec("filter-country", "filter: country (Portugal)", "customers",
         lambda v, s: filter_arg(v, Customer.country, ("equals",), lambda flt: "PT")),
    Spec("filter-blacklisted", "filter: blacklisted", "customers",
         lambda v, s: filter_arg(v, Customer.is_blacklisted, ("is",), lambda flt: "1")),
    Spec("groups", "groups with customer counts", "groups", lambda v, s: {},
         Expect(text=lambda s: s.group_name)),
    Spec("wallets-outlets", "wallets at several outlets", "wallets",
         lambda v, s: filter_arg(v, Wallet.outlet_id, ("any of", "in list"),
                                 lambda flt: ",".join(map(str, s.outlet_ids)))),
    Spec("history", "wallet history, page 1", "wallet-history", lambda v, s: {}),
    Spec("history-dates", "wallet history, one month", "wallet-history",
         lambda v, s: filter_arg(v, WalletTransaction.created_at, ("between",),
                                 day_range(*s.history_month))),
    Spec("customer-details", "customer details", "customers",
         lambda v, s: {"id": s.customer_id}, Expect(rows=False, text=lambda s: s.email),
         view="details_view"),
    Spec("home", "home page: key figures and charts (kept figures)", "admin", lambda v, s: {},
         Expect(rows=False, text=lambda s: "chart-bar"), view="index", compared=False),
    Spec("orders", "orders, page 1", "orders", lambda v, s: {}, compared=False),
    Spec("search-sale-code", f'orders: search a sale code\'s beginning ("{SALE_CODE_START}")',
         "orders", lambda v, s: {"search": SALE_CODE_START},
         Expect(text=lambda s: SALE_CODE_START), compared=False),
    Spec("search-order-buyer", "orders: search a buyer's email", "orders",
         lambda v, s: {"search": s.email}, compared=False),
    Spec("search-order-phone", f'orders: search a buyer\'s phone fragment ("{PHONE_FRAGMENT}")',
         "orders", lambda v, s: {"search": PHONE_FRAGMENT}, compared=False),
)

KEYS = tuple(spec.key for spec in SPECS)


def build(apps: dict, samples: Samples, keys: tuple[str, ...] = KEYS) -> list[Case]:
    """The chosen cases with a URL on every app in ``apps`` (kind -> Flask app)."""
    cases = []
    for spec in SPECS:
        if spec.key not in keys:
            continue
        urls, errors, no_equivalent_on = {}, {}, set()
        for kind, app in apps.items():
            if kind != OURS and not spec.compared:
                continue
            try:
                urls[kind] = _url(app, spec, samples)
            except LookupError as error:
                if kind == OURS:  # our view lost the column or filter
                    errors[kind] = str(error)
                else:
                    no_equivalent_on.add(kind)
        cases.append(Case(spec.key, spec.label.format(s=samples), urls,
                          partial(spec.expect.problem, samples=samples), errors,
                          frozenset(no_equivalent_on)))
    return cases


def _url(app, spec: Spec, samples: Samples) -> str:
    # Arguments first, outside any request: filter names are read in English.
    args = spec.args(find_view(app, spec.endpoint), samples)
    with app.test_request_context():
        return url_for(f"{spec.endpoint}.{spec.view}", **args)
