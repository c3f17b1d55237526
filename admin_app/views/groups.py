"""Customer groups."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy.orm import undefer

from ..models import CustomerGroup
from ..services import groups
from .base import BaseModelView
from .list_links import filtered_list_url


def _group_customers(view, context, model, name):
    """The group's customer count, linking to the customer list filtered by it."""
    url = filtered_list_url("customers", group_id=model.id)
    count = model.customers_count
    return Markup('<a href="{}">{}</a>').format(
        url, ngettext("%(num)s customer", "%(num)s customers", count)
    )


class GroupView(BaseModelView):
    model_class = CustomerGroup
    menu_name = _l("Groups")
    view_url = "groups"
    record_nouns = (_l("group"), _l("groups"))
    success_messages = {"created": _l("Group %(name)s created."),
                        "saved": _l("Group %(name)s saved."),
                        "deleted": _l("Group %(name)s deleted.")}

    column_list = ("name", "description", "customers_count")
    column_details_list = ("name", "description", "customers_count", "created_at")
    column_sortable_list = ("name", "customers_count")
    column_default_sort = "name"
    column_searchable_list = ("name",)
    column_labels = {"customers_count": _l("Customers")}
    column_formatters_detail = {"customers_count": _group_customers}
    column_formatters_export = {"customers_count": lambda v, c, m, n: m.customers_count}
    form_columns = ("name", "description")

    def get_query(self):
        # The count is deferred on the model; the group pages want it with the row.
        return super().get_query().options(undefer(CustomerGroup.customers_count))

    def delete_question(self, model) -> str:
        # Deleting a group moves its customers, which the question must say.
        return " ".join((_("Delete group %(name)s?", name=model.name),
                         groups.release_warning(model.customers_count)))

    def on_model_delete(self, model):
        # Its customers go back to "None"; none is ever deleted with the group.
        groups.release_customers(model)
