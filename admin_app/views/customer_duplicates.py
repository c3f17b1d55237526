"""The customers' duplicates page: groups of customers (and guests) that look like
one person, strongest reason first, each with a link to merge them."""
from flask import abort
from flask_admin import expose

from ..services import permissions
from .base import needs


class DuplicatesPages:
    """Mixed into the customers' view: /admin/customers/duplicates/."""

    @expose("/duplicates/", methods=("GET", "POST"))
    @needs(permissions.CUSTOMER_DATA)
    def duplicates_view(self):
        abort(404)
