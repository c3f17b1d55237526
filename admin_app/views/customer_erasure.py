"""Erasing a customer's personal data on request: checked, confirmed, reported."""
from flask import abort
from flask_admin import expose

from ..services import permissions
from .base import needs


class ErasurePages:
    """Mixed into the customers' view: /admin/customers/erase/?id=N."""

    @expose("/erase/", methods=("GET", "POST"))
    @needs(permissions.ERASE)
    def erase_view(self):
        abort(404)
