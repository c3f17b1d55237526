"""PostgreSQL's COPY (SELECT ...) TO STDOUT for the fast CSV export: the server
streams the finished lines while Python passes them on, instead of answering
one FETCH of rows at a time.

COPY's text format escapes what would break its own rows (backslash, newline,
tab and the like); those escapes are undone here, and its line ends become the
CR LF that csv.writer writes.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

CHUNK_BYTES = 256 * 1024  # bytes gathered before a text is handed on

# What COPY TO writes for a character in a text value (PostgreSQL's CopyAttributeOutText).
UNESCAPED = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v",
             b"\\": b"\\"}
ESCAPE = re.compile(rb"\\(.)", re.DOTALL)


def lines(connection, statement) -> Iterator[str]:
    """The text of ``statement``'s rows (one text column, no NULLs), one row per
    line ending in CR LF, in pieces of about CHUNK_BYTES."""
    compiled = statement.compile(dialect=connection.dialect,
                                 compile_kwargs={"render_postcompile": True})
    processors = compiled._bind_processors
    params = {name: processors[name](value) if name in processors else value
              for name, value in compiled.params.items()}
    sql = f"COPY ({compiled.string}) TO STDOUT"
    if not params:  # psycopg undoes SQLAlchemy's %% only when it merges parameters
        sql = sql.replace("%%", "%")
    with connection.connection.driver_connection.cursor() as cursor:
        # Days and times as text in ISO form, whatever the server's default; for
        # this transaction only (the export's session ends with the download).
        cursor.execute("SET LOCAL datestyle = 'ISO, YMD'")
        yield from _copied(cursor, sql, params)


def _copied(cursor, sql: str, params: dict) -> Iterator[str]:
    with cursor.copy(sql, params or None) as copy:
        pending: list = []
        size = 0
        for row in copy:  # one row per piece, as the server sent it
            pending.append(row)
            size += len(row)
            if size >= CHUNK_BYTES:
                yield _text(pending)
                pending, size = [], 0
        if pending:
            yield _text(pending)


def _text(rows: list) -> str:
    # Every real newline ends a row (a newline inside a value arrives as "\n").
    data = b"".join(rows).replace(b"\n", b"\r\n")
    if b"\\" in data:
        data = ESCAPE.sub(lambda match: UNESCAPED.get(match.group(1), match.group(1)), data)
    return data.decode("utf-8")
