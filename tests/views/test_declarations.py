"""Declarations are checked when a view is made (at start-up): a name the model
does not have fails loudly with the view and the name."""
from __future__ import annotations

import pytest
from flask_babel import lazy_gettext as _l
from wtforms import StringField

from admin_app.filters import YesNoFilter
from admin_app.models import Customer, Wallet
from admin_app.views.base import BaseModelView
from admin_app.views.declarations import DeclarationError, has_field


def view_declaring(model=Customer, **declarations):
    return type("TypoView", (BaseModelView,), {
        "model_class": model, "menu_name": _l("Customers"), "view_url": "typo",
        **declarations})


@pytest.mark.parametrize("declarations, named", [
    ({"column_list": ("first_name", "emial")}, "column_list: 'emial'"),
    ({"column_searchable_list": ("surnme",)}, "column_searchable_list: 'surnme'"),
    ({"column_filters": ("created",)}, "column_filters: 'created'"),
    ({"column_sortable_list": (("full_name", ("sort_nam", "id")),)},
     "column_sortable_list: 'sort_nam'"),
    ({"column_default_sort": ("birth_day", True)}, "column_default_sort: 'birth_day'"),
    ({"form_columns": ("first_name", "group_name")}, "form_columns: 'group_name'"),
    ({"column_labels": {"postal_code": "Postcode"}}, "column_labels: 'postal_code'"),
    ({"column_list": ("group.title",)}, "column_list: 'group.title'"),
    ({"column_list": ("email.domain",)}, "column_list: 'email.domain'"),
    ({"column_filters": ("group.nmae",)}, "column_filters: 'group.nmae'"),
    ({"form_args": {"emial": {"label": "Email"}}}, "form_args: 'emial'"),
    ({"form_overrides": {"contry": StringField}}, "form_overrides: 'contry'"),
    ({"form_widget_args": {"nots": {"rows": 3}}}, "form_widget_args: 'nots'"),
    ({"form_choices": {"chanel": [("online", "Online")]}}, "form_choices: 'chanel'"),
    ({"column_descriptions": {"emal": "Where we write"}}, "column_descriptions: 'emal'"),
    ({"form_ajax_refs": {"gruop": {"fields": ("name",)}}}, "form_ajax_refs: 'gruop'"),
    ({"form_ajax_refs": {"email": {"fields": ("name",)}}}, "form_ajax_refs: 'email'"),
    ({"form_excluded_columns": ("custmer",)}, "form_excluded_columns: 'custmer'"),
    ({"column_exclude_list": ("notse",)}, "column_exclude_list: 'notse'"),
    ({"column_editable_list": ("stauts",)}, "column_editable_list: 'stauts'"),
    ({"column_formatters": {"emial": str}}, "column_formatters: 'emial'"),
])
def test_a_name_the_model_lacks_fails_with_the_view_and_the_name(app, declarations, named):
    with pytest.raises(DeclarationError) as error:
        view_declaring(**declarations)()
    assert "TypoView declares what Customer does not have" in str(error.value)
    assert named in str(error.value)


def test_every_kind_of_name_a_view_may_use_is_accepted(app):
    view_declaring(
        column_list=("full_name", "group", "group.name", "pdf", "is_blacklisted"),
        column_formatters={"pdf": lambda v, c, m, n: ""},
        column_sortable_list=(("full_name", ("sort_name", "id")), ("group", "group.name")),
        column_default_sort=[("sort_name", False), ("id", False)],
        column_filters=(YesNoFilter(Customer.marketing_opt_in, _l("Marketing opt-in")),
                        "created_at"),
        form_columns=("first_name", "group", "extra"),
        form_extra_fields={"extra": StringField("Extra")},
        form_args={"first_name": {"label": "Name"}, "extra": {"label": "More"}},
        form_overrides={"first_name": StringField},
        form_widget_args={"extra": {"rows": 3}},
        form_ajax_refs={"group": {"fields": ("name",)}},
    )()
    assert has_field(Wallet, "customer.group.name")
    assert not has_field(Wallet, "customer.nope")
