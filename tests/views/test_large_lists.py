"""Lists built for a million rows: the indexed search, counts that say whether they
are exact, and pages that neither skip nor repeat a row."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text as sql

from admin_app.extensions import db
from admin_app.models import Customer

from ..pages import get_page, listed_ids, text


def customers_page(client, **params) -> str:
    return get_page(client, "/admin/customers/", **params)


def list_tab(page: str) -> str:
    """The "List (N)" tab, where the count is shown."""
    return text(page.split('class="nav-link active">', 1)[1].split("</a>", 1)[0])


# -- search ---------------------------------------------------------------------------

@pytest.fixture
def garcia(make):
    return make.customer("José", "García", email="jose@example.com", phone="+34611223344")


@pytest.mark.parametrize("typed", ["garcia", "GARCÍA", "Garc", "jose garcia", "josé garcía",
                                   "ose ar", "rc", "JOSE@EXAMPLE.COM", "611 22 33"])
def test_search_ignores_case_and_accents_and_matches_inside_words(admin_client, make, garcia,
                                                                   typed):
    make.customer("Josefa", "Smith", email="josefa@example.com")
    assert listed_ids(customers_page(admin_client, search=typed)) == [garcia.id]


@pytest.mark.parametrize("typed", ["10%", "a_b", '"quoted"', "o'neil"])
def test_search_takes_like_wildcards_and_quotes_literally(admin_client, make, typed):
    literal = make.customer("Ana", {"10%": "Discount10%", "a_b": "Xa_bX", '"quoted"': 'Mc"quoted"',
                                    "o'neil": "O'Neil"}[typed])
    make.customer("Ana", "Discount105")  # "10%" as a wildcard would match this
    make.customer("Ana", "Xa-bX")         # "a_b" as a wildcard would match this
    assert listed_ids(customers_page(admin_client, search=typed)) == [literal.id]


def test_search_follows_changes_and_deletions(admin_client, garcia):
    garcia.surname = "Ibáñez"
    db.session.commit()
    assert listed_ids(customers_page(admin_client, search="ibanez")) == [garcia.id]
    assert listed_ids(customers_page(admin_client, search="garcia")) == []
    db.session.delete(garcia)
    db.session.commit()
    assert listed_ids(customers_page(admin_client, search="ibanez")) == []


def test_sqlite_search_index_stays_in_step_with_the_table(make):
    """FTS5's own check: the trigram index holds exactly the rows' search text."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 table; PostgreSQL indexes the column itself")
    first, second = make.customer("Eva", "Uno"), make.customer("Eva", "Dos")
    first.surname = "Tres"
    db.session.delete(second)
    db.session.commit()
    db.session.execute(sql("INSERT INTO customers_search(customers_search, rank) "
                           "VALUES ('integrity-check', 1)"))
    assert db.session.scalar(sql(
        "SELECT count(*) FROM customers_search WHERE customers_search MATCH 'tres'")) == 1


def test_searchable_records_get_their_search_text_whichever_way_they_are_written(make):
    customer = make.customer("Íñigo", "Núñez", email="Inigo@Example.com", postcode="28013")
    assert customer.search_text == "inigo nunez inigo@example.com 28013"
    assert make.guest("Zoë Walker", phone="+34600111222").search_text == (
        "zoe walker +34600111222")


# -- counts ---------------------------------------------------------------------------

@pytest.fixture
def exact_up_to(app, monkeypatch):
    def limit(rows: int, searches: int | None = None, filtered: int | None = None) -> None:
        monkeypatch.setitem(app.config, "LIST_EXACT_COUNT", rows)
        monkeypatch.setitem(app.config, "SEARCH_EXACT_COUNT", searches or rows)
        monkeypatch.setitem(app.config, "FILTER_EXACT_COUNT", filtered or rows)
    return limit


@pytest.fixture
def page_size(app, monkeypatch):
    """Shorter pages for the customer list (its page-size choices start at 20)."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "customers")

    def size(rows: int) -> None:
        monkeypatch.setattr(view, "page_size", rows)
    return size


def test_a_small_list_shows_its_exact_count_and_numbered_pages(admin_client, make):
    for n in range(3):
        make.customer("Ana", f"Exact{n}")
    page = customers_page(admin_client)
    assert list_tab(page) == "List (3)"


def test_past_the_limit_a_filtered_list_says_more_than_and_pages_by_next(
        admin_client, make, exact_up_to, page_size):
    exact_up_to(4)
    page_size(2)
    for n in range(6):
        make.customer("Ana", f"Many{n}", marketing_opt_in=True)
    make.customer("Ana", "NotOptedIn")
    page = customers_page(admin_client, flt0_marketing_optin_is="1")
    assert list_tab(page) == "List (more than 4)"
    assert "page=1" in page  # a "next" link: there are more rows than this page
    second = customers_page(admin_client, flt0_marketing_optin_is="1", page=1)
    assert "Page 2" in text(second)


def test_past_the_limit_an_unfiltered_list_shows_the_databases_estimate(
        admin_client, make, exact_up_to):
    exact_up_to(4)
    for n in range(6):
        make.customer("Ana", f"Estimated{n}")
    analyse = "ANALYZE customers" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    db.session.execute(sql(analyse))
    db.session.commit()
    assert list_tab(customers_page(admin_client)) == "List (about 6)"
    assert list_tab(customers_page(admin_client, search="estimated")) == "List (more than 4)"


def test_a_search_counts_exactly_up_to_its_own_lower_limit(admin_client, make, exact_up_to):
    exact_up_to(10, searches=3)
    for n in range(5):
        make.customer("Ana", f"Buscado{n}")
    assert list_tab(customers_page(admin_client, search="buscado")) == "List (more than 3)"
    assert list_tab(customers_page(admin_client, search="buscado1")) == "List (1)"
    assert list_tab(customers_page(admin_client)) == "List (5)"


def test_a_filtered_list_counts_exactly_up_to_its_own_limit(admin_client, make, exact_up_to):
    exact_up_to(10, filtered=3)
    for n in range(5):
        make.customer("Ana", f"Filtrado{n}", marketing_opt_in=True)
    make.customer("Ana", "Solo", marketing_opt_in=False)
    assert list_tab(customers_page(admin_client, flt0_marketing_optin_is="1")) == \
        "List (more than 3)"
    assert list_tab(customers_page(admin_client, flt0_marketing_optin_is="0")) == "List (1)"
    assert list_tab(customers_page(admin_client)) == "List (6)"


def test_counts_are_labelled_in_spanish_too(app, make, exact_up_to, login):
    exact_up_to(2)
    for n in range(3):
        make.customer("Ana", f"Muchos{n}", marketing_opt_in=True)
    client = login("operator")
    client.post_form("/language", {"language": "es", "next": "/admin/"})
    page = get_page(client, "/admin/customers/", flt0_marketing_optin_is="1")
    assert "(más de 2)" in list_tab(page)


# -- pages ----------------------------------------------------------------------------

def test_pages_neither_skip_nor_repeat_rows_with_equal_sort_values(admin_client, make,
                                                                   exact_up_to, page_size):
    exact_up_to(3)  # previous / next pages, as past the limit
    page_size(2)
    same = [make.customer("Ana", "Igual", loyalty_points=5).id for _ in range(7)]
    seen = []
    for page in range(4):
        seen += listed_ids(customers_page(admin_client, page=page))
    assert seen == sorted(same)  # surname, first name, then the oldest record first
    sort = get_sort_index(admin_client, "Loyalty points")
    by_points = []
    for page in range(4):
        by_points += listed_ids(customers_page(admin_client, page=page, sort=sort, desc=1))
    assert by_points == sorted(same, reverse=True)


def test_a_filter_with_few_matches_counts_them_and_pages_them_in_the_lists_order(
        admin_client, make, exact_up_to, page_size):
    """On PostgreSQL such a list reads its count and page in one statement: the
    same rows and count as counting and paging apart."""
    exact_up_to(10)
    page_size(2)
    listed = [make.customer(first, surname, phone=f"+3460011122{n}", loyalty_points=points)
              for n, (first, surname, points) in enumerate(
                  [("Eva", "Zapata", 7), ("Ana", "Abad", 7), ("Luis", "Mora", 1),
                   ("Ana", "Mora", 30), ("Ana", "Abad", 2)])]
    for customer in listed:
        make.blacklist(customer.phone)
    make.customer("Ana", "Aaron", phone="+34600999888")  # not blacklisted
    by_name = [c.id for c in sorted(listed, key=lambda c: (c.sort_name, c.id))]
    pages = [customers_page(admin_client, flt0_blacklisted_is="1", page=page)
             for page in range(4)]
    assert [listed_ids(page) for page in pages] == [by_name[:2], by_name[2:4], by_name[4:], []]
    assert {list_tab(page) for page in pages} == {"List (5)"}
    sort = get_sort_index(admin_client, "Loyalty points")
    by_points = [customers_page(admin_client, flt0_blacklisted_is="1", sort=sort, desc=1,
                                page=page) for page in range(3)]
    assert sum((listed_ids(page) for page in by_points), []) == [
        c.id for c in sorted(listed, key=lambda c: (c.loyalty_points, c.id), reverse=True)]


def test_the_blacklisted_filter_reads_its_matches_once_for_count_and_page(
        admin_client, make, statements):
    """PostgreSQL: its page in name order would test customer after customer for
    the few blacklisted; one statement reads those few, counts and pages them.
    A filter served by an index in name order (opt-in) keeps counting and paging
    apart, each through that index."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite counts and pages as before")
    for n in range(3):
        make.blacklist(make.customer("Ana", f"Bloqueada{n}", phone=f"+3460011100{n}",
                                     marketing_opt_in=True).phone)
    make.customer("Ana", "Libre", marketing_opt_in=True)
    statements.clear()
    page = customers_page(admin_client, flt0_blacklisted_is="1")
    assert list_tab(page) == "List (3)"
    read_once = [s for s in statements if "count(*) OVER ()" in s]
    assert len(read_once) == 1 and "blacklist" in read_once[0]
    assert not [s for s in statements if s.startswith("SELECT count(*) AS count_1")]
    statements.clear()
    assert list_tab(customers_page(admin_client, flt0_marketing_optin_is="1")) == "List (4)"
    assert not [s for s in statements if "OVER ()" in s]


def test_a_page_past_the_end_is_empty_not_an_error(admin_client, make):
    make.customer("Ana", "Solo")
    assert listed_ids(customers_page(admin_client, page=500)) == []


@pytest.mark.parametrize("language, says, link", [
    ("en", "This page is past the last one.", "Go to the first page"),
    ("es", "Esta página está más allá de la última.", "Ir a la primera página")])
def test_a_page_past_the_end_says_so_and_links_to_the_first_page(login, make, language,
                                                                  says, link):
    """Not "nothing matches": the filter matches, the page is past its last."""
    blocked = make.customer("Ana", "Bloqueada", phone="+34600111000")
    make.blacklist(blocked.phone)
    client = login("operator")
    client.post_form("/language", {"language": language, "next": "/admin/"})
    page = get_page(client, "/admin/customers/", flt0_blacklisted_is="1", page=50)
    assert listed_ids(page) == []
    assert says in text(page)
    first = re.search(rf'<a href="([^"]+)">{link}</a>', page).group(1)
    assert "page=" not in first and "flt0_blacklisted_is=1" in first
    assert listed_ids(get_page(client, first.replace("&amp;", "&"))) == [blocked.id]


def test_the_first_page_link_keeps_hostile_arguments_as_plain_arguments(admin_client, make):
    """``_external`` and ``_scheme`` are url_for's own words: taken from the URL,
    they must not make the link point elsewhere."""
    make.customer("Ana", "Sola")
    page = get_page(admin_client, "/admin/customers/", page=9, _external="1",
                    _scheme="javascript", search="sola", note="<script>x</script>")
    first = re.search(r'<a href="([^"]+)">Go to the first page</a>', page).group(1)
    assert first.startswith("/admin/customers/?")
    assert "javascript:" not in first and "<script>" not in first


def test_a_page_shows_each_rows_relations(admin_client, make):
    group = make.group("Mayoristas")
    make.customer("Ana", "Grupo", group=group)
    assert "Mayoristas" in text(customers_page(admin_client, search="grupo"))


def get_sort_index(client, label: str) -> int:
    """The list's ``sort=`` number for the column headed ``label``."""
    import re

    page = customers_page(client)
    for index, title in re.findall(r'href="[^"]*sort=(\d+)[^"]*"[^>]*>\s*([^<]+?)\s*<', page):
        if title == label:
            return int(index)
    raise AssertionError(f"no sortable column {label!r}")


def test_customer_model_keeps_searchable_fields_in_step_with_its_view(app):
    view = next(v for v in app.extensions["admin"][0]._views
                if getattr(v, "model", None) is Customer)
    assert set(view.column_searchable_list) == set(Customer.search_fields)


def test_a_search_of_only_spaces_lists_everyone(admin_client, make):
    everyone = {make.customer("Ana", "Uno").id, make.customer("Eva", "Dos").id}
    assert set(listed_ids(customers_page(admin_client, search="   "))) == everyone


@pytest.mark.parametrize("page", ["9" * 29, "+90", "９０"])
def test_any_page_number_the_list_reads_gets_a_page_past_the_end(admin_client, make,
                                                                  exact_up_to, page):
    """Past the exact count the pager says "Page N", N as the reader's locale
    writes it, however many digits; and every form int() reads is a page past
    the end, not "no customers yet"."""
    exact_up_to(2)
    for n in range(3):
        make.customer("Ana", f"Muchas{n}", marketing_opt_in=True)
    page_html = customers_page(admin_client, flt0_marketing_optin_is="1", page=page)
    assert listed_ids(page_html) == []
    assert "This page is past the last one." in text(page_html)


def test_a_search_that_matches_nothing_says_so_on_any_page(admin_client, make):
    make.customer("Ana", "Sola")
    page = customers_page(admin_client, search="zzzzqqq", page=3)
    assert "Nothing matches this search and these filters." in text(page)
    assert "past the last one" not in text(page)

