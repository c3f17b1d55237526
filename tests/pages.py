"""Reading rendered admin pages in tests: visible text, list rows, flashes, form errors."""
from __future__ import annotations

import html as html_lib
import re


def text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    plain = html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment))
    return re.sub(r"\s+", " ", plain.replace("\xa0", " ")).strip()


def get_page(client, url: str, **params) -> str:
    response = client.get(url, query_string=params or None)
    assert response.status_code == 200, (url, params, response.status_code)
    return response.get_data(as_text=True)


def table_rows(page: str) -> list[dict]:
    """A list page's rows in order: {"id": int, column: visible text}."""
    rows = []
    body = page.split("</thead>", 1)[1].split("</table>", 1)[0]
    for chunk in body.split("<tr>")[1:]:
        row_id = (re.search(r'name="rowid" class="action-checkbox" value="(\d+)"', chunk)
                  or re.search(r'/details/\?id=(\d+)', chunk))
        row = {"id": int(row_id.group(1))} if row_id else {}
        for column, cell in re.findall(r'<td class="col-([\w.]+)">(.*?)</td>', chunk, re.S):
            row[column] = text(cell)
        if row:
            rows.append(row)
    return rows


def flashes(page: str) -> list[tuple[str, str]]:
    """(category, text) of every flashed message on the page."""
    found = re.findall(r'class="alert alert-(\w+)[^"]*">(.*?)</div>', page, re.S)
    return [(category, text(body).lstrip("×").strip()) for category, body in found]


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


def hidden_value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return match.group(1)
