"""A customer's personal data, exported for an access request (a ZIP, streamed)."""
from flask import abort
from flask_admin import expose

from ..services import permissions
from .base import needs


class PersonalDataPages:
    """Mixed into the customers' view: /admin/customers/personal-data/?id=N."""

    @expose("/personal-data/", methods=("GET", "POST"))
    @needs(permissions.CUSTOMER_DATA)
    def personal_data_view(self):
        abort(404)
