"""Files in the encodings staff really bring: read right, or their garbled rows
shown before anything is written; the preview shows new rows as they will be
stored, so an operator reads the text before confirming."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from admin_app.choices import Role
from admin_app.extensions import db
from admin_app.models import Customer

from ..pages import (
    apply_import,
    batch_id,
    get_page,
    import_problems,
    preview_counts,
    row_count,
    text,
    upload,
)

DATA = Path(__file__).resolve().parent.parent / "data"
HEADER = "First name,Surname,Email\r\n"


CUSTOMERS = "/admin/customers/import/"

def preview(client, content: bytes) -> tuple[int, str]:
    batch = batch_id(upload(client, CUSTOMERS, content))
    return batch, get_page(client, f"{CUSTOMERS}{batch}/")


def sample(page: str) -> str:
    return text(page.split('id="import-sample"', 1)[1].split("</table>", 1)[0])


def names() -> set[tuple[str, str]]:
    return set(db.session.execute(select(Customer.first_name, Customer.surname)).all())


def test_a_spanish_excel_file_in_windows_1252_shows_its_accents(manager, make):
    for group in ("Mayoristas", "Empleados"):
        make.group(group)
    _batch, page = preview(manager, (DATA / "clientes_excel_es.csv").read_bytes())
    assert "read as Windows-1252" in text(page)
    assert "Martín Taylor cliente0@ejemplo.es +34 682 30 61 20" in sample(page)


def test_utf8_with_a_byte_order_mark(manager):
    content = "\ufeff" + HEADER + "José,Núñez,jose@example.com\r\n"
    batch, page = preview(manager, content.encode("utf-8"))
    assert "read as UTF-8" in text(page)
    assert "José Núñez jose@example.com" in sample(page)
    apply_import(manager, CUSTOMERS, batch)
    assert names() == {("José", "Núñez")}


def test_a_shift_jis_file_is_read_as_japanese_not_as_nonsense(manager):
    content = (HEADER + "太郎,山田,taro@example.jp\r\n花子,佐藤,hanako@example.jp\r\n"
               "一郎,鈴木,ichiro@example.jp\r\n").encode("shift_jis")
    batch, page = preview(manager, content)
    assert "read as Shift-JIS" in text(page)
    assert "太郎 山田 taro@example.jp" in sample(page)
    apply_import(manager, CUSTOMERS, batch)
    assert ("太郎", "山田") in names()


@pytest.mark.parametrize("language, message", [
    ("en", "The text looks garbled (did the file mean “José”?)"),
    ("es", "El texto parece estropeado (¿el archivo quería decir «José»?)"),
])
def test_a_double_encoded_row_is_shown_and_not_imported(manager, users, language, message):
    users[Role.MANAGER].language = language
    db.session.commit()
    # UTF-8 text once read as Windows-1252 and saved again as UTF-8.
    content = (HEADER + "Ana,Ruiz,ana@example.com\r\n"
               + "José,Núñez,jose@example.com\r\n".encode().decode("cp1252")
               ).encode("utf-8")
    batch, page = preview(manager, content)
    assert preview_counts(page) == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 1}
    assert message in import_problems(page) and "JosÃ©" not in sample(page)
    apply_import(manager, CUSTOMERS, batch)
    assert names() == {("Ana", "Ruiz")}


def test_bytes_valid_in_no_encoding_are_refused(manager):
    response = upload(manager, CUSTOMERS, HEADER.encode() + b"Ana,Ru\x81\xff\x81\xffz,a@b.es\r\n")
    assert response.status_code == 400
    assert "could not be read" in text(response.get_data(as_text=True))
    assert row_count(Customer) == 0
