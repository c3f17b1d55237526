"""Every screen in the user's language: each registered view's list, details,
create and edit pages, the money pages, the login page, the dashboard, the
error pages and the public share page, rendered in English and in Spanish,
show no interface word of the other language."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer, Wallet
from admin_app.services import imports, sharing
from admin_app.services.seed import seed
from admin_app.views import VIEWS

from .language import foreign_words, only_english, only_spanish, stored_text_values

LANGUAGES = ("en", "es")


@pytest.fixture
def seeded(make):
    seed(30, seed=7)
    db.session.commit()
    make.invoice(make.customer(account_limit_minor=100_000), amount_minor=5_000, number=900_001)
    # Every view's details and edit pages need a row, a new model's too.
    make.example_rows(view.model_class for view in VIEWS)


@pytest.fixture(params=LANGUAGES)
def language(request):
    return request.param


@pytest.fixture
def reader(app, users, language):
    """An admin whose saved language is ``language``, logged in."""
    user = users[Role.ADMIN]
    user.language = language
    db.session.commit()
    client = app.test_client()
    assert client.login(user).status_code == 302
    return client


def _first_id(model) -> int:
    return db.session.scalar(select(model.id).order_by(model.id))


def _pages() -> list[str]:
    urls = ["/admin/"]
    for view in VIEWS:
        base = f"/admin/{view.view_url}/"
        row = _first_id(view.model_class)
        urls += [base, f"{base}details/?id={row}", f"{base}new/", f"{base}edit/?id={row}"]
    customer = db.session.scalar(
        select(Customer.id).join(Wallet, Wallet.customer_id == Customer.id).order_by(Customer.id))
    wallet = _first_id(Wallet)
    urls += [f"/admin/customers/{page}/?id={customer}"
             for page in ("add-balance", "adjust-points", "account-limit")]
    urls += [f"/admin/{kind}/import/" for kind in ("customers", "guests", "blacklist")]
    urls.append(f"/admin/customers/import/{_previewed_import()}/")
    urls += [f"/admin/wallets/add-balance/?id={wallet}", "/admin/no-such-page/",
             f"/share/wallet/{sharing.make_share_token(db.session.get(Wallet, wallet))}"]
    return urls


def _previewed_import() -> int:
    """A previewed file with a new row, an update, an invalid row and a column it skips."""
    someone = db.session.scalar(select(Customer).where(Customer.email.is_not(None)))
    content = (f"Email,Postcode,Birthday,X9\n{someone.email},99999,,1\n"
               "nuevo@ejemplo.es,,31/02/1990,\n").encode()
    batch, _plan = imports.preview("customers", "lista.csv", content, actor=None)
    db.session.commit()
    return batch.id


def _assert_in_language(page: str, language: str, where: str) -> None:
    assert f'<html lang="{language}">' in page, where
    leftovers = foreign_words(page, language, stored_text_values())
    assert not leftovers, f"{where} in {language} shows {leftovers}"


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code in (200, 403, 404), (url, response.status_code)
    return response.get_data(as_text=True)


def test_every_admin_page_speaks_one_language(reader, seeded, language):
    leftovers = {}
    for url in _pages():
        page = _get(reader, url)
        assert f'<html lang="{language}">' in page, url
        # Read after the page: walking the pages adds to the audit log as it goes.
        leftovers[url] = foreign_words(page, language, stored_text_values())
    report = "\n".join(f"{url}: {words}" for url, words in leftovers.items() if words)
    assert not report, f"pages in {language} show words of the other language:\n{report}"


def test_a_refused_form_explains_itself_in_the_users_language(reader, language):
    response = reader.post_form("/admin/customers/new/", {"first_name": " ", "email": "nope"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    _assert_in_language(page, language, "the refused customer form")
    required = {"en": "This field is required.", "es": "Este campo es obligatorio."}[language]
    assert required in page


@pytest.mark.parametrize("accept, shown", [("es-ES,es;q=0.9", "es"), ("en-GB,en;q=0.8", "en")])
def test_login_page_follows_the_browser_then_the_switcher(client, accept, shown):
    page = client.get("/login", headers={"Accept-Language": accept}).get_data(as_text=True)
    _assert_in_language(page, shown, "/login")
    other = "en" if shown == "es" else "es"
    # One click: the switcher posts the other language and comes back to the page.
    response = client.post_form("/language", {"language": other, "next": "/login"},
                                headers={"Accept-Language": accept})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": accept}).get_data(as_text=True)
    _assert_in_language(page, other, "/login after switching")


def test_the_vocabularies_tell_the_languages_apart():
    # The check above is only as good as these lists: they must know the
    # everyday interface words of each side.
    assert {"customers", "wallets", "balance", "delete", "save", "search"} <= only_english()
    assert {"clientes", "monederos", "saldo", "eliminar", "guardar", "buscar"} <= only_spanish()


def test_an_untranslated_word_is_caught():
    page = '<html lang="es"><body><a title="Guardar">Clientes</a> <th>Balance</th></body></html>'
    assert foreign_words(page, "es", []) == ["balance"]
    assert foreign_words(page, "es", ["Balance"]) == []

