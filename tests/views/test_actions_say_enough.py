"""Destructive and bulk actions say what they do, in English and in Spanish: a
group's delete question names the group and how many customers lose it;
assigning a group has nothing preselected, asks with the group and the count
before anything moves, and goes back to the filtered list; success messages
name the record."""
from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer

from ..pages import flashes, get_page, speak, text

GROUPS = "/admin/groups/"
CUSTOMERS = "/admin/customers/"


def delete_questions(page: str) -> dict[int, str]:
    """Each row's delete button: record id -> the question it asks."""
    questions = {}
    for form in re.findall(r'<form class="icon" method="POST" action="[^"]*/delete/">(.*?)</form>',
                           page, re.S):
        row_id = int(re.search(r'name="id"[^>]*value="(\d+)"', form).group(1))
        question = re.search(r'data-confirm-question="([^"]*)"', form).group(1)
        questions[row_id] = html_lib.unescape(question)
    return questions


# -- deleting a group ------------------------------------------------------------------

@pytest.mark.parametrize("language, students, solo, empty", [
    ("en", "Delete group Students? Its 3 customers will have no group.",
     "Delete group Solo? Its only customer will have no group.",
     "Delete group Empty? It has no customers."),
    ("es", "¿Eliminar el grupo Students? Sus 3 clientes se quedarán sin grupo.",
     "¿Eliminar el grupo Solo? Su único cliente se quedará sin grupo.",
     "¿Eliminar el grupo Empty? No tiene clientes."),
])
def test_deleting_a_group_says_how_many_customers_lose_it(login, users, make, language,
                                                          students, solo, empty):
    groups = {name: make.group(name) for name in ("Students", "Solo", "Empty")}
    for _ in range(3):
        make.customer(group=groups["Students"])
    make.customer(group=groups["Solo"])
    manager = login(Role.MANAGER)
    speak(users[Role.MANAGER], language)
    questions = delete_questions(get_page(manager, GROUPS))
    assert questions == {groups["Students"].id: students, groups["Solo"].id: solo,
                         groups["Empty"].id: empty}


def test_other_lists_name_the_record_in_the_delete_question(login, users, make):
    ana = make.customer("Ana", "García")
    manager = login(Role.MANAGER)
    assert delete_questions(get_page(manager, CUSTOMERS)) == {
        ana.id: "Delete customer Ana García? This cannot be undone."}
    speak(users[Role.MANAGER], "es")
    assert delete_questions(get_page(manager, CUSTOMERS)) == {
        ana.id: "¿Eliminar cliente Ana García? No se puede deshacer."}


# -- success messages name the record ---------------------------------------------------

CUSTOMER_FORM = {
    "first_name": "Ana", "surname": "García", "email": "", "phone": "", "postcode": "",
    "country": "", "birthday": "", "card_number": "", "group": "__None", "language": "en",
    "channel": "in_store", "notes": "",
}


@pytest.mark.parametrize("language, created, saved, deleted", [
    ("en", "Customer Ana García created.", "Customer Ana María García saved.",
     "Customer Ana María García deleted."),
    ("es", "Cliente Ana García creado.", "Cliente Ana María García guardado.",
     "Cliente Ana María García eliminado."),
])
def test_customer_messages_name_the_customer(login, users, language, created, saved, deleted):
    manager = login(Role.MANAGER)
    speak(users[Role.MANAGER], language)
    response = manager.post_form(CUSTOMERS + "new/", CUSTOMER_FORM)
    assert response.status_code == 302
    assert ("success", created) in flashes(get_page(manager, response.headers["Location"]))
    customer = db.session.scalars(select(Customer)).one()
    response = manager.post_form(f"{CUSTOMERS}edit/?id={customer.id}",
                                 {**CUSTOMER_FORM, "first_name": "Ana María"})
    assert ("success", saved) in flashes(get_page(manager, response.headers["Location"]))
    response = manager.post_form(CUSTOMERS + "delete/", {"id": str(customer.id), "url": CUSTOMERS})
    assert ("success", deleted) in flashes(get_page(manager, response.headers["Location"]))


@pytest.mark.parametrize("language, expected", [
    ("en", ["Group Students created.", "Number +34600111222 added to the blacklist.",
            "Wallet ABCD-2345 saved.", "Group Students deleted."]),
    # Each noun's gender and number: el grupo, el número, el monedero.
    ("es", ["Grupo Students creado.", "Número +34600111222 añadido a la lista negra.",
            "Monedero ABCD-2345 guardado.", "Grupo Students eliminado."]),
])
def test_other_records_are_named_in_their_messages(login, users, make, language, expected):
    wallet = make.wallet(make.customer(), wallet_code="ABCD-2345")
    manager = login(Role.MANAGER)
    speak(users[Role.MANAGER], language)
    shown = []
    for url, data in (
        (GROUPS + "new/", {"name": "Students", "description": ""}),
        ("/admin/blacklist/new/", {"phone": "+34 600 11 12 22", "reason": "fake_orders",
                                   "note": ""}),
        (f"/admin/wallets/edit/?id={wallet.id}", {
            "customer": str(wallet.customer_id), "outlet": "__None", "status": "blocked",
            "discount_code": "__None", "sale_date": "", "expires_on": ""}),
    ):
        response = manager.post_form(url, data)
        assert response.status_code == 302, text(response.get_data(as_text=True))[:500]
        shown += [m for kind, m in flashes(get_page(manager, response.headers["Location"]))
                  if kind == "success"]
    group_id = re.search(r"/groups/details/\?id=(\d+)", get_page(manager, GROUPS)).group(1)
    response = manager.post_form(GROUPS + "delete/", {"id": group_id, "url": GROUPS})
    shown += [m for kind, m in flashes(get_page(manager, response.headers["Location"]))
              if kind == "success"]
    assert shown == expected


# -- assigning a group -------------------------------------------------------------------

def start_assign(client, customers, list_query: str = "search=ruiz") -> str:
    """Check these customers on the list and choose "Assign a group": the page's URL."""
    response = client.post_form(CUSTOMERS + "action/", {
        "action": "assign_group", "rowid": [str(c.id) for c in customers],
        "url": f"{CUSTOMERS}?{list_query}"})
    assert response.status_code == 302
    return response.headers["Location"]


def group_options(page: str) -> list[tuple[str, str, bool]]:
    select_html = page.split('name="group"', 1)[1].split("</select>", 1)[0]
    return [(value, text(label), "selected" in attributes)
            for value, attributes, label in
            re.findall(r'<option value="([^"]*)"([^>]*)>(.*?)</option>', select_html, re.S)]


def groups_of(customers) -> list[str | None]:
    db.session.expire_all()
    return [c.group.name if c.group else None for c in customers]


def test_no_group_is_chosen_for_the_user(login, make):
    make.group("Gold")
    ruizes = [make.customer("Ana", "Ruiz"), make.customer("Eva", "Ruiz")]
    operator = login(Role.OPERATOR)
    options = group_options(get_page(operator, start_assign(operator, ruizes)))
    # The first option, which a browser shows chosen, asks for a choice;
    # "No group" is a choice like any group, and none is preselected.
    assert options == [("", "Choose a group", False), ("none", "No group", False),
                       (options[2][0], "Gold", False)]


@pytest.mark.parametrize("language, error", [
    ("en", "Choose a group, or “No group”."),
    ("es", "Elija un grupo, o «Sin grupo»."),
])
def test_submitting_without_a_choice_moves_nobody(login, users, make, language, error):
    gold = make.group("Gold")
    ruizes = [make.customer("Ana", "Ruiz", group=gold), make.customer("Eva", "Ruiz", group=gold)]
    operator = login(Role.OPERATOR)
    speak(users[Role.OPERATOR], language)
    page_url = start_assign(operator, ruizes)
    for confirmed in ("", "1"):  # not even a forged confirmation without a group
        response = operator.post_form(page_url, {"group": "", "confirmed": confirmed})
        assert response.status_code == 400
        assert error in text(response.get_data(as_text=True))
    assert groups_of(ruizes) == ["Gold", "Gold"]


@pytest.mark.parametrize("language, question, done", [
    ("en", "Move 2 customers to the group Gold?", "2 customers moved to the group Gold."),
    ("es", "¿Mover 2 clientes al grupo Gold?", "2 clientes movidos al grupo Gold."),
])
def test_the_group_is_chosen_then_confirmed_then_back_to_the_filtered_list(
        login, users, make, language, question, done):
    gold = make.group("Gold")
    ruizes = [make.customer("Ana", "Ruiz"), make.customer("Eva", "Ruiz")]
    other = make.customer("Ana", "Otero")
    operator = login(Role.OPERATOR)
    speak(users[Role.OPERATOR], language)
    page_url = start_assign(operator, ruizes, "search=ruiz&flt0_group_equals=__None")
    response = operator.post_form(page_url, {"group": str(gold.id)})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert question in text(page.split('id="assign-group-question"', 1)[1].split("</div>")[0])
    assert groups_of(ruizes) == [None, None]  # asking moved nobody
    response = operator.post_form(page_url, {"group": str(gold.id), "confirmed": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{CUSTOMERS}?search=ruiz&flt0_group_equals=__None"
    assert ("success", done) in flashes(get_page(operator, response.headers["Location"]))
    assert groups_of(ruizes) == ["Gold", "Gold"] and groups_of([other]) == [None]


@pytest.mark.parametrize("language, question, done", [
    ("en", "Take 2 customers out of their group?", "2 customers now have no group."),
    ("es", "¿Dejar a 2 clientes sin grupo?", "2 clientes se han quedado sin grupo."),
])
def test_no_group_is_a_choice_confirmed_like_any_other(login, users, make, language, question,
                                                       done):
    gold = make.group("Gold")
    ruizes = [make.customer("Ana", "Ruiz", group=gold), make.customer("Eva", "Ruiz", group=gold)]
    operator = login(Role.OPERATOR)
    speak(users[Role.OPERATOR], language)
    page_url = start_assign(operator, ruizes)
    page = operator.post_form(page_url, {"group": "none"}).get_data(as_text=True)
    assert question in text(page)
    assert groups_of(ruizes) == ["Gold", "Gold"]
    response = operator.post_form(page_url, {"group": "none", "confirmed": "1"})
    assert ("success", done) in flashes(get_page(operator, response.headers["Location"]))
    assert groups_of(ruizes) == [None, None]


def test_the_return_address_stays_on_this_site(login, make):
    gold = make.group("Gold")
    ruizes = [make.customer("Ana", "Ruiz")]
    operator = login(Role.OPERATOR)
    response = operator.post_form(CUSTOMERS + "action/", {
        "action": "assign_group", "rowid": [str(ruizes[0].id)],
        "url": "https://evil.example/phish"})
    page_url = response.headers["Location"]
    response = operator.post_form(page_url, {"group": str(gold.id), "confirmed": "1"})
    assert response.headers["Location"] == CUSTOMERS


def test_a_rows_delete_button_posts_that_row_with_the_pages_csrf_token(login, make):
    """Each row's delete form is sent as the browser sends it (its own hidden
    fields only): it deletes that customer, no other, and returns to the list."""
    manager = login(Role.MANAGER)
    kept, gone = make.customer(surname="Kept"), make.customer(surname="Gone")
    page = get_page(manager, CUSTOMERS)
    forms = re.findall(r'<form class="icon" method="POST" action="[^"]*/delete/">(.*?)</form>',
                       page, re.S)
    assert len(forms) == 2
    form = next(body for body in forms if f'value="{gone.id}"' in body)
    fields = {name: html_lib.unescape(value) for name, value in
              re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)}
    assert set(fields) == {"id", "url", "csrf_token"} and fields["id"] == str(gone.id)
    response = manager.post(CUSTOMERS + "delete/", data=fields)
    assert response.status_code == 302 and response.location.endswith(fields["url"])
    remaining = set(db.session.scalars(select(Customer.id)))
    assert gone.id not in remaining and kept.id in remaining


def test_each_list_in_one_app_context_returns_its_rows_to_itself(app, login, make):
    """Two lists asked within one app context (a shell, a test): each delete
    form returns to its own list, not to the one rendered first."""
    manager = login(Role.MANAGER)
    make.customer(surname="Listed")
    make.group("Listed group")
    with app.app_context():
        get_page(manager, CUSTOMERS, page=0)
        page = get_page(manager, GROUPS)
    urls = [html_lib.unescape(url) for url in
            re.findall(r'<input[^>]*name="url"[^>]*value="([^"]*)"', page)]
    assert urls and all(url.startswith(GROUPS) for url in urls)
