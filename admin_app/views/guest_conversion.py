"""Guests made customers: "Make a customer" on a guest's page (attach to a customer
with the same email or phone, or create one), and attaching every guest whose
email is a customer's at once. The rules are services/guest_conversion.py's."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from ..changes import committed_or_refused
from ..choices import Channel, Language
from ..extensions import db
from ..forms import EmailAddressField, PhoneField, SecureForm, strip_text
from ..i18n import locale, number
from ..models import Customer, Guest
from ..services import guest_conversion, permissions
from ..services.phones import display_phone
from ..storable import whole_number
from .base import needs
from .conventions import PHONE_HINT


class NewCustomerForm(SecureForm):
    """The new customer's details, filled from the guest's for the operator to correct."""

    first_name = StringField(_l("First name"), filters=[strip_text],
                             validators=[DataRequired(), Length(max=80)])
    surname = StringField(_l("Surname"), filters=[strip_text],
                          validators=[DataRequired(), Length(max=120)])
    email = EmailAddressField(_l("Email"))
    phone = PhoneField(_l("Phone"), description=PHONE_HINT)
    channel = SelectField(_l("Channel"), choices=Channel.choices, validate_choice=True)
    language = SelectField(_l("Language"), choices=Language.choices, validate_choice=True,
                           description=_l("What is sent to the customer is in this language."))


class AttachForm(SecureForm):
    customer_id = HiddenField(validators=[InputRequired()])


class ConfirmForm(SecureForm):
    # Set by the confirmation's button: a post without it asks again.
    confirmed = HiddenField(validators=[InputRequired()])


class GuestConversionPages:
    """Mixed into the guests' view."""

    def _guest(self) -> Guest:
        return db.get_or_404(Guest, whole_number(request.args.get("id")) or 0)

    @expose("/make-customer/", methods=("GET", "POST"))
    @needs(permissions.EDIT)
    def make_customer_view(self):
        """First the customers with the guest's email or phone, to attach the guest to;
        then a new customer made from the guest's details."""
        guest = self._guest()
        back = url_for(".details_view", id=guest.id)
        if guest.customer_id is not None:
            flash(_("%(name)s was already made a customer.", name=guest.name), "info")
            return redirect(back)
        first_name, surname = guest_conversion.split_name(guest.name)
        form = NewCustomerForm(data={
            "first_name": first_name, "surname": surname, "email": guest.email,
            "phone": guest.phone, "channel": guest_conversion.default_channel(guest),
            "language": locale().language if locale().language in Language.values()
            else Language.EN})
        status = 200
        if request.method == "POST":
            done = self._attach(guest) if "customer_id" in request.form else self._create(
                guest, form)
            if done is not None:
                return done
            status = 400
        return self.render("admin/guest_make_customer.html", guest=guest, form=form,
                           attach_form=AttachForm(),
                           matches=guest_conversion.matching_customers(guest),
                           orders=guest.orders_count, display_phone=display_phone,
                           cancel_url=back), status

    def _attach(self, guest: Guest):
        form = AttachForm()
        if not form.validate():
            return None
        customer = db.session.get(Customer, whole_number(form.customer_id.data) or 0)
        if customer is None:
            flash(_("This customer does not exist (any more)."), "error")
            return None
        with committed_or_refused() as outcome:
            moved = guest_conversion.attach(guest, customer)
        if not outcome.committed:
            return None
        return self._done(guest.name, customer, len(moved))

    def _create(self, guest: Guest, form: NewCustomerForm):
        if not form.validate():
            return None
        with committed_or_refused() as outcome:
            customer = guest_conversion.create_customer(
                guest, first_name=form.first_name.data, surname=form.surname.data,
                email=form.email.data, phone=form.phone.data, channel=form.channel.data,
                language=form.language.data)
        if not outcome.committed:
            return None
        return self._done(guest.name, customer, customer.orders.count())

    def _done(self, guest_name: str, customer: Customer, moved: int):
        if moved:
            said = ngettext("%(guest)s is now the customer %(customer)s: %(count)s order moved.",
                            "%(guest)s is now the customer %(customer)s: %(count)s orders moved.",
                            moved, guest=guest_name, customer=customer.full_name,
                            count=number(moved))
        else:
            said = _("%(guest)s is now the customer %(customer)s (the guest had no orders).",
                     guest=guest_name, customer=customer.full_name)
        flash(said, "success")
        return redirect(url_for("customers.details_view", id=customer.id))

    @expose("/attach-by-email/", methods=("GET", "POST"))
    @needs(permissions.CUSTOMER_DATA)
    def attach_by_email_view(self):
        """Every guest whose email is exactly one customer's, attached to them after
        a confirmation that says how many."""
        form = ConfirmForm()
        back = url_for(".index_view")
        if request.method == "POST":
            if not form.validate():
                abort(400)
            with committed_or_refused() as outcome:
                result = guest_conversion.attach_all_by_email()
            if outcome.committed:
                flash(_bulk_done(result), "success")
                return redirect(url_for(".attach_by_email_view") if result.remaining else back)
        matches = guest_conversion.email_matches()
        return self.render("admin/guest_attach_by_email.html", form=form, matches=matches,
                           differing=guest_conversion.differing_names(),
                           limit=guest_conversion.BULK_LIMIT, cancel_url=back)


def _bulk_done(result: guest_conversion.BulkResult) -> str:
    said = ngettext("%(count)s guest attached to the customer with their email",
                    "%(count)s guests attached to the customers with their email",
                    result.attached, count=number(result.attached))
    said += "; " + ngettext("%(count)s order moved.", "%(count)s orders moved.",
                            result.orders_moved, count=number(result.orders_moved))
    if result.remaining:
        said += " " + ngettext("%(count)s more guest is left to attach.",
                               "%(count)s more guests are left to attach.",
                               result.remaining, count=number(result.remaining))
    return said
