"""The one base view: login and role checks, CSRF forms, labels, formatting, safe export.

A view module only declares what differs (columns, search, filters, labels);
everything every view needs lives here once.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import abort, current_app, flash, g, has_request_context, redirect, request, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.tools import parse_like_term
from flask_admin.tools import rec_getattr
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import Unicode, and_, cast, false, or_
from sqlalchemy.exc import DataError, IntegrityError
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..choices import AuditAction, BlacklistReason
from ..extensions import db
from ..filters import ChoiceFilter
from ..forms import EmailAddressField, LocaleDateField, PhoneField, SecureForm, strip_text
from ..i18n import date_and_time, day, money, number
from ..models import Searchable
from ..services import audit, blacklist, deletion, permissions
from ..services import search as search_service
from ..services.errors import DomainError
from ..services.permissions import needs  # noqa: F401 - views import it from here
from ..services.phones import display_phone
from ..storable import column_limit, problem, record_ids, refuse_unstorable, whole_number
from .declarations import check_view
from .exporting import StreamingExport
from .importing import ImportPages
from .messages import NamedSuccessMessages
from .paging import LargeLists
from .refusals import refused_save
from .relations import ExistingRecordLoader, refuse_missing_records
from .selection import AllMatching

# Labels of columns that many models share, declared once.
COMMON_LABELS = {
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "created_at": _l("Date added"),
    "updated_at": _l("Date updated"),
    "description": _l("Description"),
    "status": _l("Status"),
    "note": _l("Note"),
    "notes": _l("Notes"),
    "country": _l("Country"),
    "postcode": _l("Postcode"),
    "customer": _l("Customer"),
    "outlet": _l("Outlet"),
    "currency": _l("Currency"),
    "is_blacklisted": _l("Blacklisted"),
}

# A bulk delete reads its records this many ids at a time (a database's limit on
# parameters), and names at most this many refusals.
DELETE_CHUNK = 500
REFUSALS_SHOWN = 10

# Menu groups shared by several views.
MARKET = _l("Market")
# Admins' own screens, one menu entry so the menu keeps to one row.
ADMINISTRATION = _l("Administration")

PHONE_HINT = _l("With the country code, for example +34 600 111 222.")

# What a phone typed into the search box may look like: digits and separators.
PHONE_LIKE = re.compile(r"^[+(]?[\d][\d\s().-]{4,}$")


def typed_phone(search: str) -> str | None:
    """The phone a search stands for when typed the usual ways ("600 11 12",
    "0034 600..."), as stored (E.164 digits); None when it is not a phone."""
    text = search.strip()
    if not PHONE_LIKE.match(text):
        return None
    digits = re.sub(r"[\s().-]", "", text)
    return "+" + digits[2:] if digits.startswith("00") else digits


def _yes_no(view, value, name):
    text = _("Yes") if value else _("No")
    css = "badge-success" if value else "badge-secondary"
    return Markup('<span class="badge {}">{}</span>').format(css, text)


def _date(view, value, name):
    return day(value)


def _datetime(view, value, name):
    return date_and_time(value)


def _integer(view, value, name):
    # Identifiers are shown as typed; counts and points as the locale writes numbers.
    if name == "id" or name.endswith("number"):
        return str(value)
    return number(value)


def _empty(view, value, name):
    return ""


LIST_TYPE_FORMATTERS = {type(None): _empty, bool: _yes_no, datetime: _datetime, date: _date,
                        int: _integer}


def _money_formatter(view, context, model, name):
    return money(rec_getattr(model, name), getattr(model, "currency", None))


def _phone_formatter(view, context, model, name):
    return display_phone(rec_getattr(model, name))


def formatter_by_name(name: str):
    """The formatter a column gets by its name: money for "*_minor", a phone for
    "phone"; None for the others."""
    if name.endswith("_minor"):
        return _money_formatter
    if name.rsplit(".", 1)[-1] == "phone":
        return _phone_formatter
    return None


def status_badge(choices_cls, value) -> Markup | str:
    """A choice's label, in its coloured badge where the set declares one (lists,
    and templates as ``status_badge(choices.OrderStatus, order.status)``)."""
    colour = choices_cls.badge(value)
    label = choices_cls.label(value)
    if colour is None:
        return label
    return Markup('<span class="badge badge-{}">{}</span>').format(colour, label)


def choice_badge(choices_cls):
    """A formatter showing a choice column's value as its badge."""
    def format_value(view, context, model, name):
        return status_badge(choices_cls, rec_getattr(model, name))
    return format_value


def name_with_blacklist_marker(view, context, model, name):
    """The record's name, with a visible marker when its phone is blacklisted."""
    if getattr(model, "is_blacklisted", False):
        return Markup('{} <span class="badge badge-danger" title="{}">{}</span>').format(
            str(model), _("This phone number is on the blacklist"), _("Blacklisted")
        )
    return str(model)


def blacklist_marker(view, context, model, name):
    """The value of a "Blacklisted" row: Yes with the entry's reason, or No (the
    row's label already says "Blacklisted")."""
    if not getattr(model, name):
        return _("No")
    entry = blacklist.entry_for(getattr(model, "phone", None))
    if entry is None:
        return Markup('<span class="badge badge-danger">{}</span>').format(_("Yes"))
    return Markup('<span class="badge badge-danger">{}</span>').format(
        _("Yes: %(reason)s", reason=BlacklistReason.label(entry.reason)))


def _python_type(column):
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _is_text(column) -> bool:
    return _python_type(column) is str


def refuse_request(object_type: str | None = None):
    """403 for a request the user's role does not allow, kept in the audit trail."""
    current_app.logger.warning(
        "refused %s %s to %s (role %s)", request.method, request.path,
        current_user.email, current_user.role,
    )
    db.session.rollback()  # nothing of the refused request is kept but the record
    audit.record(db.session, AuditAction.REFUSED, object_type=object_type,
                 summary=f"{request.method} {request.full_path.rstrip('?')}"[:300])
    db.session.commit()
    abort(403)


class ProtectedView:
    """Only logged-in, active admin users whose role allows ``required_capability``."""

    required_capability = permissions.VIEW

    def is_accessible(self) -> bool:
        return permissions.can(current_user, self.required_capability)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class BaseModelView(ProtectedView, AllMatching, StreamingExport, ImportPages, LargeLists,
                    NamedSuccessMessages, ModelView):
    """Declarations with safe defaults; permissions follow the role table."""

    form_base_class = SecureForm
    list_template = "admin/model_list.html"  # adds the Import button where a view imports
    details_template = "admin/model_details.html"  # adds the record's History for admins
    can_view_details = True
    can_set_page_size = True
    page_size = 20
    details_modal = False
    column_display_pk = False
    named_filter_urls = True  # stable, readable filter URLs (names taken in English at start-up)

    # Which capability each kind of change needs (see services.permissions).
    create_capability = permissions.EDIT
    edit_capability = permissions.EDIT
    delete_capability = permissions.DELETE
    export_capability = permissions.EXPORT

    column_type_formatters = LIST_TYPE_FORMATTERS
    column_type_formatters_detail = LIST_TYPE_FORMATTERS

    # What one and several of the view's records are called ("Delete 3 customers?").
    record_nouns = (_l("record"), _l("records"))

    # Each view module declares these four, and the columns.
    model_class: type | None = None
    menu_name = None
    view_url: str | None = None
    menu_category = None

    def __init__(self):
        check_view(type(self), self.model_class)  # a typo fails the start-up, named
        self._apply_model_conventions(self.model_class)
        super().__init__(
            self.model_class,
            db,
            name=self.menu_name,
            endpoint=self.view_url,
            url=self.view_url,
            category=self.menu_category,
        )

    # -- permissions ----------------------------------------------------------
    def _allowed(self, capability: str) -> bool:
        # Outside a request (while registering) every feature is built; each
        # request then sees only what the user's role allows.
        return not has_request_context() or permissions.can(current_user, capability)

    @property
    def can_create(self) -> bool:
        return self._allowed(self.create_capability) and self.allow_create

    @property
    def can_edit(self) -> bool:
        return self._allowed(self.edit_capability) and self.allow_edit

    @property
    def can_delete(self) -> bool:
        return self._allowed(self.delete_capability) and self.allow_delete

    @property
    def can_export(self) -> bool:
        return self._allowed(self.export_capability)

    # Which flag each endpoint needs: a forged request for a hidden button gets 403.
    ENDPOINT_FLAGS = {
        "create_view": "can_create",
        "edit_view": "can_edit",
        "ajax_update": "can_edit",
        "delete_view": "can_delete",
        "export": "can_export",
    }

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        flag = self.ENDPOINT_FLAGS.get(name)
        if flag and not getattr(self, flag):
            self.refuse()
        if name == "action_view" and not self.is_action_allowed(request.form.get("action", "")):
            self.refuse()
        capability = getattr(getattr(self, name, None), "capability", None)
        if capability is not None and not self._allowed(capability):
            self.refuse()
        if self.all_matching_requested() and self.list_query_problems():
            return self.refuse_unreadable_matching()
        return None

    def refuse(self):
        refuse_request(self.model.__name__)

    # Bulk actions and row buttons that need more than seeing: name -> capability.
    action_capabilities: dict[str, str] = {}
    # Extra row buttons, each shown only to roles with its capability.
    capability_row_actions: tuple = ()

    def is_action_allowed(self, name: str) -> bool:
        capability = self.action_capabilities.get(name)
        if capability is not None and not self._allowed(capability):
            return False
        return super().is_action_allowed(name)

    def get_list_row_actions(self):
        extra = [a for capability, a in self.capability_row_actions if self._allowed(capability)]
        return super().get_list_row_actions() + extra

    # -- details pages -------------------------------------------------------------
    def details_extras(self, model) -> dict:
        """What a view's details template shows beyond the record's own fields."""
        return {}

    def render(self, template, **kwargs):
        if template == self.details_template and "model" in kwargs:
            model = kwargs["model"]
            kwargs.update(self.details_extras(model))
            # Who changed this record, and how: the audit log is for admins only.
            if self._allowed(permissions.ADMINISTER):
                from .audit import changes_of  # the audit view formats changes once

                kwargs["audit_history"] = audit.history(type(model).__name__, model.id)
                kwargs["audit_object"] = (type(model).__name__, str(model.id))
                kwargs["audit_changes"] = lambda event: changes_of(self, event, model)
        return super().render(template, **kwargs)

    # A view turns a kind of change off for everyone with these.
    allow_create = True
    allow_edit = True
    allow_delete = True

    # -- conventions derived from the model -------------------------------------
    def _apply_model_conventions(self, model) -> None:
        """Labels, choice labels, money and phone formatting, normalising fields.

        Declared values in the view always win over these defaults.
        """
        columns = model.__table__.columns
        choices = {c.key: c.info["choices"] for c in columns if "choices" in c.info}
        formatters = {}
        # The model's columns and related ones the view lists ("wallet.customer.phone").
        names = {c.key for c in columns} | {
            n for n in (*(self.column_list or ()), *(self.column_details_list or ()))
            if isinstance(n, str)}
        for key, choices_cls in choices.items():
            if choices_cls.BADGES:
                formatters[key] = choice_badge(choices_cls)
        for name in names:
            if formatter_by_name(name) is not None:
                formatters[name] = formatter_by_name(name)
        self.column_labels = {**COMMON_LABELS, **(self.column_labels or {})}
        self.column_choices = {
            **{key: cls.choices() for key, cls in choices.items()},
            **(self.column_choices or {}),
        }
        self.form_choices = {
            **{key: cls.choices() for key, cls in choices.items()},
            **(self.form_choices or {}),
        }
        self.column_formatters = {**formatters, **(self.column_formatters or {})}
        # Details pages get the type conventions plus their own declarations only.
        self.column_formatters_detail = {**formatters, **(self.column_formatters_detail or {})}
        self.column_formatters_export = dict(self.column_formatters_export or {})
        args = {key: dict(value) for key, value in (self.form_args or {}).items()}
        for column in columns:
            # Choices are selects; phone and email fields normalise and explain themselves.
            if _is_text(column) and "choices" not in column.info and column.key not in (
                "phone", "email"
            ):
                # "  Ana " is saved as "Ana", and a required name of only spaces is refused.
                field_args = args.setdefault(column.key, {})
                field_args.setdefault("filters", [strip_text])
                if not column.nullable:
                    field_args.setdefault("validators", [DataRequired()])
        # Days are picked in the calendar or typed the user's way (22/11/2026).
        overrides = {c.key: LocaleDateField for c in columns if _python_type(c) is date}
        # Long free text (models.long_text) is a text area, with the Length(max=n) check
        # (and maxlength attribute) Flask-Admin gives String(n) fields it builds itself.
        for column in columns:
            length = getattr(column.type, "length", None) if _is_text(column) else None
            if length and length > 255 and "choices" not in column.info:
                overrides[column.key] = TextAreaField
                field_args = args.setdefault(column.key, {})
                field_args["validators"] = [*field_args.get("validators", ()), Length(max=length)]
        if "phone" in columns:
            overrides["phone"] = PhoneField
            args["phone"] = {"description": PHONE_HINT, **args.get("phone", {})}
        self.form_args = args
        if "email" in columns:
            overrides["email"] = EmailAddressField
        self.form_overrides = {**overrides, **(self.form_overrides or {})}
        self._choice_classes = choices

    def _prettify_name(self, name):
        # An undeclared label of an amount reads "Price", not "Price Minor".
        return super()._prettify_name(name.removesuffix("_minor"))

    def scaffold_filters(self, name):
        # Choice columns filter by their translated labels.
        if isinstance(name, str) and name in getattr(self, "_choice_classes", {}):
            column = getattr(self.model, name)
            label = self.column_labels.get(name, name)
            return [ChoiceFilter(column, label, self._choice_classes[name])]
        return super().scaffold_filters(name)

    # -- filter URL names: the same in every language ------------------------------
    def _refresh_filters_cache(self):
        self._start_up_filter_args = {}
        super()._refresh_filters_cache()
        self._start_up_filter_args = {
            index: arg for arg, (index, _flt) in (self._filter_args or {}).items()}

    def get_filter_arg(self, index, flt):
        # Flask-Admin builds the arg from the filter's label, which a request in
        # Spanish translates ("País" -> "pas"): every URL the app builds (pager, sort,
        # return links) uses the name taken in English at start-up instead.
        known = getattr(self, "_start_up_filter_args", {}).get(index)
        return known if known is not None else super().get_filter_arg(index, flt)

    # -- filters whose options come from the database, asked on each request ---
    def _get_filter_groups(self):
        groups = super()._get_filter_groups()
        if not groups:
            return groups
        # By position: a filter's arg is built from its name, which is translated,
        # so in Spanish it no longer matches the arg computed (in English) at start-up.
        live = {
            index: flt.live_choices()
            for index, flt in enumerate(self._filters or [])
            if getattr(flt, "live_options", False)
        }
        for entries in groups.values():
            for entry in entries:
                if entry["index"] in live:
                    entry["options"] = live[entry["index"]]
        return groups

    # -- search ------------------------------------------------------------------
    def _apply_search(self, query, count_query, joins, count_joins, search):
        message = self.search_problem(search)
        if message is not None:
            flash(message, "error")
            if count_query is not None:
                count_query = count_query.filter(false())
            return query.filter(false()), count_query, joins, count_joins
        # Control characters (a NUL byte) are no part of any searched text.
        search = " ".join(search_service.words(search))
        query, joins, condition = self._search_condition(query, joins, search)
        query = query.filter(condition)
        if count_query is not None:
            count_query, count_joins, count_condition = self._search_condition(
                count_query, count_joins, search
            )
            count_query = count_query.filter(count_condition)
        return query, count_query, joins, count_joins

    def _search_condition(self, query, joins, search: str):
        """Every word in some searchable column; or, for a phone typed the way people
        write it ('600 11 12', '0034 600...'), those digits in the phone column."""
        if issubclass(self.model, Searchable):
            # Indexed: a million rows are searched without reading each of them.
            dialect = db.session.get_bind().dialect.name
            return query, joins, search_service.matches(
                self.model, search, self.phone_digits(search), dialect)
        words = []
        for term in search.split():
            pattern = parse_like_term(term)
            matches = []
            for field, path in self._search_fields:
                query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
                column = field if alias is None else getattr(alias, field.key)
                matches.append(cast(column, Unicode).ilike(pattern))
            words.append(or_(*matches))
        condition = and_(*words)
        digits = self.phone_digits(search)
        if digits:
            condition = or_(condition, self.model.phone.like(f"%{digits}%"))
        return query, joins, condition

    def search_problem(self, search: str | None) -> str | None:
        """Why a search cannot be run (too many words), or None."""
        if search and len(search_service.words(search)) > search_service.MAX_WORDS:
            return _("A search takes at most %(count)s words: leave some out.",
                     count=search_service.MAX_WORDS)
        return None

    def phone_digits(self, search: str) -> str | None:
        """The phone a search term stands for, as stored (E.164 digits), or None."""
        if "phone" not in (self.column_searchable_list or ()):
            return None
        return typed_phone(search)

    def get_one(self, id):
        # ?id=abc or an id past 2^63 is a record that does not exist, not a 500.
        key = whole_number(id)
        return None if key is None else super().get_one(str(key))

    # -- forms ---------------------------------------------------------------------
    def validate_form(self, form) -> bool:
        valid = super().validate_form(form)
        if request.method == "POST":
            valid = refuse_missing_records(form) and valid
            # An INTEGER column holds less than 2^63 on PostgreSQL.
            limits = {c.key: column_limit(c) for c in self.model.__table__.columns}
            valid = refuse_unstorable(form, limits) and valid
        return valid

    def create_model(self, form):
        g.form_being_saved = form  # a refused save names its field (handle_view_exception)
        return super().create_model(form)

    def update_model(self, form, model):
        g.form_being_saved = form
        return super().update_model(form, model)

    def _create_ajax_loader(self, name, options):
        remote_model = getattr(self.model, name).prop.mapper.class_
        return ExistingRecordLoader(name, self.session, remote_model, **options)

    # -- what the list says and asks ---------------------------------------------
    def get_empty_list_message(self):
        """Say why the list is empty and what to do next."""
        if request.args.get("search") or any(k.startswith("flt") for k in request.args):
            return Markup('{} <a href="{}">{}</a>').format(
                _("Nothing matches this search and these filters."),
                url_for(".index_view"), _("Show everything"))
        message = Markup("{}").format(_("No %(records)s yet.", records=self.record_nouns[1]))
        if self.can_create:
            message += Markup(' <a href="{}">{}</a>').format(url_for(".create_view"),
                                                             _("Create the first one."))
        if getattr(self, "can_import", False):
            message += Markup(' <a href="{}">{}</a>').format(url_for(".import_view"),
                                                             _("Import a file."))
        return message

    def _get_list_filter_args(self):
        chosen, problems = self.read_filter_args()
        for message in problems:
            flash(message, "error")
        return chosen if self._filters else None

    def read_filter_args(self) -> tuple[list, list[str]]:
        """The list's filters from the URL, in their order, and a message for each
        one that cannot be used (unknown, unreadable, or past what the database holds)."""
        chosen, problems = [], []
        for arg in request.args:
            if not arg.startswith("flt"):
                continue
            position, _sep, key = arg[3:].partition("_")
            idx, flt = (self._filter_args or {}).get(key, (None, None))
            if flt is None:
                problems.append(_("There is no filter “%(filter)s” on this list.", filter=arg))
                continue
            value = request.args[arg]
            if not self._filter_value_usable(flt, value):
                problems.append(self.get_invalid_value_msg(value, flt))
                continue
            chosen.append((position, (idx, str(flt.name), value)))
        return [entry for _position, entry in sorted(chosen, key=lambda n: n[0])], problems

    @staticmethod
    def _filter_value_usable(flt, value: str) -> bool:
        if problem(value) is not None or not flt.validate(value):
            return False
        try:
            return problem(flt.clean(value)) is None
        except (TypeError, ValueError):
            return False

    def list_query_problems(self) -> list[str]:
        """What in the list's URL cannot be read: its filters, its search."""
        _chosen, problems = self.read_filter_args()
        search = self.search_problem(request.args.get("search"))
        return problems + ([search] if search else [])

    def get_invalid_value_msg(self, value, filter) -> str:
        message = _("“%(value)s” is not a valid value for the filter “%(filter)s”.",
                    value=value, filter=filter.name)
        hint = getattr(filter, "value_hint", None)
        if hint is not None:
            message += " " + _("Write it like %(example)s.", example=hint())
        return message

    def counted_confirmations(self) -> dict:
        """Confirmations that say how many records the action will change,
        "Delete 3 customers?": {action: {"one": ..., "other": ...}}, where the
        page puts the number of checked rows in place of {#}."""
        if not self.is_action_allowed("delete"):
            return {}
        one, other = self.record_nouns
        return {"delete": {
            "one": _("Delete %(count)s %(records)s? This cannot be undone.",
                     count="{#}", records=one),
            "other": _("Delete %(count)s %(records)s? This cannot be undone.",
                       count="{#}", records=other),
        }}

    def delete_question(self, model) -> str:
        """What the row's delete button asks: the record by name, and what follows."""
        return _("Delete %(record)s %(name)s? This cannot be undone.",
                 record=self.record_nouns[0], name=str(model))

    def get_actions_list(self):
        actions, confirmations = super().get_actions_list()
        for name in self.counted_confirmations():
            confirmations.pop(name, None)  # asked by counted-confirm.js instead
        return actions, confirmations

    @action("delete", _l("Delete"), _l("Delete the selected records?"))
    def action_delete(self, ids):
        """Every selected record, or none: each refusal is named with its reason."""
        key = getattr(self.model, self._primary_key)
        chosen = record_ids(ids)
        records = [row for start in range(0, len(chosen), DELETE_CHUNK)
                   for row in self.get_query().filter(
                       key.in_(chosen[start:start + DELETE_CHUNK])).order_by(key)]
        try:
            refusals = deletion.delete_all_or_none(records, self.on_model_delete)
        except IntegrityError as error:
            db.session.rollback()
            self.handle_view_exception(error)
            return
        if refusals:
            db.session.rollback()
            flash(ngettext("Nothing was deleted: %(num)d %(records)s cannot be deleted.",
                           "Nothing was deleted: %(num)d %(records)s cannot be deleted.",
                           len(refusals), records=self.record_noun(len(refusals))), "error")
            for message in refusals[:REFUSALS_SHOWN]:
                flash(message, "error")
            if len(refusals) > REFUSALS_SHOWN:
                flash(_("…and %(count)s more.", count=len(refusals) - REFUSALS_SHOWN), "error")
            return
        db.session.commit()
        for record in records:
            self.after_model_delete(record)
        flash(ngettext("Deleted %(num)d %(records)s.", "Deleted %(num)d %(records)s.",
                       len(records), records=self.record_noun(len(records))), "success")

    def record_noun(self, count: int) -> str:
        """What ``count`` of this view's records are called: "customer", "customers"."""
        return str(self.record_nouns[0 if count == 1 else 1])

    # -- errors from services ----------------------------------------------------
    def handle_view_exception(self, exc: Exception) -> bool:
        if isinstance(exc, DomainError):
            flash(str(exc), "error")
            return True
        if isinstance(exc, IntegrityError):
            current_app.logger.info("integrity error in %s: %s", self.endpoint, exc.orig)
            # A unique value or a rule of the table: said on the field, in the user's language.
            flash(refused_save(exc, self.model.__table__, g.pop("form_being_saved", None)),
                  "error")
            return True
        if isinstance(exc, (DataError, OverflowError)):
            current_app.logger.info("value refused in %s: %s", self.endpoint, exc)
            flash(_("A value is too large or cannot be stored; nothing was saved."), "error")
            return True
        return super().handle_view_exception(exc)
