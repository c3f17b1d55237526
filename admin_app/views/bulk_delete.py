"""Deleting the selected records: all of them or none, each refusal named, and
confirmations that say how many records will go."""
from __future__ import annotations

from flask import flash
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError, OperationalError

from ..database import stopped_before_finishing
from ..extensions import db
from ..services import deletion
from ..storable import record_ids

# A bulk delete reads its records this many ids at a time (a database's limit on
# parameters), and names at most this many refusals.
DELETE_CHUNK = 500
REFUSALS_SHOWN = 10


class BulkDelete:
    """Mixed into the base view: the "Delete" action and its questions."""

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
        except (IntegrityError, OperationalError) as error:
            db.session.rollback()
            if isinstance(error, OperationalError) and not stopped_before_finishing(error):
                raise
            self.handle_view_exception(error)  # says why, on the list it came from
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
