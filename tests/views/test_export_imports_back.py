"""A customers export, in either language, imports back through the import
unchanged: names with two words stay in their own columns."""
from __future__ import annotations

from datetime import date

import pytest

from admin_app.choices import Role
from admin_app.extensions import db

from ..pages import batch_id, csv_rows, get_page, preview_counts, upload

CUSTOMERS = "/admin/customers/import/"

@pytest.mark.parametrize("language", ["en", "es"])
def test_an_export_imports_back_unchanged(login, users, make, language):
    users[Role.MANAGER].language = language
    db.session.commit()
    manager = login(Role.MANAGER)
    gold = make.group("Oro")
    make.customer("María José", "García López", email="mj@example.com", phone="+34600111222",
                  postcode="08001", country="ES", birthday=date(1985, 12, 3), group=gold,
                  card_number="LC-7", marketing_opt_in=True, notes="=1+1 call first")
    make.customer("Jean", "de la Fontaine", email="jean@example.fr", country="FR",
                  phone="+33612345678", birthday=date(1990, 1, 2))
    response = manager.get("/admin/customers/export/csv/")
    header = csv_rows(response)[0]
    assert header[:2] == (["First name", "Surname"] if language == "en"
                          else ["Nombre", "Apellidos"])
    batch = batch_id(upload(manager, CUSTOMERS, response.get_data(), name="export.csv"))
    page = get_page(manager, f"{CUSTOMERS}{batch}/")
    assert preview_counts(page) == {"new": 0, "updated": 0, "unchanged": 2, "invalid": 0}
