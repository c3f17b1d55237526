"""Engine settings per database kind."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from .extensions import db


def configure_engines(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # Enforce foreign keys (off by default in SQLite); WAL lets readers run
    # beside a writer; a busy writer is waited for instead of failing at once.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"
