"""The one base view: login and role checks, CSRF forms, refusals, errors from services.

A view module only declares what differs (columns, search, filters, labels);
everything every view needs lives here once, or in the mixins it is built from
(conventions, searching, filter_args, bulk_delete, history, exporting, ...).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, current_app, flash, g, has_request_context, redirect, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy.exc import DataError, IntegrityError

from ..choices import AuditAction
from ..database import stopped_before_finishing
from ..errors import STOPPED_SAVE_MESSAGE, UNFINISHED_CHANGE
from ..extensions import db
from ..forms import SecureForm
from ..services import audit, permissions
from ..services.errors import DomainError
from ..services.permissions import needs  # noqa: F401 - views import it from here
from ..storable import column_limit, refuse_unstorable, whole_number
from .bulk_delete import BulkDelete
from .conventions import ModelConventions
from .declarations import check_view
from .exporting import StreamingExport
from .filter_args import FilterArgs
from .formatting import LIST_TYPE_FORMATTERS
from .history import history_of
from .importing import ImportPages
from .messages import NamedSuccessMessages
from .page_urls import page_url, url_with_query
from .paging import LargeLists
from .refusals import refused_save
from .relations import ExistingRecordLoader, refuse_missing_records
from .searching import SearchBox
from .selection import AllMatching

# Menu groups shared by several views.
MARKET = _l("Market")
# Admins' own screens, one menu entry so the menu keeps to one row.
ADMINISTRATION = _l("Administration")


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

    required_capability: str = permissions.VIEW
    """The capability a role needs to open the view at all."""

    def is_accessible(self) -> bool:
        return permissions.can(current_user, self.required_capability)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    def get_url(self, endpoint: str, **kwargs) -> str:
        if has_request_context():
            return page_url(endpoint, **kwargs)  # a list's rows, static files: built once
        return super().get_url(endpoint, **kwargs)


class BaseModelView(ProtectedView, ModelConventions, SearchBox, FilterArgs, BulkDelete,
                    AllMatching, StreamingExport, ImportPages, LargeLists, NamedSuccessMessages,
                    ModelView):
    """Declarations with safe defaults; permissions follow the role table.

    A view module sets the options below that differ, plus Flask-Admin's own
    (columns, search, filters, forms); the hooks after them are the base's."""

    # -- what the view is: each view module declares these ------------------------
    model_class: type | None = None
    """The model whose records the view lists, shows and edits."""

    menu_name: str | LazyString | None = None
    """The view's entry in the menu, in the reader's language."""

    view_url: str | None = None
    """Its address under /admin/ ("customers"), also its endpoint."""

    menu_category: str | LazyString | None = None
    """The menu group it sits in (MARKET, ADMINISTRATION), or None for the top row."""

    record_nouns: tuple[str | LazyString, str | LazyString] = (_l("record"), _l("records"))
    """What one and several of its records are called ("Delete 3 customers?")."""

    # -- who may do what (see services.permissions) -------------------------------
    create_capability: str = permissions.EDIT
    """The capability a role needs to create records here."""

    edit_capability: str = permissions.EDIT
    """The capability a role needs to edit records here."""

    delete_capability: str = permissions.DELETE
    """The capability a role needs to delete records here."""

    export_capability: str = permissions.EXPORT
    """The capability a role needs to export the list."""

    allow_create: bool = True
    """False turns creating off for every role."""

    allow_edit: bool = True
    """False turns editing off for every role."""

    allow_delete: bool = True
    """False turns deleting off for every role."""

    action_capabilities: dict[str, str] = {}
    """Bulk actions and row buttons that need more than seeing: name -> capability."""

    capability_row_actions: tuple = ()
    """Extra row buttons as (capability, action), each shown only to roles with it."""

    ENDPOINT_FLAGS: dict[str, str] = {
        "create_view": "can_create",
        "edit_view": "can_edit",
        "ajax_update": "can_edit",
        "delete_view": "can_delete",
        "export": "can_export",
        "ajax_lookup": "can_look_up",
    }
    """Which flag each endpoint needs: a forged request for a hidden button gets 403."""

    # -- Flask-Admin's options, with this admin's defaults ---------------------------
    form_base_class = SecureForm
    """Every form carries a CSRF token."""

    list_template: str = "admin/model_list.html"
    """The list, with the Import button where a view imports."""

    details_template: str = "admin/model_details.html"
    """The details page, with the record's History for admins."""

    can_view_details: bool = True
    """Every record has a details page."""

    details_modal: bool = False
    """Details open as a page of their own (one URL to share)."""

    can_set_page_size: bool = True
    """The reader may ask for longer pages."""

    page_size: int = 20
    """Rows per page unless the reader asks for more."""

    column_display_pk: bool = False
    """Internal ids stay out of lists."""

    named_filter_urls: bool = True
    """Stable, readable filter URLs (names taken in English at start-up)."""

    column_type_formatters = LIST_TYPE_FORMATTERS
    """Values shown by type in lists: yes/no badges, dates and numbers the reader's way."""

    column_type_formatters_detail = LIST_TYPE_FORMATTERS
    """The same on details pages."""

    # -- hooks ------------------------------------------------------------------------
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
    def lookup_capability(self) -> str:
        """What type-to-search needs: to fill a form it serves (create or edit). It
        names records (customers...) that a role which only reads the list need not list."""
        forms = [capability for capability, offered in (
            (self.create_capability, self.allow_create), (self.edit_capability, self.allow_edit))
            if offered]
        return permissions.least_demanding(*forms) if forms else permissions.ADMINISTER

    @property
    def can_look_up(self) -> bool:
        return self._allowed(self.lookup_capability)

    @property
    def can_export(self) -> bool:
        return self._allowed(self.export_capability)

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
        if name == "export" and self.list_query_problems():
            return self.refuse_unreadable_matching(exporting=True)
        return None

    def refuse(self):
        refuse_request(self.model.__name__)

    def is_action_allowed(self, name: str) -> bool:
        capability = self.action_capabilities.get(name)
        if capability is not None and not self._allowed(capability):
            return False
        return super().is_action_allowed(name)

    def get_list_row_actions(self):
        extra = [a for capability, a in self.capability_row_actions if self._allowed(capability)]
        return super().get_list_row_actions() + extra

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        """Inline editing (views that declare ``column_editable_list``). Flask-Admin
        fails (500) on a post without the record's key, and answers a refused value
        or an unknown record with status 500: the editor's mistakes are 400s here."""
        if self.column_editable_list and "list_form_pk" not in request.form:
            return _("Record does not exist."), 400
        response = super().ajax_update()
        if isinstance(response, tuple) and response[1] == 500:
            return response[0], 400
        return response

    @pass_context
    def list_row_values(self, context, row, columns) -> list[tuple[str, object]]:
        """Each listed column's name and shown value for one row: one call from the
        list's template per row, not one per cell."""
        return [(name, self.get_list_value(context, row, name)) for name, _label in columns]

    def delete_form_fields(self, delete_form, return_url: str) -> Markup:
        """The delete form's hidden fields every row shares (where to return, the
        CSRF token), rendered once per page: as WTForms fields on each of a
        list's rows they were a quarter of the page's time."""
        # Kept in the request's environ: g lives as long as an app context, which
        # may serve several requests (tests, the shell).
        cache = request.environ.setdefault("backoffice.delete_form_fields", {})
        if return_url not in cache:
            token = delete_form.csrf_token if "csrf_token" in delete_form else ""
            cache[return_url] = Markup(delete_form.url(value=return_url)) + \
                Markup(token() if token else "")
        return cache[return_url]

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
                kwargs.update(history_of(self, model))
        return super().render(template, **kwargs)

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
    def _get_list_url(self, view_args):
        # The list's other query arguments follow its own as they came: given to
        # get_url, "endpoint" or "_method" among them failed (a server error) and
        # "_anchor" or "_external" changed every pager and sort link.
        url = super()._get_list_url(view_args.clone(extra_args={}))
        extra = urlencode(list(view_args.extra_args.items()))
        if not extra:
            return url
        return url + ("&" if "?" in url else "?") + extra

    def get_empty_list_message(self):
        """Say why the list is empty and what to do next."""
        # Read as the list reads it (int(): "+5" and "５" are page 5 too); a list
        # that matches nothing says so on any page.
        page = request.args.get("page", 0, type=int)
        if page > 0 and g.get("list_count") != 0:
            # A link kept from a longer list, or a page typed into the address.
            first_page = url_with_query(".index_view", [
                (key, value) for key, value in request.args.items(multi=True) if key != "page"])
            return Markup('{} <a href="{}">{}</a>').format(
                _("This page is past the last one."), first_page, _("Go to the first page"))
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

    # -- errors from services ----------------------------------------------------
    def handle_view_exception(self, exc: Exception) -> bool:
        # Nothing of a failed save is kept (Flask-Admin rolls back after this too);
        # before it, the message's translation would read the user from a session
        # a failed statement left unusable.
        db.session.rollback()
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
        if stopped_before_finishing(exc):
            current_app.logger.warning("database work stopped in %s: %s", self.endpoint,
                                       getattr(exc, "orig", exc))  # not the values sent
            # The form comes back as it was sent: one more press of Save is the remedy.
            flash(str(STOPPED_SAVE_MESSAGE), "error")
            return True
        if super().handle_view_exception(exc):
            return True
        # Flask-Admin would show the exception itself (SQL and values, in English).
        current_app.logger.exception("could not finish a change in %s", self.endpoint)
        flash(str(UNFINISHED_CHANGE), "error")
        return True
