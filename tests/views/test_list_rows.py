"""A list's rows as our template draws them: cell for cell Flask-Admin's own
row on every kind of list and in both languages; a view's own row buttons and
inline editing (``column_editable_list``) keep working."""
from __future__ import annotations

import re

import pytest
from flask import current_app
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db

from ..conftest import admins_by_language
from ..pages import get_page, listed_ids
from ..throwaway import throwaway_view


def _rows(page: str) -> str:
    """The table's rows, the whitespace around tags and the CSRF tokens (signed
    afresh for each request) aside."""
    body = page.split("</thead>", 1)[1].split("</table>", 1)[0]
    body = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", body)
    return re.sub(r"\s+", " ", re.sub(r"\s*(<[^>]+>)\s*", r"\1", body)).strip()


@pytest.mark.parametrize("url", [
    "/admin/customers/?sort=3&desc=1",
    "/admin/wallets/",
    "/admin/guests/",
    "/admin/blacklist/",
    "/admin/groups/",
    "/admin/orders/",
])
def test_each_row_is_flask_admins_own_row(app, users, password_hash, make, monkeypatch, url):
    for n in range(3):
        person = make.customer("Ana", f"Núñez <b>{n}</b>", phone=f"+3460011122{n}",
                               balance_minor=123_450 * n, marketing_opt_in=n % 2 == 0,
                               country="ES", group=make.group(f"Group <{n}>"))
        make.wallet(person)
        make.guest(f"Guest {n}")
        make.order(person)
    make.blacklist("+34600111220", note='"><script>x</script>')
    for language, client in admins_by_language(app, users, password_hash).items():
        ours = get_page(client, url)
        assert listed_ids(ours), (language, url)
        views = current_app.extensions["admin"][0]._views
        view = next(v for v in views if getattr(v, "url", "") == url.split("?")[0].rstrip("/"))
        monkeypatch.setattr(view, "list_template", "admin/model/list.html")  # Flask-Admin's
        assert _rows(get_page(client, url)) == _rows(ours), (language, url)
        monkeypatch.undo()


MODELS = '''
    from sqlalchemy import String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Locker(Base):
        __tablename__ = "throwaway_lockers"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(80))

        def __str__(self):
            return self.name
'''
VIEWS = '''
    from flask_babel import lazy_gettext as _l

    from admin_app.views.base import BaseModelView

    from .models import Locker


    class LockerView(BaseModelView):
        model_class = Locker
        menu_name = _l("Lockers")
        view_url = "lockers"
        column_list = ("name",)
        form_columns = ("name",)
        list_template = "locker_list.html"


    class EditableLockerView(LockerView):
        menu_name = _l("Lockers, editable")
        view_url = "lockers-editable"
        column_editable_list = ("name",)
'''
# A view's own list template adding a button to each row, as Flask-Admin allows.
LOCKER_LIST = """{% extends 'admin/model_list.html' %}
{% block list_row_actions %}{{ super() }}
  <a class="locker-open" href="#{{ get_pk_value(row) }}">Open</a>
{% endblock %}"""


@pytest.fixture
def lockers(app, tmp_path):
    with throwaway_view(app, tmp_path, "throwaway_lockers", MODELS, VIEWS, "LockerView") as (
            new_app, models, view_class):
        package = __import__("throwaway_lockers.views").views
        new_app.extensions["admin"][0].add_view(package.EditableLockerView())
        new_app.jinja_env.loader = ChoiceLoader([DictLoader({"locker_list.html": LOCKER_LIST}),
                                                 new_app.jinja_env.loader])
        locker = models.Locker(name="North")
        db.session.add(locker)
        db.session.commit()
        yield new_app, models.Locker, locker.id


def _client(new_app, users, role):
    client = new_app.test_client()
    assert client.login(users[role]).status_code == 302
    return client


@pytest.mark.parametrize("url", ["/admin/lockers/", "/admin/lockers-editable/"])
def test_a_views_own_row_buttons_are_drawn_with_or_without_inline_editing(lockers, users,
                                                                        url):
    new_app, _model, locker_id = lockers
    page = get_page(_client(new_app, users, Role.OPERATOR), url)
    assert f'class="locker-open" href="#{locker_id}"' in page
    assert f"/admin/lockers{url[len('/admin/lockers'):-1]}/details/?id={locker_id}" in page


def test_inline_editing_saves_and_refuses_a_post_without_a_record_with_400(lockers, users):
    new_app, model, locker_id = lockers
    url = "/admin/lockers-editable/ajax/update/"
    operator = _client(new_app, users, Role.OPERATOR)
    assert operator.post_form(url, {"name": "South"}).status_code == 400
    assert operator.post_form(url, {"list_form_pk": "999999", "name": "South"}).status_code == 400
    assert operator.post_form(url, {"list_form_pk": "abc", "name": "South"}).status_code == 400
    assert operator.post_form(url, {"list_form_pk": str(locker_id), "name": ""}).status_code == 400
    assert _client(new_app, users, Role.VIEWER).post_form(
        url, {"list_form_pk": str(locker_id), "name": "South"}).status_code == 403
    saved = operator.post_form(url, {"list_form_pk": str(locker_id), "name": "South"})
    assert saved.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(model.name).where(model.id == locker_id)) == "South"
