"""The suite's helpers, in one place: reading rendered admin pages (visible text, list
rows, sort links, filters, flashes, form errors) and the database as it is stored now."""
from __future__ import annotations

import csv
import html as html_lib
import io
import json
import re

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy import text as sql_text

from admin_app.extensions import db


def text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    plain = html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment))
    plain = plain.replace("\xa0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", plain).strip()


def get_page(client, url: str, **params) -> str:
    response = client.get(url, query_string=params or None)
    assert response.status_code == 200, (url, params, response.status_code)
    return response.get_data(as_text=True)


def table_rows(page: str) -> list[dict]:
    """The list's rows in order: {"id": int, column: text, "<column>_html": raw}."""
    rows = []
    body = page.split("</thead>", 1)[1].split("</table>", 1)[0]
    for chunk in body.split("<tr>")[1:]:
        # The row's id: from its checkbox, or its details link (no checkbox without actions).
        row_id = (re.search(r'name="rowid" class="action-checkbox" value="(\d+)"', chunk)
                  or re.search(r'/details/\?id=(\d+)', chunk))
        row = {"id": int(row_id.group(1))} if row_id else {}
        for column, cell in re.findall(r'<td class="col-([\w.]+)">(.*?)</td>', chunk, re.S):
            row[column] = text(cell)
            row[column + "_html"] = cell
        if row:
            rows.append(row)
    return rows


def listed_ids(page: str) -> list[int]:
    return [row["id"] for row in table_rows(page)]


def list_headers(page: str) -> list[str]:
    head = page.split('<table class="table table-striped', 1)[1].split("</thead>", 1)[0]
    return [text(cell) for cell in
            re.findall(r'<th class="column-header[^"]*">(.*?)</th>', head, re.S)]


def sort_link(page: str, column: str) -> str:
    """Where a list's header for ``column`` leads: sorted by it, ascending, or the
    other way round when the list is sorted by it already."""
    header = re.search(rf'<th class="column-header col-{re.escape(column.replace(".", "-"))}">'
                       r'\s*<a href="([^"]+)"', page)
    assert header, f"the list cannot be sorted by {column}"
    return html_lib.unescape(header.group(1))


def filter_groups(page: str) -> dict[str, list[dict]]:
    """The filters a list page offers, by label: each {"arg", "operation",
    "options" ([[value, label], ...], or None for a text box), ...}."""
    data = re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page, re.S)
    return json.loads(html_lib.unescape(data.group(1))) if data else {}


def filter_offered(page: str, label: str, operation: str | None = None) -> dict:
    """The filter offered under ``label`` (and ``operation``, where it has several)."""
    entries = [entry for entry in filter_groups(page).get(label, ())
               if operation is None or entry["operation"] == operation]
    assert len(entries) == 1, (label, operation, list(filter_groups(page)))
    return entries[0]


def apply_filter(client, url: str, label: str, value: str) -> str:
    """The list at ``url`` with the filter it offers under ``label`` set to ``value``."""
    arg = filter_offered(get_page(client, url), label)["arg"]
    return get_page(client, url, **{f"flt0_{arg}": value})


def sort_links(page: str) -> dict[str, str]:
    """Column label -> the sort index its header links to."""
    return {
        html_lib.unescape(label): index
        for index, label in re.findall(
            r'href="[^"]*[?&]sort=(\d+)[^"]*" title="Sort by ([^"]+)"', page)
    }



def sorted_ids(client, url: str, label: str, desc: bool = False) -> list[int]:
    """The list's ids as sorted by the header link of the column labelled ``label``."""
    params = {"sort": sort_links(get_page(client, url))[label]}
    if desc:
        params["desc"] = 1
    return listed_ids(get_page(client, url, **params))



def filter_options(page: str, label: str):
    """The options of the (first) filter labelled ``label``."""
    return filter_groups(page)[label][0]["options"]


def detail_rows(page: str) -> dict[str, str]:
    """Label -> raw HTML of the value, from a details page."""
    table = page.split('<table class="table table-hover table-bordered searchable">', 1)[1]
    table = table.split("</table>", 1)[0]
    return {
        text(label): value
        for label, value in re.findall(r"<b>(.*?)</b>\s*</td>\s*<td>(.*?)</td>", table, re.S)
    }


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff"), "a BOM tells spreadsheet programs it is UTF-8"
    return list(csv.reader(io.StringIO(body[1:])))


def detail_texts(page: str) -> dict[str, str]:
    """Label -> visible text of the value, from a details page."""
    return {label: text(value) for label, value in detail_rows(page).items()}


def flashes(page: str) -> list[tuple[str, str]]:
    """(category, text) of every flashed message on the page."""
    found = re.findall(r'class="alert alert-(\w+)[^"]*">(.*?)</div>', page, re.S)
    return [(category, text(body).lstrip("×").strip()) for category, body in found]


def the_error_flashed(page: str) -> str:
    """The one error message flashed on the page."""
    errors = [message for category, message in flashes(page) if category == "danger"]
    assert len(errors) == 1, flashes(page)
    return errors[0]


def form_errors(page: str) -> dict[str, list[str]]:
    """Field name -> its error messages, from a re-shown form."""
    errors = {}
    for group in page.split('<div class="form-group')[1:]:
        field = re.search(r'<label for="(\w+)"', group)
        messages = re.findall(
            r"<li>(.*?)</li>", group.split('class="invalid-feedback"', 1)[1]
        ) if 'class="invalid-feedback"' in group else []
        if field and messages:
            errors[field.group(1)] = [text(m) for m in messages]
    return errors


def select_options(page: str, name: str) -> list[tuple[str, str]]:
    """(value, text) of each choice of a form's select ``name``; the blank one left out."""
    select = re.search(rf'<select[^>]*\sname="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select {name}"
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>(.*?)</option>', select.group(1), re.S)
    return [(html_lib.unescape(value), text(label)) for value, label in options
            if value not in ("", "__None")]


def hidden_value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)


def refused(response, field: str) -> list[str]:
    """The form came back (no redirect) with an error on ``field``; returns its messages."""
    assert response.status_code == 200, response.status_code
    errors = form_errors(response.get_data(as_text=True))
    assert field in errors, errors
    return errors[field]


def delete_from_list(client, list_url: str, row_id: int) -> str:
    """Press a row's delete button on the list: the page it comes back to."""
    response = client.post_form(f"{list_url}delete/", {"id": str(row_id), "url": list_url})
    assert response.status_code == 302
    return get_page(client, response.headers["Location"])


# -- imports: upload, preview, apply ----------------------------------------------------

def upload(client, url: str, content: bytes | str, name: str = "list.csv", **fields):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post_form(url, {"file": (io.BytesIO(data), name), **fields},
                            content_type="multipart/form-data")


def preview_counts(page: str) -> dict[str, int]:
    """New / Updated / Unchanged / Invalid as an import's preview shows them."""
    block = page.split('id="import-counts"', 1)[1].split("</div>\n  </div>", 1)[0]
    numbers = [int(n.replace(",", "").replace(".", "")) for n in
               re.findall(r'data-count="\d">([\d.,]+)<', block)]
    return dict(zip(("new", "updated", "unchanged", "invalid"), numbers, strict=True))


def batch_id(response) -> int:
    """The batch an upload made, from where it redirects to (its preview)."""
    assert response.status_code == 302, text(response.get_data(as_text=True))[:500]
    return int(re.search(r"/import/(\d+)/", response.headers["Location"]).group(1))


def apply_import(client, url: str, batch: int):
    return client.post_form(f"{url}{batch}/apply/")


def customers_csv(rows: int, *, first: int = 1, extra: dict[int, str] | None = None) -> str:
    """A customers file of ``rows`` people (emails person<n>@example.com from
    ``first`` on); ``extra`` replaces the lines of given numbers (2 is the first row
    after the header) with rows of its own (first name, surname, email, card number)."""
    lines = ["First name,Surname,Email,Card number"]
    for n in range(first, first + rows):
        lines.append(f"Person{n},Surname{n},person{n}@example.com,")
    for line, row in (extra or {}).items():
        lines[line - 1] = row
    return "\n".join(lines) + "\n"


def import_problems(page: str) -> str:
    """The text of an import preview's table of problems."""
    return text(page.split('id="import-problems"', 1)[1].split("</table>", 1)[0])


def edit_url(list_url: str, row) -> str:
    return f"{list_url}edit/?id={row.id}"


def still_logged_in(client) -> bool:
    return client.get("/admin/customers/").status_code == 200


# -- the database, as stored now ------------------------------------------------------
# Every request of a test shares the test's app context, and so the session: these
# read past what an earlier request left in it.

def fresh(model, row_id: int):
    db.session.expire_all()
    return db.session.get(model, row_id)


def row_count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def only_row(model):
    db.session.expire_all()
    return db.session.scalars(select(model)).one()


def speak(user, language: str) -> None:
    """The user's language from their next request on."""
    user.language = language
    db.session.commit()


def first_id(model) -> int | None:
    return db.session.scalar(select(model.id).order_by(model.id))


def registered_view(view_class):
    """The app's instance of ``view_class`` (its filters, its model)."""
    admin = current_app.extensions["admin"][0]
    return next(view for view in admin._views if type(view) is view_class)


def table_counts() -> dict[str, int]:
    """Table name -> its number of rows."""
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def empty_tables() -> None:
    """Empty every table, as a fresh database would be (ids start again at 1)."""
    db.session.remove()
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE's new files
            # cost about ten times as much. The sequences start again at 1 as well.
            connection.execute(sql_text(
                "SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"))
