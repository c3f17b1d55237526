"""PostgreSQL's tables vacuumed and analysed straight after a large import or undo.

Lists read deep pages from their indexes alone only where the visibility map (which
only a vacuum writes) says the pages are all visible, and the planner picks those
plans from the tables' statistics: after 100,000 new or removed customers, both
are stale until autovacuum comes by, if it is on. The import asks for a refresh
in its transaction (``after_commit``); it runs once that transaction commits (a
VACUUM cannot run inside one), on a connection of its own, and never if it rolls
back. Below IMPORT_REFRESH_MIN_ROWS records the plans barely move, and a request
would wait on a vacuum for nothing. SQLite has no visibility map, and its plans
for what an import changes do not depend on statistics (database.table_grew).
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..database import dialect
from ..extensions import db
from ..models import search_table_of

log = logging.getLogger(__name__)
PENDING = "import_statistics_tables"  # session.info: tables to refresh after the commit


def refreshes(rows: int) -> bool:
    """Whether an import or undo that changes ``rows`` records has its tables
    refreshed once it commits: at least IMPORT_REFRESH_MIN_ROWS, on PostgreSQL."""
    return rows >= current_app.config["IMPORT_REFRESH_MIN_ROWS"] and dialect() == "postgresql"


def after_commit(tables: list[str], rows: int) -> None:
    """Refresh ``tables`` once the session's transaction commits, if ``rows``
    records changed (see ``refreshes``)."""
    if not refreshes(rows):
        return
    session = db.session()
    session.info.setdefault(PENDING, set()).update(tables)


def refresh(tables: set[str]) -> None:
    """VACUUM ANALYZE ``tables`` and their search tables, outside any transaction."""
    tables = tables | {copy.name for copy in map(search_table_of, tables) if copy is not None}
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE " + ", ".join(
            f'"{table}"' for table in sorted(tables))))


@event.listens_for(Session, "after_commit")
def _refresh_after_commit(session: Session) -> None:
    tables = session.info.pop(PENDING, None)
    if not tables:
        return
    try:
        refresh(tables)
    except SQLAlchemyError:
        # The import is committed: a refresh that fails is autovacuum's to do later.
        log.exception("Statistics of %s not refreshed after a large import", sorted(tables))


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:  # a savepoint's rollback leaves the import on
        session.info.pop(PENDING, None)
