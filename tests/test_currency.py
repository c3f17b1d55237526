"""The default currency is decided once, by the CURRENCY setting, and read everywhere."""
from __future__ import annotations

import pytest
from flask import g

from admin_app.extensions import db
from admin_app.i18n import money
from admin_app.services import invoices
from admin_app.services.errors import ValidationError
from admin_app.services.money import parse_money

# In name order: parallel test workers must collect the same list.
MODELS_WITH_A_CURRENCY = sorted((m.class_ for m in db.Model.registry.mappers
                                 if "currency" in m.local_table.columns),
                                key=lambda model: model.__name__)


@pytest.fixture
def pounds(app, monkeypatch):
    monkeypatch.setitem(app.config, "CURRENCY", "GBP")


def test_every_model_with_a_currency_is_known():
    assert {m.__name__ for m in MODELS_WITH_A_CURRENCY} >= {
        "DiscountCode", "Order", "Wallet", "Invoice"}


@pytest.mark.parametrize("model", MODELS_WITH_A_CURRENCY, ids=lambda m: m.__name__)
def test_a_new_record_takes_the_setting_as_its_currency(pounds, make, model):
    assert make.example(model).currency == "GBP"


def test_an_invoice_is_issued_in_the_setting(pounds):
    assert invoices.issue_terms()["currency"] == "GBP"


def test_amounts_that_name_no_currency_are_shown_and_read_in_the_setting(app, pounds):
    with app.test_request_context("/admin/", headers={"Accept-Language": "en"}):
        g.pop("_flask_babel", None)  # the test's app context cached a locale before
        assert money(1250) == "£12.50"
        assert parse_money("£12.50", "en") == 1250
        with pytest.raises(ValidationError, match="enter the amount in"):
            parse_money("€12.50", "en")
