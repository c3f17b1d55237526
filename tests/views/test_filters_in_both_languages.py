"""Every filter of every list behaves the same in English and in Spanish: the
list page offers the same filters with the same choices, and each filter,
applied through what the page offers (one of its choices, or a value typed the
reader's way where it is a text box), returns the same rows in both languages."""
from __future__ import annotations

import html as html_lib
import re
import urllib.parse
from datetime import date, timedelta

import pytest
from babel.dates import format_skeleton
from flask import current_app

from admin_app import filters
from admin_app.choices import OrderStatus
from admin_app.extensions import db
from admin_app.models import Customer, Order
from admin_app.services.seed import seed
from admin_app.views import VIEWS

from .. import factories
from ..conftest import SharedRows, add_users, admins_by_language
from ..pages import filter_groups, flashes, get_page, listed_ids, registered_view

# Every choice of every filter of every list, in two languages.
pytestmark = pytest.mark.slow

FILTERED_VIEWS = [view for view in VIEWS if view.column_filters]
LANGUAGES = ("en", "es")
# Choices applied per filter: enough to cover each kind, few enough to stay quick
# (the country filter offers every country).
MOST_CHOICES = 8
TODAY = date.today()


def _demo_data_and_readers(password_hash) -> dict:
    """An admin reading in English and one reading in Spanish, logged in, over the
    demo data plus an audit trail with both of them in it."""
    seed(30, seed=7)
    db.session.commit()
    factories.invoice(factories.customer(account_limit_minor=100_000), amount_minor=5_000,
                      number=900_001)
    factories.example_rows(view.model_class for view in VIEWS)  # a new model's table too
    return admins_by_language(current_app, add_users(password_hash), password_hash)


@pytest.fixture(scope="module")
def shared_rows(password_hash):
    """For the tests that only read: the data made once for all of them."""
    return SharedRows(lambda: _demo_data_and_readers(password_hash))


@pytest.fixture
def readers(shared_rows):
    return shared_rows.rows()


@pytest.fixture
def writing_readers(password_hash):
    """The same, made for a test that changes the data."""
    return _demo_data_and_readers(password_hash)


def _offered(page: str) -> dict[str, list[str] | None]:
    """arg -> the values of the choices the page offers (None: a text box)."""
    offered = {}
    for entries in filter_groups(page).values():
        for entry in entries:
            options = entry["options"]
            offered[entry["arg"]] = None if not options else sorted(v for v, _l in options)
    return offered


def _typed(flt, language: str) -> str:
    """What a person types into a filter's text box, the way their language writes it."""
    def written(d: date) -> str:
        return format_skeleton("yMd", d, locale=language)

    if isinstance(flt, filters.DayMonthRangeFilter):
        return "01/01 – 06/30" if language == "en" else "01/01 – 30/06"
    if isinstance(flt, filters.DateRangeFilter):
        return f"{written(TODAY - timedelta(days=400))} – {written(TODAY)}"
    if isinstance(flt, (filters.DateFromFilter, filters.DateToFilter)):
        return written(TODAY - timedelta(days=200))
    return "1"  # a record's number


def _spread(values: list[str]) -> list[str]:
    step = max(1, len(values) // MOST_CHOICES)
    chosen = values[::step][:MOST_CHOICES]
    if filters.NONE_VALUE in values and filters.NONE_VALUE not in chosen:
        chosen.append(filters.NONE_VALUE)
    return chosen


def _rows_per_filter(client, view_class, language: str) -> dict[tuple[str, str], list[int]]:
    base = f"/admin/{view_class.view_url}/"
    view = registered_view(view_class)
    found = {}
    for arg, values in _offered(get_page(client, base)).items():
        _index, flt = view._filter_args[arg]
        for value in _spread(values) if values else [_typed(flt, language)]:
            page = get_page(client, base, **{f"flt0_{arg}": value, "page_size": 100})
            assert not [m for c, m in flashes(page) if c == "danger"], (language, arg, value)
            key = (arg, value if values else "typed")
            found[key] = listed_ids(page)
    return found


@pytest.mark.parametrize("view_class", FILTERED_VIEWS, ids=[v.view_url for v in FILTERED_VIEWS])
def test_each_filter_offers_the_same_choices_in_both_languages(readers, view_class):
    base = f"/admin/{view_class.view_url}/"
    offered = {language: _offered(get_page(readers[language], base)) for language in LANGUAGES}

    assert offered["es"] == offered["en"]


@pytest.mark.parametrize("view_class", FILTERED_VIEWS, ids=[v.view_url for v in FILTERED_VIEWS])
def test_each_filter_returns_the_same_rows_in_both_languages(readers, view_class):
    rows = {language: _rows_per_filter(readers[language], view_class, language)
            for language in LANGUAGES}

    assert rows["es"] == rows["en"]
    # The filters were applied, not ignored: some narrow the list.
    everything = listed_ids(get_page(readers["en"], f"/admin/{view_class.view_url}/",
                                     page_size=100))
    assert any(ids != everything for ids in rows["en"].values())


def test_spanish_group_filter_lists_groups_and_keeps_the_choice(writing_readers, make):
    vip = make.group("Clientes VIP")
    member = make.customer("Lucía", "Moreno", group=vip)
    make.customer("Bruno", "Otero")
    spanish = writing_readers["es"]
    page = get_page(spanish, "/admin/customers/")
    groups = filter_groups(page)
    (group_filter,) = groups["Grupo"]

    assert [str(vip.id), "Clientes VIP"] in group_filter["options"]
    assert [filters.NONE_VALUE, "Ninguno"] in group_filter["options"]

    page = get_page(spanish, "/admin/customers/", **{f"flt0_{group_filter['arg']}": vip.id})
    assert listed_ids(page) == [member.id]
    assert not flashes(page)


# A filter in a URL the app builds: "flt0_group_equals=", also inside a return address.
FILTER_IN_URL = re.compile(r"flt\d+_([a-z0-9_]+)=")


def _filter_names_in_links(page: str) -> set[str]:
    plain = html_lib.unescape(page)
    for _depth in range(3):  # a return address inside a link is quoted again
        plain = urllib.parse.unquote(plain)
    return set(FILTER_IN_URL.findall(plain))


@pytest.mark.parametrize("view_class", FILTERED_VIEWS, ids=[v.view_url for v in FILTERED_VIEWS])
def test_spanish_lists_link_back_with_the_same_filter_names(readers, view_class):
    """Sort, pager, row and action links of a filtered list in Spanish carry the
    filter under the name English uses: following one keeps the filter."""
    base = f"/admin/{view_class.view_url}/"
    view = registered_view(view_class)
    for arg, values in _offered(get_page(readers["en"], base)).items():
        _index, flt = view._filter_args[arg]
        value = values[0] if values else _typed(flt, "es")
        page = get_page(readers["es"], base, **{f"flt1_{arg}": value})

        names = _filter_names_in_links(page)
        assert arg in names, (arg, names)
        assert names <= set(view._filter_args), (arg, names - set(view._filter_args))


def _return_address(page: str) -> str:
    """The list's own address, as its action form sends it back."""
    form = page.split('id="action_form"', 1)[1].split("</form>", 1)[0]
    found = re.search(r'<input[^>]*name="url"[^>]*value="([^"]*)"', form)
    return html_lib.unescape(found.group(1))


def test_assigning_a_group_in_spanish_returns_to_the_filtered_list(writing_readers, make):
    vip, gold = make.group("Clientes VIP"), make.group("Gold")
    member = make.customer("Lucía", "Moreno", group=vip)
    spanish = writing_readers["es"]
    page = get_page(spanish, "/admin/customers/", flt1_group_equals=vip.id)
    response = spanish.post_form("/admin/customers/action/", {
        "action": "assign_group", "rowid": [str(member.id)], "url": _return_address(page)})
    ask = response.headers["Location"]
    spanish.post_form(ask, {"group": str(gold.id), "confirmed": ""})
    response = spanish.post_form(ask, {"group": str(gold.id), "confirmed": "1"})

    back = response.headers["Location"]
    assert re.search(rf"flt\d+_group_equals={vip.id}", back), back
    page = get_page(spanish, back)
    assert not [m for c, m in flashes(page) if c == "danger"]
    assert listed_ids(page) == []  # the list still filtered by the old group
    assert db.session.get(Customer, member.id).group_id == gold.id


def test_saving_an_order_in_spanish_returns_to_the_filtered_list(writing_readers):
    spanish = writing_readers["es"]
    page = get_page(spanish, "/admin/orders/", flt1_status_is="shipped", page_size=100)
    shipped = listed_ids(page)
    order = db.session.get(Order, shipped[0])
    edit = re.search(rf'href="([^"]*/edit/\?id={order.id}[^"]*)"', page).group(1)
    response = spanish.post_form(html_lib.unescape(edit), {"status": OrderStatus.DELIVERED})

    back = response.headers["Location"]
    assert re.search(r"flt\d+_status_is=shipped", back), back
    page = get_page(spanish, back)
    assert not [m for c, m in flashes(page) if c == "danger"]
    assert listed_ids(page) == [i for i in shipped if i != order.id]


def test_an_unknown_filter_in_the_address_is_reported_in_the_readers_language(
        app, users, make, password_hash):
    """A mistyped or outdated filter name in a link is said, not silently dropped."""
    ana = make.customer("Ana", "Ruiz", country="ES")
    said = {"en": "There is no filter “flt0_contry_equals” on this list.",
            "es": "Esta lista no tiene el filtro «flt0_contry_equals»."}
    for language, client in admins_by_language(app, users, password_hash).items():
        page = get_page(client, "/admin/customers/", flt0_contry_equals="ES")
        assert ("danger", said[language]) in flashes(page), flashes(page)
        assert listed_ids(page) == [ana.id]  # shown unfiltered, with the reason why
