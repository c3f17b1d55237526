"""A save the database refuses (a CHECK or a unique constraint that the form does
not repeat) comes back as the form, with the error on its field in the user's
language and nothing saved; never as a server error. Shown on a new view whose
model has such rules, registered on a new app as a developer would add one."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db

from ..pages import form_errors
from ..throwaway import throwaway_view

PACKAGE = "throwaway_gizmos"
MODELS = '''
    from sqlalchemy import CheckConstraint, Integer, String, UniqueConstraint
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Gizmo(Base):
        __tablename__ = "throwaway_gizmos"
        __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),
                          UniqueConstraint("code", name="uq_throwaway_gizmos_code"))
        id: Mapped[int] = mapped_column(primary_key=True)
        code: Mapped[str] = mapped_column(String(20))
        stock: Mapped[int] = mapped_column(Integer, default=0)

        def __str__(self):
            return self.code
'''
VIEWS = '''
    from admin_app.views.base import BaseModelView

    from .models import Gizmo


    class GizmoView(BaseModelView):
        model_class = Gizmo
        menu_name = "Gizmos"
        view_url = "gizmos"
        column_list = ("code", "stock")
        form_columns = ("code", "stock")
'''
NEGATIVE = {
    "en": "This value cannot be negative; nothing was saved.",
    "es": "Este valor no puede ser negativo; no se ha guardado nada.",
}
TAKEN = {
    "en": "This value is already used by another record; nothing was saved.",
    "es": "Este valor ya lo usa otro registro; no se ha guardado nada.",
}


@pytest.fixture
def gizmos(app, tmp_path, users):
    with throwaway_view(app, tmp_path, PACKAGE, MODELS, VIEWS, "GizmoView") as (
            new_app, models, _view):
        yield new_app, models.Gizmo


def _client(new_app, user, language):
    user.language = language
    db.session.commit()
    client = new_app.test_client()
    assert client.login(user).status_code == 302
    return client


@pytest.mark.parametrize("language", ("en", "es"))
def test_a_rule_of_the_table_is_a_form_error_in_the_users_language(gizmos, users, language):
    new_app, model = gizmos
    client = _client(new_app, users[Role.OPERATOR], language)
    response = client.post_form("/admin/gizmos/new/", {"code": "G-1", "stock": "-3"})
    assert response.status_code == 200  # the form again, not a 500
    page = response.get_data(as_text=True)
    assert form_errors(page)["stock"] == [NEGATIVE[language]]
    db.session.rollback()
    assert db.session.scalars(select(model)).all() == []


@pytest.mark.parametrize("language", ("en", "es"))
def test_a_value_another_record_uses_is_a_form_error_in_the_users_language(
        gizmos, users, language):
    new_app, model = gizmos
    db.session.add(model(code="G-1", stock=1))
    db.session.commit()
    client = _client(new_app, users[Role.OPERATOR], language)
    response = client.post_form("/admin/gizmos/new/", {"code": "G-1", "stock": "2"})
    assert response.status_code == 200
    assert form_errors(response.get_data(as_text=True))["code"] == [TAKEN[language]]
    db.session.rollback()
    assert len(db.session.scalars(select(model)).all()) == 1
