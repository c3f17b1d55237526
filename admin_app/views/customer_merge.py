"""Merging customers: a preview of exactly what happens, then the merge."""
from flask import abort
from flask_admin import expose

from ..services import permissions
from .base import needs


class MergePages:
    """Mixed into the customers' view: /admin/customers/merge/?ids=A,B[,C...]."""

    @expose("/merge/", methods=("GET", "POST"))
    @needs(permissions.CUSTOMER_DATA)
    def merge_view(self):
        abort(404)
