"""/account/reset/<token>: where a customer sets a new online-store password from
the link staff sent them. No login, and none is made: the store is elsewhere.

The page speaks the customer's language unless its reader picks the other one
(``?lang=``, which its language links set), shows nothing of the account but a
masked email, and keeps its address (the link) out of caches, search engines and
Referer headers. Links that do not work are throttled per address, as failed
logins are (security.throttle_password_reset).
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import TooManyRequests
from wtforms import PasswordField
from wtforms.validators import DataRequired

from .changes import committed_or_refused
from .errors import MESSAGES
from .forms import SecureForm
from .i18n import PAGE_LANGUAGE
from .services import customer_accounts, users
from .services.customer_accounts import ResetLinkInvalid
from .share import PRIVATE_PAGE_HEADERS

bp = Blueprint("account_reset", __name__,
               url_prefix=customer_accounts.RESET_PATH.rstrip("/"))


class NewPasswordForm(SecureForm):
    new = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(_l("New password again"), validators=[DataRequired()])


@bp.url_value_preprocessor
def choose_language(endpoint, values) -> None:
    """Before anything is translated: the language asked for, else the customer's."""
    chosen = request.args.get("lang")
    if chosen not in current_app.config["LANGUAGES"]:
        chosen = _customers_language((values or {}).get("token"))
    setattr(g, PAGE_LANGUAGE, chosen)


def _customers_language(token: str | None) -> str | None:
    # Only a working link's: an old link's page must not tell whose it was.
    if token is None:
        return None
    try:
        return customer_accounts.customer_for_reset(token).language
    except ResetLinkInvalid:
        return None


@bp.after_request
def keep_private(response):
    # Every answer names the token in its address, refusals included.
    response.headers.update(PRIVATE_PAGE_HEADERS)
    return response


@bp.errorhandler(TooManyRequests)
def throttled(error):
    return _unavailable(*MESSAGES[429], 429)


def _unavailable(title, message, status: int):
    return render_template("account/unavailable.html", title=title, message=message), status


@bp.route("/<token>", methods=["GET", "POST"])
def reset(token: str):
    try:
        customer = customer_accounts.customer_for_reset(token)
    except ResetLinkInvalid as refusal:
        return _unavailable(_("Link unavailable"), refusal.message, 404)
    form = NewPasswordForm()
    if form.validate_on_submit():
        # A refused password is said under the new password's box.
        with committed_or_refused(show=form.new.errors.append) as outcome:
            customer_accounts.reset_password(token, form.new.data, form.confirm.data)
        if outcome.committed:
            return redirect(url_for(".done", lang=g.get(PAGE_LANGUAGE) or customer.language))
    status = 400 if request.method == "POST" else 200
    return render_template("account/reset.html", form=form,
                           email=customer_accounts.masked_email(customer.email),
                           password_rule=users.password_rule()), status


@bp.route("/done")
def done():
    """Said once the password is set; the address no longer names the link."""
    return render_template("account/done.html")
