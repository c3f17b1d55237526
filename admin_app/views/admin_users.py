"""Admin users (admins only): create, change role, deactivate, reset a password.

Users are never deleted, only deactivated: a deactivated user's sessions stop
working at once and for good (reactivating them does not bring them back); an
admin's password reset ends the user's sessions too.
"""
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from sqlalchemy import inspect
from wtforms import PasswordField
from wtforms.validators import Optional

from ..choices import Role
from ..models import AdminUser
from ..services import permissions, users
from .base import ADMINISTRATION, BaseModelView


class AdminUserView(BaseModelView):
    model_class = AdminUser
    menu_name = _l("Admin users")
    view_url = "users"
    menu_category = ADMINISTRATION
    record_nouns = (_l("admin user"), _l("admin users"))
    success_messages = {"created": _l("Admin user %(name)s created."),
                        "saved": _l("Admin user %(name)s saved."),
                        "deleted": _l("Admin user %(name)s deleted.")}
    required_capability = permissions.ADMINISTER
    create_capability = edit_capability = permissions.ADMINISTER
    allow_delete = False

    column_list = ("email", "name", "role", "language", "active", "last_login_at", "created_at")
    column_details_list = column_list
    column_sortable_list = ("email", "name", "role", "active", "last_login_at")
    column_default_sort = "email"
    column_searchable_list = ("email", "name")
    column_filters = ("role", "active")
    column_labels = {
        "role": _l("Role"),
        "language": _l("Language"),
        "active": _l("Active"),
        "last_login_at": _l("Last login"),
        "new_password": _l("New password"),
    }
    form_columns = ("email", "name", "role", "language", "active", "new_password")
    form_extra_fields = {
        "new_password": PasswordField(
            _l("New password"), validators=[Optional()],
            description=LazyString(lambda: " ".join(
                (users.password_rule(), _("Leave empty to keep the current one."))))),
    }

    def on_model_change(self, form, model, is_created):
        users.check_keeps_an_admin(model.id, was_active_admin=_was_active_admin(model),
                                   role=model.role, active=model.active)
        password = form.new_password.data
        if is_created or password:
            users.set_password(model, password or "")
        if _was_active(model) and not model.active:
            users.end_sessions(model)

    def after_model_change(self, form, model, is_created):
        if model.id == current_user.id and model.active:
            login_user(model)  # an admin who reset their own password goes on working


def _was_active_admin(model: AdminUser) -> bool:
    """Whether the user, as stored before this form, was an active admin."""
    state = inspect(model)

    def stored(key):
        history = state.attrs[key].history
        return history.deleted[0] if history.deleted else getattr(model, key)

    return state.persistent and stored("role") == Role.ADMIN and bool(stored("active"))


def _was_active(model: AdminUser) -> bool:
    history = inspect(model).attrs["active"].history
    return bool(history.deleted[0]) if history.deleted else False
