"""The countries offered in forms, filters and imports."""
from __future__ import annotations

from admin_app.services.countries import CODES, country_names


def test_only_real_countries_are_offered_not_cldrs_test_territories(app):
    with app.test_request_context():
        names = country_names()
    assert "ES" in CODES and "PT" in CODES and "GB" in CODES
    assert not {"XA", "XB", "ZZ", "EU"} & set(CODES)
    assert not [name for name in names.values() if name.startswith("Pseudo")]
