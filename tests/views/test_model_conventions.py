"""What a new view gets from its model without declaring it, shown on a throwaway
model and view registered on a new app as a developer would add them: amounts
(``*_minor``) typed as money in the user's locale, relations picked by typing
(never a <select> of a whole table), and a search on a declared path to the
customer that goes through the customers' search index, not a join."""
from __future__ import annotations

import importlib
import re

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from admin_app.choices import Role
from admin_app.extensions import db

from ..pages import get_page, listed_ids, refused
from ..throwaway import throwaway_view

PACKAGE = "throwaway_vouchers"
MODELS = '''
    from sqlalchemy import BigInteger, ForeignKey, String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

    from admin_app.models import Customer, Outlet


    class Base(DeclarativeBase):
        pass


    class Voucher(Base):
        __tablename__ = "throwaway_vouchers"
        id: Mapped[int] = mapped_column(primary_key=True)
        code: Mapped[str] = mapped_column(String(20), unique=True)
        value_minor: Mapped[int] = mapped_column(BigInteger)
        customer_id: Mapped[int | None] = mapped_column(ForeignKey(Customer.__table__.c.id))
        customer: Mapped[Customer | None] = relationship(Customer)
        outlet_id: Mapped[int | None] = mapped_column(ForeignKey(Outlet.__table__.c.id))
        outlet: Mapped[Outlet | None] = relationship(Outlet)

        def __str__(self):
            return self.code
'''
VIEWS = '''
    from flask_admin.contrib.sqla.fields import QuerySelectField
    from wtforms import IntegerField

    from admin_app.models import Customer
    from admin_app.views.base import BaseModelView

    from .models import Voucher


    class VoucherView(BaseModelView):
        model_class = Voucher
        menu_name = "Vouchers"
        view_url = "vouchers"
        column_list = ("code", "customer", "value_minor")
        column_searchable_list = ("code", "customer.surname", "customer.email")
        form_columns = ("code", "customer", "outlet", "value_minor")


    class DeclaredVoucherView(BaseModelView):
        """The same model where the view chose its fields itself."""
        model_class = Voucher
        menu_name = "Vouchers in cents"
        view_url = "vouchers-in-cents"
        form_columns = ("code", "customer", "value_minor")
        form_overrides = {"value_minor": IntegerField}
        form_args = {"customer": {"query_factory": lambda: Customer.query.filter_by(
            first_name="Only")}}
'''
# 1.234,50 as each reader types it, and as the edit form shows it back.
TYPED = {"en": ("1,234.50", "1,234.50"), "es": ("1.234,50", "1.234,50")}


@pytest.fixture
def vouchers(app, tmp_path, users):
    """(the new app, the Voucher model), both views registered."""
    with throwaway_view(app, tmp_path, PACKAGE, MODELS, VIEWS, "VoucherView") as (
            new_app, models, _view):
        views = importlib.import_module(f"{PACKAGE}.views")
        new_app.extensions["admin"][0].add_view(views.DeclaredVoucherView())
        yield new_app, models.Voucher


def _client(new_app, user, language="en"):
    user.language = language
    db.session.commit()
    client = new_app.test_client()
    assert client.login(user).status_code == 302
    return client


def _voucher(model, **fields):
    voucher = model(**{"code": "SPRING", "value_minor": 1250, **fields})
    db.session.add(voucher)
    db.session.commit()
    return voucher


def _input(page: str, name: str) -> str:
    """The form's tag for field ``name`` (an <input>, <select> or <textarea>)."""
    return re.search(rf'<(?:input|select|textarea)[^>]*\bname="{name}"[^>]*>', page).group(0)


# -- money --------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ("en", "es"))
def test_an_amount_is_typed_as_money_in_the_users_locale(vouchers, users, language):
    new_app, model = vouchers
    client = _client(new_app, users[Role.OPERATOR], language)
    form = get_page(client, "/admin/vouchers/new/")
    assert 'type="number"' not in _input(form, "value_minor")
    assert re.search(r'<label for="value_minor"[^>]*>Value\s', form)  # not "Value Minor"
    response = client.post_form("/admin/vouchers/new/", {
        "code": "SPRING", "customer": "", "outlet": "", "value_minor": TYPED[language][0]})
    assert response.status_code == 302
    voucher = db.session.scalars(select(model)).one()
    assert voucher.value_minor == 123450
    edit = get_page(client, f"/admin/vouchers/edit/?id={voucher.id}")
    assert f'value="{TYPED[language][1]}"' in _input(edit, "value_minor")


def test_a_form_posted_without_the_amount_asks_for_it(vouchers, users):
    new_app, model = vouchers
    voucher = _voucher(model)
    client = _client(new_app, users[Role.OPERATOR])
    # A partial post (another tool, an old form): the amount is not in the data at all,
    # so the field holds the stored 1250, an int, which is not parsed as typed text.
    response = client.post_form(f"/admin/vouchers/edit/?id={voucher.id}",
                                {"code": "SUMMER", "customer": "", "outlet": ""})
    assert refused(response, "value_minor") == ["This field is required."]
    db.session.expire_all()
    assert (voucher.code, voucher.value_minor) == ("SPRING", 1250)


def test_a_view_that_declares_the_amounts_field_keeps_it(vouchers, users):
    new_app, model = vouchers
    client = _client(new_app, users[Role.OPERATOR])
    assert 'type="number"' in _input(get_page(client, "/admin/vouchers-in-cents/new/"),
                                     "value_minor")
    response = client.post_form("/admin/vouchers-in-cents/new/",
                                {"code": "CENTS", "customer": "__None", "value_minor": "1250"})
    assert response.status_code == 302
    assert db.session.scalars(select(model.value_minor)).one() == 1250


# -- relations ----------------------------------------------------------------------------

def test_a_related_customer_is_picked_by_typing_through_the_search_index(vouchers, users, make):
    new_app, model = vouchers
    garcia = make.customer("Lucía", "García", email="lucia@example.com")
    make.customer("Bruno", "Otero", email="bruno@example.org")
    client = _client(new_app, users[Role.OPERATOR])
    form = get_page(client, "/admin/vouchers/new/")
    assert "<select" not in _input(form, "customer")  # no dropdown of every customer
    assert 'data-role="select2-ajax"' in _input(form, "customer")
    for typed in ("garcia", "Lucía Garc", "lucia@exa"):  # accents and words, as indexed
        found = client.get("/admin/vouchers/ajax/lookup/",
                           query_string={"name": "customer", "query": typed}).get_json()
        assert found == [[garcia.id, "Lucía García · lucia@example.com"]], typed
    response = client.post_form("/admin/vouchers/new/", {
        "code": "SPRING", "customer": str(garcia.id), "outlet": "", "value_minor": "5"})
    assert response.status_code == 302
    assert db.session.scalars(select(model)).one().customer_id == garcia.id


def test_a_related_record_without_an_index_is_found_by_its_naming_columns(vouchers, users,
                                                                          make):
    new_app, _model = vouchers
    centro = make.outlet("Madrid Centro", code="MAD1")
    make.outlet("Bilbao", code="BIO1")
    client = _client(new_app, users[Role.OPERATOR])
    assert 'data-role="select2-ajax"' in _input(get_page(client, "/admin/vouchers/new/"),
                                                "outlet")
    for typed in ("centro", "MAD1"):
        found = client.get("/admin/vouchers/ajax/lookup/",
                           query_string={"name": "outlet", "query": typed}).get_json()
        assert found == [[centro.id, "Madrid Centro"]], typed


def test_a_view_that_chooses_the_relations_field_keeps_its_select(vouchers, users, make):
    new_app, _model = vouchers
    only = make.customer("Only", "One")
    make.customer("Other", "Two")
    client = _client(new_app, users[Role.OPERATOR])
    form = get_page(client, "/admin/vouchers-in-cents/new/")
    options = re.findall(r'<option value="(\d+)"', form.split('name="customer"', 1)[1]
                         .split("</select>", 1)[0])
    assert options == [str(only.id)]
    # No lookup is offered for a relation the view picks from its own list.
    assert client.get("/admin/vouchers-in-cents/ajax/lookup/",
                      query_string={"name": "customer", "query": "Other"}).status_code == 404


# -- search -------------------------------------------------------------------------------

def test_a_search_on_the_customers_path_uses_their_index_not_a_join(vouchers, users, make):
    new_app, model = vouchers
    mine = _voucher(model, code="SPRING", customer=make.customer("Lucía", "García"))
    other = _voucher(model, code="SUMMER", customer=make.customer("Bruno", "Otero"))
    client = _client(new_app, users[Role.VIEWER])
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", keep)  # the new app has its own
    try:
        # "garcia" finds "García": only the folded search index knows them the same.
        assert listed_ids(get_page(client, "/admin/vouchers/", search="garcia")) == [mine.id]
    finally:
        event.remove(Engine, "before_cursor_execute", keep)
    listing = [s for s in statements if "throwaway_vouchers" in s and "customer_id IN" in s]
    assert listing and not any(re.search(r"JOIN customers\b", s) for s in listing)
    assert listed_ids(get_page(client, "/admin/vouchers/", search="summ")) == [other.id]
    assert listed_ids(get_page(client, "/admin/vouchers/", search="otero")) == [other.id]
