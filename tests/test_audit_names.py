"""The audit log names each kind of record as people call it, in the reader's
language: as the view that lists them names one (its record_nouns), or, for
records with no view of their own, as their model does. A new view needs no
second list of names."""
from __future__ import annotations

import html
import json
import re

import pytest

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.services import audit

from .pages import get_page, table_rows
from .throwaway import throwaway_view

PACKAGE = "throwaway_coupons"
MODELS = '''
    from sqlalchemy import String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Coupon(Base):
        __tablename__ = "throwaway_coupons"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(80))

        def __str__(self):
            return self.name
'''
VIEWS = '''
    from flask_babel import lazy_gettext as _l

    from admin_app.views.base import BaseModelView

    from .models import Coupon


    class CouponView(BaseModelView):
        model_class = Coupon
        menu_name = _l("Discount codes")
        view_url = "coupons"
        record_nouns = (_l("discount code"), _l("discount codes"))
        column_list = ("name",)
'''
# The view's singular noun, capitalised, in each language.
COUPON = {"en": "Discount code", "es": "Código de descuento"}
OUTLET = {"en": "Outlet", "es": "Tienda"}


def _reading_in(client, user, language: str):
    user.language = language
    db.session.commit()
    return client


def _object_type_options(page: str) -> dict[str, str]:
    """The audit log's "Object type" filter choices, kind -> name, as the page offers them."""
    data = re.search(r'id="filter-groups-data" class="d-none">(.*?)</div>', page, re.S)
    groups = json.loads(html.unescape(data.group(1)))
    [entry] = next(entries for label, entries in groups.items()
                   if label in ("Object type", "Tipo de registro"))
    return dict(entry["options"])


@pytest.mark.parametrize("language", ("en", "es"))
def test_a_new_views_records_are_named_by_its_record_nouns(app, tmp_path, users, language):
    with throwaway_view(app, tmp_path, PACKAGE, MODELS, VIEWS, "CouponView") as (
            new_app, models, _view):
        db.session.add(models.Coupon(name="SPRING"))
        db.session.commit()
        client = new_app.test_client()
        assert client.login(users[Role.ADMIN]).status_code == 302
        _reading_in(client, users[Role.ADMIN], language)
        page = get_page(client, "/admin/audit/", flt0_object_type_equals="Coupon")
        assert [row["object_type"] for row in table_rows(page)] == [COUPON[language]]
        assert _object_type_options(page)["Coupon"] == COUPON[language]


@pytest.mark.parametrize("language", ("en", "es"))
def test_records_with_no_view_are_named_by_their_model(admin_client, users, make, language):
    make.outlet("Madrid Centro")
    _reading_in(admin_client, users[Role.ADMIN], language)
    page = get_page(admin_client, "/admin/audit/", flt0_object_type_equals="Outlet")
    assert [row["object_type"] for row in table_rows(page)] == [OUTLET[language]]


def test_every_audited_kind_of_record_has_a_name(app):
    named_by_views = {view.model for view in app.extensions["admin"][0]._views
                      if getattr(view, "model", None) is not None}
    unnamed = [mapper.class_.__name__ for mapper in db.Model.registry.mappers
               if not issubclass(mapper.class_, audit.NOT_AUDITED)
               and mapper.class_ not in named_by_views
               and not hasattr(mapper.class_, "record_nouns")]
    assert unnamed == []


def test_the_filter_choices_come_from_the_trail_in_the_order_of_their_names(users, make):
    make.outlet("Madrid Centro")
    make.group("Gold")
    names = {"Outlet": "Zeta", "CustomerGroup": "Alfa"}
    choices = audit.object_type_choices(lambda kind: names.get(kind, kind))
    assert ("CustomerGroup", "Alfa") in choices and ("Outlet", "Zeta") in choices
    assert [name for _kind, name in choices] == sorted(name for _kind, name in choices)
    assert len({kind for kind, _name in choices}) == len(choices)  # each kind once
    assert audit.user_choices() == sorted(((user.id, user.email) for user in users.values()),
                                          key=lambda choice: choice[1])
