"""Reading uploaded CSV files: encodings, delimiters, quoting, limits and refusals."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from flask_babel import force_locale

from admin_app.services.csv_files import (
    FileRefused,
    Row,
    match_columns,
    normalise_header,
    read_csv,
)
from admin_app.services.errors import ValidationError

DATA = Path(__file__).resolve().parent.parent / "data"
BIG = 1024 * 1024


def read(data: bytes, *, max_bytes: int = BIG, max_rows: int = 1000):
    return read_csv(data, max_bytes=max_bytes, max_rows=max_rows)


def refusal(data: bytes, **limits) -> str:
    with pytest.raises(FileRefused) as caught:
        read(data, **limits)
    return str(caught.value)


# Encodings


def test_utf8_without_bom():
    table = read("Name,Email\nMartín,m@example.es\n".encode())
    assert table.encoding == "utf-8"
    assert table.delimiter == ","
    assert table.headers == ["Name", "Email"]
    assert table.rows == [Row(line=2, values=["Martín", "m@example.es"])]


def test_utf8_with_bom_is_not_part_of_the_first_header():
    table = read(codecs.BOM_UTF8 + "Name,Email\nMartín,m@example.es\n".encode())
    assert table.encoding == "utf-8-sig"
    assert table.headers == ["Name", "Email"]
    assert table.rows[0].values == ["Martín", "m@example.es"]


def test_windows_1252():
    table = read("Nombre;Teléfono\r\nMartín;600\r\n".encode("cp1252"))
    assert table.encoding == "cp1252"
    assert table.headers == ["Nombre", "Teléfono"]
    assert table.rows[0].values == ["Martín", "600"]


@pytest.mark.parametrize("encoded", [
    "Name\tEmail\r\nMartín\tm@example.es\r\n".encode("utf-16"),
    codecs.BOM_UTF16_BE + "Name\tEmail\r\nMartín\tm@example.es\r\n".encode("utf-16-be"),
], ids=["little-endian", "big-endian"])
def test_utf16_with_bom(encoded):
    table = read(encoded)
    assert table.encoding == "utf-16"
    assert table.delimiter == "\t"
    assert table.headers == ["Name", "Email"]
    assert table.rows == [Row(line=2, values=["Martín", "m@example.es"])]


@pytest.mark.parametrize("data", [
    b"Name\n\x81\x8d\x90\n",  # undefined in Windows-1252 and invalid UTF-8
    codecs.BOM_UTF8 + b"Name\nMart\xedn\n",  # says UTF-8, is not
    codecs.BOM_UTF16_LE + b"N\x00a\x00\x00\xdc",  # a lone UTF-16 surrogate
], ids=["unknown", "false-utf8-bom", "broken-utf16"])
def test_undecodable_bytes_are_refused(data):
    assert refusal(data) == (
        'The characters in this file could not be read. Open it in your spreadsheet '
        'program, save it as "CSV UTF-8" and upload it again.'
    )


# Delimiters, quoting and line ends


def test_semicolons_crlf_and_a_quoted_semicolon():
    table = read(b'Nombre;Apellidos;Email\r\nMarta;"Gil; Ortega";m@x.es\r\nAna;Ruiz;a@x.es\r\n')
    assert table.delimiter == ";"
    assert table.headers == ["Nombre", "Apellidos", "Email"]
    assert table.rows == [
        Row(line=2, values=["Marta", "Gil; Ortega", "m@x.es"]),
        Row(line=3, values=["Ana", "Ruiz", "a@x.es"]),
    ]


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_quoted_newline_keeps_later_line_numbers_right(end):
    text = f'Name,Note{end}Ana,"line one{end}line two{end}line three"{end}Luis,ok{end}'
    table = read(text.encode())
    assert table.rows == [
        Row(line=2, values=["Ana", "line one\nline two\nline three"]),
        Row(line=5, values=["Luis", "ok"]),
    ]


def test_doubled_quotes_and_quoted_delimiters():
    table = read(b'Name,Note\n"Ana ""La Jefa"" Ruiz","a, b, c"\n')
    assert table.rows[0].values == ['Ana "La Jefa" Ruiz', "a, b, c"]


def test_tab_separated():
    table = read(b"Name\tEmail\tPhone\nAna\ta@x.es\t+34 600 111 222\n")
    assert table.delimiter == "\t"
    assert table.rows[0].values == ["Ana", "a@x.es", "+34 600 111 222"]


@pytest.mark.parametrize("header, delimiter", [
    ("a;b,c;d", ";"),  # the most frequent wins
    ('"a,b,c";d;e', ";"),  # commas inside quotes do not count
    ("a\tb\tc,d", "\t"),
    ("a;b,c", ","),  # a tie
    ("a;b\tc", ","),  # a tie without commas
    ("Email", ","),  # one column, no delimiter at all
])
def test_delimiter_is_chosen_from_the_header_line(header, delimiter):
    table = read(f"{header}\nx\n".encode())
    assert table.delimiter == delimiter


def test_one_column_file():
    table = read(b"Email\na@x.es\nb@x.es\n")
    assert table.headers == ["Email"]
    assert [row.values for row in table.rows] == [["a@x.es"], ["b@x.es"]]


# Header and rows


def test_blank_lines_are_skipped_and_do_not_shift_line_numbers():
    data = b"\n  \nName,Email\n\nAna,a@x.es\n , \n,,\n   \nLuis,l@x.es\n\n"
    table = read(data, max_rows=2)  # blank lines do not count towards the limit
    assert table.headers == ["Name", "Email"]
    assert table.rows == [
        Row(line=5, values=["Ana", "a@x.es"]),
        Row(line=9, values=["Luis", "l@x.es"]),
    ]


def test_cells_are_stripped_short_rows_padded_and_extra_cells_dropped():
    table = read(b"  Name , Email ,Phone\n  Ana  \nLuis , l@x.es ,600,extra,more\n")
    assert table.headers == ["Name", "Email", "Phone"]
    assert [row.values for row in table.rows] == [
        ["Ana", "", ""],
        ["Luis", "l@x.es", "600"],
    ]


def test_a_file_with_only_a_header_has_no_rows():
    table = read(b"Name,Email\r\n")
    assert table.headers == ["Name", "Email"]
    assert table.rows == []


@pytest.mark.parametrize("data", [
    b",,,\nAna,a@x.es,1,2\n",
    b" ; ; \r\nAna;a@x.es;1\r\n",
    b'"",""\nAna,a@x.es\n',
    b'""\n',
])
def test_a_header_of_blank_cells_is_refused(data):
    assert refusal(data).startswith("The first line must name the columns.")


# Limits


def test_exactly_max_rows_is_accepted():
    data = b"Name\n" + b"".join(b"row%d\n" % n for n in range(3))
    assert len(read(data, max_rows=3).rows) == 3


def test_more_than_max_rows_is_refused():
    data = b"Name\n" + b"".join(b"row%d\n" % n for n in range(4))
    assert refusal(data, max_rows=3) == (
        "The file has more than 3 rows; split it and import each part."
    )


def test_row_limit_stops_reading_before_the_rest_of_the_file():
    # The broken quote after the limit would be refused if the whole file were parsed.
    data = b'Name,Note\nAna,1\nLuis,2\nEva,3\nMax,"never closed\n'
    assert refusal(data, max_rows=2).startswith("The file has more than 2 rows")


def test_file_of_exactly_max_bytes_is_accepted():
    data = b"Name\nAna\n"
    assert read(data, max_bytes=len(data)).rows[0].values == ["Ana"]


@pytest.mark.parametrize("max_bytes, shown", [
    (2 * 1024 * 1024, "2 MB"),
    (1536 * 1024, "1.5 MB"),
    (500 * 1024, "500 KB"),
    (1024, "1 KB"),
])
def test_file_over_max_bytes_is_refused_with_a_readable_limit(max_bytes, shown):
    assert refusal(b"x" * (max_bytes + 1), max_bytes=max_bytes) == (
        f"The file is larger than {shown}. Split it into smaller files and import each part."
    )


def test_size_is_checked_before_anything_else():
    # Binary and undecodable too, but the size is what the user is told about.
    assert refusal(b"PK\x03\x04\x81" * 10, max_bytes=20).startswith(
        "The file is larger than 20 B."
    )


def test_size_limit_uses_the_users_number_format():
    with force_locale("es"):
        message = refusal(b"x" * (1536 * 1024 + 1), max_bytes=1536 * 1024)
    assert "1,5 MB" in message


# Refused files


@pytest.mark.parametrize("data", [b"", b"  \r\n\n\t", codecs.BOM_UTF8, codecs.BOM_UTF8 + b" \n",
                                  codecs.BOM_UTF16_LE, " \n".encode("utf-16")])
def test_empty_file_is_refused(data):
    assert refusal(data) == (
        "The file is empty. Check that you chose the right file and upload it again."
    )


@pytest.mark.parametrize("data", [
    b"Name,Email\nAna\x00,a@x.es\n",
    b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml",
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
], ids=["nul-bytes", "zip-xlsx", "pdf"])
def test_binary_file_is_refused(data):
    message = refusal(data)
    assert message.startswith("This is not a CSV file")
    assert "save it as CSV" in message


def test_refusal_is_a_validation_error():
    with pytest.raises(ValidationError):
        read(b"")


@pytest.mark.parametrize("data, line", [
    (b'Name,Note\nAna,ok\nLuis,"never closed\nmore text\n', 3),  # unterminated quote at EOF
    (b'Name,Note\nAna,"quoted"then text\n', 2),
    ("Name\tNote\nAna\tok\nLuis\tnul\x00here\n".encode("utf-16"), 3),
], ids=["unterminated-quote", "text-after-closing-quote", "nul-in-utf16-field"])
def test_unreadable_line_is_refused_with_its_number(data, line):
    assert refusal(data) == (
        f"Line {line} could not be read: check its quotation marks, fix it and upload the "
        "file again."
    )


# Column names


@pytest.mark.parametrize("text, normalised", [
    ("Correo electrónico ", "correo electronico"),
    ("First_Name", "first name"),
    ("  TELÉFONO  ", "telefono"),
    ("E-mail", "e mail"),
    ("Código  postal (CP)", "codigo postal cp"),
    ("País", "pais"),
    ("Straße", "strasse"),
    ("Año_2024", "ano 2024"),
    ("__--", ""),
])
def test_normalise_header(text, normalised):
    assert normalise_header(text) == normalised


ALIASES = {
    "first_name": {"First Name", "Nombre"},
    "last_name": {"Last Name", "Apellidos"},
    "email": {"Email", "E-mail", "Correo electrónico"},
    "phone": {"Phone", "Teléfono", "Móvil"},
}


def test_match_columns_spanish_headers():
    headers = ["Nombre", "Apellidos", "CORREO ELECTRONICO", "Telefono", "Código postal"]
    assert match_columns(headers, ALIASES) == (
        {"first_name": 0, "last_name": 1, "email": 2, "phone": 3},
        ["Código postal"],
    )


def test_match_columns_english_headers_with_an_unknown_column_and_a_duplicate():
    headers = ["first_name", "Email", "Notes", "Phone", "e-mail", "Last Name"]
    assert match_columns(headers, ALIASES) == (
        {"first_name": 0, "email": 1, "phone": 3, "last_name": 5},
        ["Notes", "e-mail"],  # the second email column is not used
    )


def test_match_columns_does_not_list_blank_headers():
    assert match_columns(["Email", "", "Móvil", ""], ALIASES) == ({"email": 0, "phone": 2}, [])


# Real files


def test_spanish_spreadsheet_sample():
    table = read((DATA / "clientes_excel_es.csv").read_bytes())
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert table.headers == [
        "Nombre", "Apellidos", "Correo electrónico", "Teléfono", "Código postal", "País",
        "Fecha de nacimiento", "Grupo", "Saldo",
    ]
    assert len(table.rows) == 31
    assert table.rows[0] == Row(line=2, values=[
        "Martín", "Taylor", "cliente0@ejemplo.es", "+34 682 306 120", "50129", "ES",
        "28/07/1974", "Mayoristas", "488,79",
    ])
    last = table.rows[-1]
    assert last.line == 32
    assert last.values[:2] == ["Marta", "Gil; Ortega"]
    assert all(len(row.values) == 9 for row in table.rows)
    fields, unknown = match_columns(table.headers, ALIASES)
    assert fields == {"first_name": 0, "last_name": 1, "email": 2, "phone": 3}
    assert unknown == ["Código postal", "País", "Fecha de nacimiento", "Grupo", "Saldo"]


def test_shopify_export_sample():
    table = read((DATA / "customers_shopify_export.csv").read_bytes())
    assert (table.encoding, table.delimiter) == ("utf-8", ",")
    assert len(table.headers) == 19
    assert table.headers[:3] == ["First Name", "Last Name", "Email"]
    assert table.headers[-1] == "Tags"
    assert len(table.rows) == 63
    assert [row.line for row in table.rows] == list(range(2, 65))
    assert table.rows[0].values[:3] == ["Lucía", "Brown", "lucia.brown0@example.com"]
    assert table.rows[1].values[16] == "VIP, call before delivery"
    walk_in = table.rows[-3]
    assert walk_in.values[:3] == ["Walk-in", "Customer", ""]
