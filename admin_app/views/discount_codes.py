"""Discount codes: what a wallet may offer, created and kept by managers."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField

from ..choices import DiscountKind
from ..filters import YesNoFilter
from ..models import DiscountCode
from ..services import discounts, permissions
from ..services.errors import ValidationError
from .base import MARKET, BaseModelView


def _value(view, context, model, name):
    return discounts.value_text(model)


class DiscountCodeView(BaseModelView):
    model_class = DiscountCode
    menu_name = _l("Discount codes")
    menu_category = MARKET
    view_url = "discount-codes"
    record_nouns = (_l("discount code"), _l("discount codes"))
    success_messages = {"created": _l("Discount code %(name)s created."),
                        "saved": _l("Discount code %(name)s saved."),
                        "deleted": _l("Discount code %(name)s deleted.")}

    create_capability = edit_capability = permissions.MANAGE

    column_list = ("code", "description", "kind", "value", "valid_from", "valid_until",
                   "active", "available_in_wallet")
    column_sortable_list = ("code", "kind", "value", "valid_from", "valid_until", "active",
                            "available_in_wallet")
    column_default_sort = ("code", False)
    column_searchable_list = ("code", "description")
    column_filters = (
        "kind",
        YesNoFilter(DiscountCode.active, _l("Active")),
        YesNoFilter(DiscountCode.available_in_wallet, _l("Available in wallet")),
    )
    column_labels = {
        "code": _l("Code"),
        "kind": _l("Kind"),
        "value": _l("Value"),
        "valid_from": _l("Valid from"),
        "valid_until": _l("Valid until"),
        "active": _l("Active"),
        "available_in_wallet": _l("Available in wallet"),
    }
    column_formatters = {"value": _value}
    column_formatters_detail = {"value": _value}
    column_formatters_export = {"value": _value}

    form_columns = ("code", "description", "kind", "amount", "valid_from", "valid_until",
                    "active", "available_in_wallet")
    # One box for both kinds: "15" is a percent, "5,50" an amount, read by the kind chosen.
    form_extra_fields = {
        "amount": StringField(_l("Value"), description=_l(
            "A whole percent (15) for a percent code; an amount (5.50) for a fixed one.")),
    }

    def on_form_prefill(self, form, id):
        if not form.amount.raw_data:  # keep what was typed when the form comes back
            form.amount.data = discounts.value_text(self.get_one(id))

    def validate_form(self, form) -> bool:
        valid = super().validate_form(form)
        if not hasattr(form, "amount"):
            return valid  # the delete form
        try:
            form.parsed_value = discounts.parse_value(
                form.kind.data or DiscountKind.PERCENT, form.amount.data)
        except ValidationError as error:
            form.amount.errors = [*form.amount.errors, str(error)]
            valid = False
        try:
            discounts.check_validity(form.valid_from.data, form.valid_until.data)
        except ValidationError as error:
            form.valid_until.errors = [*form.valid_until.errors, str(error)]
            valid = False
        return valid

    def on_model_change(self, form, model, is_created):
        model.value = form.parsed_value
        discounts.check_wallet_links(model)

    def on_model_delete(self, model):
        discounts.ensure_deletable(model)
