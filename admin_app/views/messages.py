"""Success messages that name the record: "Customer Ana García created."

Flask-Admin's create, edit and delete pages flash one generic "Record was
successfully ..."; the base view replaces it with the view's own sentence.
"""
from __future__ import annotations

from flask import g, session
from flask_babel import lazy_gettext as _l

# The pages whose generic success message is replaced (a bulk delete keeps its count).
NAMED_PAGES = frozenset({"create_view", "edit_view", "delete_view"})


class NamedSuccessMessages:
    """Mixed into the base view, before Flask-Admin's ModelView."""

    # One whole sentence per change, so that each language makes the words agree
    # with the record's noun ("Factura F-12 creada", "Cliente Ana García creado").
    success_messages = {
        "created": _l("Record %(name)s created."),
        "saved": _l("Record %(name)s saved."),
        "deleted": _l("Record %(name)s deleted."),
    }

    def _name_success(self, change: str, name: str) -> None:
        g.named_success = str(self.success_messages[change]) % {"name": name}

    def create_model(self, form):
        model = super().create_model(form)
        if model:
            self._name_success("created", str(model))
        return model

    def update_model(self, form, model):
        saved = super().update_model(form, model)
        if saved:
            self._name_success("saved", str(model))
        return saved

    def delete_model(self, model):
        name = str(model)  # read before the row is gone
        deleted = super().delete_model(model)
        if deleted:
            self._name_success("deleted", name)
        return deleted

    def _run_view(self, fn, *args, **kwargs):
        g.pop("named_success", None)
        response = super()._run_view(fn, *args, **kwargs)
        message = g.pop("named_success", None)
        if message and getattr(fn, "__name__", "") in NAMED_PAGES:
            flashes = session.get("_flashes", [])
            for index in range(len(flashes) - 1, -1, -1):
                if flashes[index][0] == "success":
                    flashes[index] = ("success", message)
                    session.modified = True
                    break
        return response
