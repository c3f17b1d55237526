"""What every registered view must do without code of its own, as checks that
tests/views/test_smoke.py runs over the registry and tests/test_any_new_view.py
runs over a throwaway view: anonymous visitors go to the login page; each role
gets exactly what the role table allows; a forged delete is refused."""
from __future__ import annotations

import csv
import io

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.services import permissions


def allowed(role: str, capability: str) -> bool:
    return Role.rank(role) >= Role.rank(permissions.MINIMUM_ROLE[capability])


def anonymous_is_sent_to_login(client, view_class, row_id) -> None:
    base = f"/admin/{view_class.view_url}/"
    for url in (base, f"{base}details/?id={row_id}", f"{base}new/", f"{base}edit/?id={row_id}",
                f"{base}export/csv/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


def role_gets_what_the_table_allows(client, view_class, role: str, row_id) -> None:
    base = f"/admin/{view_class.view_url}/"
    if not allowed(role, view_class.required_capability):
        # A view this role may not see (the audit log): every page of it is refused.
        for url in (base, f"{base}details/?id={row_id}", f"{base}export/csv/"):
            assert client.get(url).status_code == 403, url
        assert base not in client.get("/admin/").get_data(as_text=True)
        return

    listing = client.get(base)
    assert listing.status_code == 200
    assert client.get(f"{base}details/?id={row_id}").status_code == 200

    # A read-only view (a ledger's history) refuses changes to every role.
    may_create = view_class.allow_create and allowed(role, view_class.create_capability)
    may_edit = view_class.allow_edit and allowed(role, view_class.edit_capability)
    may_delete = view_class.allow_delete and allowed(role, view_class.delete_capability)
    may_export = allowed(role, view_class.export_capability)

    assert client.get(f"{base}new/").status_code == (200 if may_create else 403)
    assert client.get(f"{base}edit/?id={row_id}").status_code == (200 if may_edit else 403)
    html = listing.get_data(as_text=True)
    assert (f'{base}new/' in html) is may_create
    assert (f'{base}export/csv/' in html) is may_export
    assert (f'{base}delete/' in html) is may_delete

    export = client.get(f"{base}export/csv/")
    if may_export:
        assert export.status_code == 200
        rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
        count = db.session.query(view_class.model_class).count()
        assert len(rows) == count + 1  # the header, then every row
    else:
        assert export.status_code == 403


def forged_delete_is_refused(client, view_class, row_id) -> None:
    """``client`` is a viewer's."""
    response = client.post_form(f"/admin/{view_class.view_url}/delete/", {"id": str(row_id)})
    assert response.status_code == 403
    assert db.session.get(view_class.model_class, row_id) is not None
