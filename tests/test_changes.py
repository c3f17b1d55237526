"""The one way a page changes data: commit, or roll back and show the refusal."""
from __future__ import annotations

import pytest
from flask import g, get_flashed_messages
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from admin_app.changes import committed_or_refused
from admin_app.extensions import db
from admin_app.models import CustomerGroup
from admin_app.services import ledger
from admin_app.services.errors import DomainError


def group_names() -> list[str]:
    db.session.rollback()  # what a fresh transaction sees: only what was committed
    return list(db.session.scalars(select(CustomerGroup.name).order_by(CustomerGroup.name)))


def test_a_change_is_committed_and_nothing_is_flashed(app):
    with app.test_request_context("/admin/"):
        with committed_or_refused() as outcome:
            db.session.add(CustomerGroup(name="Gold"))
        assert outcome.committed and outcome.refusal is None
        assert get_flashed_messages() == []
    assert group_names() == ["Gold"]


def test_a_refusal_rolls_back_and_is_flashed_in_the_users_language(app, make):
    ana = make.customer("Ana", "Pérez", loyalty_member=True)
    with app.test_request_context("/admin/", headers={"Accept-Language": "es"}):
        with committed_or_refused() as outcome:
            db.session.add(CustomerGroup(name="Written before the refusal"))
            ledger.adjust_points(ana, -5, actor=None, reason="Test", idempotency_key="k1")
        message = "Ana Pérez tiene 0 puntos: no pueden quedar por debajo de cero."
        assert not outcome.committed and outcome.refusal == message
        assert get_flashed_messages(with_categories=True) == [("error", message)]
        assert db.session.scalars(select(CustomerGroup)).all() == []  # rolled back here


def test_a_refusal_made_before_the_request_is_said_in_the_requests_language(app):
    refusal = DomainError(_l("Nothing matches this search and these filters."))
    with app.test_request_context("/admin/", headers={"Accept-Language": "es"}):
        g.pop("_flask_babel", None)  # the test's app context cached English above
        with committed_or_refused() as outcome:
            raise refusal
        assert get_flashed_messages() == ["Nada coincide con esta búsqueda y estos filtros."]
    assert not outcome.committed


def test_a_refusal_can_be_shown_where_the_page_says(app):
    shown: list[str] = []
    with app.test_request_context("/admin/"):
        with committed_or_refused(show=shown.append) as outcome:
            raise DomainError("This file cannot be read.")
        assert get_flashed_messages() == []
    assert shown == ["This file cannot be read."] and not outcome.committed


def test_any_other_error_rolls_back_and_goes_up(app):
    with app.test_request_context("/admin/"):
        with pytest.raises(ZeroDivisionError), committed_or_refused() as outcome:
            db.session.add(CustomerGroup(name="Never kept"))
            db.session.flush()
            raise ZeroDivisionError
        assert get_flashed_messages() == []
        # Rolled back by the helper: the flushed row is gone from this very session.
        assert db.session.scalars(select(CustomerGroup)).all() == []
    assert not outcome.committed
