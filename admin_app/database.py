"""The database underneath, where SQLite and PostgreSQL differ: engine settings per
kind, which kind this is (dialect()), row locks, reserved ids, bulk loads,
refreshed statistics, and room for other writers between a long job's chunks."""
from __future__ import annotations

import json
import logging
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import String, any_, bindparam, event, false, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError, OperationalError

from .extensions import db
from .models import SEARCH_TABLES, search_table_of
from .services import search

log = logging.getLogger(__name__)

# A search tables' reorder (order_search_tables) waits at most this long for its
# lock at a time, this many times, this far apart, before it gives up.
REORDER_LOCK_WAIT_MS = 2000
REORDER_ATTEMPTS = 5
REORDER_PAUSE_S = 3
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout runs out
# PostgreSQL's SQLSTATEs for work stopped before it finished, where the same work
# may well succeed a moment later: cancelled (statement_timeout, pg_cancel_backend),
# a lock wait that ran out, a deadlock, a serialisation failure.
STOPPED_SQLSTATES = {"57014", LOCK_NOT_AVAILABLE, "40P01", "40001"}

# Keys per statement where many records are looked up or removed by key (bound
# as one parameter by ``among``): fewer, larger statements, since a statement
# has a cost of its own (an import's undo of 100,000 took 1,000 at 500 each).
IN_LIST_MAX = 5000


def key_chunks(keys: list):
    """``keys`` in slices of IN_LIST_MAX, one statement's worth each (with ``among``)."""
    for start in range(0, len(keys), IN_LIST_MAX):
        yield keys[start:start + IN_LIST_MAX]


def among(column, values: list):
    """``column IN (values)`` for a long list of text or integer keys, bound as one
    parameter rather than one each (5,000 parameters took 45 ms a statement to
    prepare on PostgreSQL): an array for ``= ANY`` on PostgreSQL, a JSON list read
    by ``json_each`` on SQLite. Both look each key up in the column's index."""
    if dialect() == "postgresql":
        # Text of any length: a cast to the column's VARCHAR(n) would cut a longer value
        # to n characters, and it could match.
        kind = String() if isinstance(column.type, String) else column.type
        return column == any_(bindparam(None, values, type_=ARRAY(kind)))
    listed = func.json_each(bindparam(None, json.dumps(values))).table_valued("value")
    return column.in_(select(listed.c.value))


def configure_engines(app: Flask) -> None:
    with app.app_context():
        engine, kind = db.engine, dialect()
    if kind == "sqlite":
        cache_kib = app.config["SQLITE_CACHE_MB"] * 1024
        event.listen(engine, "connect",
                     lambda connection, _record: _sqlite_pragmas(connection, cache_kib))


def _sqlite_pragmas(dbapi_connection, cache_kib: int) -> None:
    cursor = dbapi_connection.cursor()
    # Enforce foreign keys (off by default in SQLite); WAL lets readers run
    # beside a writer; a busy writer is waited for instead of failing at once.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Pages kept per connection (the default, 2 MB, rereads a search's rows).
    cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
    cursor.close()


def dialect() -> str:
    """The kind of database the session talks to: "sqlite" or "postgresql"."""
    return db.session.get_bind().dialect.name


def _sqlstate(error: DBAPIError) -> str | None:
    """PostgreSQL's code for the error (psycopg's); None from SQLite."""
    return getattr(error.orig, "sqlstate", None)


def stopped_before_finishing(error: Exception) -> bool:
    """The database stopped this work rather than failed at it: the same work
    may well succeed a moment later."""
    if not isinstance(error, OperationalError):
        return False
    if _sqlstate(error) in STOPPED_SQLSTATES:
        return True
    # SQLite's writers wait busy_timeout for one another, then give up so.
    return "database is locked" in str(error.orig)


def lock_row(model, row_id: int):
    """The row, freshly read and locked until the transaction ends.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite ignores FOR UPDATE, so a write
    that changes nothing takes its database write lock first (writers queue
    behind it, readers go on), and the row is read after that.
    """
    if dialect() == "sqlite":
        # Columns with an onupdate default are named too, so that nothing changes.
        unchanged = {c.key: c for c in model.__table__.columns if c.onupdate or c.primary_key}
        db.session.execute(
            update(model.__table__).where(model.__table__.c.id == row_id).values(unchanged)
        )
        statement = select(model).where(model.id == row_id)
    else:
        statement = select(model).where(model.id == row_id).with_for_update()
    return db.session.scalars(statement.execution_options(populate_existing=True)).one_or_none()


def reserve_ids(table, count: int) -> list[int]:
    """``count`` new primary keys for ``table``, so that rows can be inserted in
    one executemany and still be known by id. Unique whatever runs at once:
    PostgreSQL hands them out from the table's sequence; on SQLite, a write that
    changes nothing first takes the database's only write lock, held to the end
    of the transaction, so nobody else inserts after the largest id is read."""
    if count <= 0:
        return []
    if dialect() == "postgresql":
        return list(db.session.scalars(text(
            f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
            "FROM generate_series(1, :n)"), {"n": count}))
    db.session.execute(update(table).where(false()).values(id=table.c.id))
    last = db.session.scalar(select(func.max(table.c.id))) or 0
    return list(range(last + 1, last + 1 + count))


def make_way_for_writers() -> None:
    """Between two chunks of a long job (holding no transaction): on SQLite, whose
    only write lock goes to whoever asks first when it is free, wait SQLITE_JOB_PAUSE
    so that a request waiting for it (it asks again every 100 ms) gets its turn
    rather than waiting behind the whole job. PostgreSQL locks rows, and queues."""
    if dialect() == "sqlite":
        time.sleep(current_app.config["SQLITE_JOB_PAUSE"])


def refresh_statistics() -> None:
    """Let the query planner see the tables as they are now, after a bulk load
    (PostgreSQL's autovacuum would get there later, if it is on; SQLite never would).

    PostgreSQL also gets a VACUUM: its visibility map, which only a vacuum writes, is
    what lets a list read a deep page from the index alone (page 20,000 of a freshly
    seeded million took a second without it, 50 ms with it)."""
    db.session.commit()
    if dialect() == "postgresql":
        try:
            order_search_tables(vacuum=False)  # vacuumed below, with the rest
        except SearchTableBusy as busy:
            log.warning("%s", busy)  # the data is all there; searches are a little slower
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        return
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def table_grew(table, rows: int) -> None:
    """After ``rows`` new rows in this transaction (1,000 or more), refresh what
    the planner knows of the table now. PostgreSQL: its statistics (and its
    search table's: models.search_table_for), not when autovacuum comes by:
    planned on the old figures (a near-empty table), looking those rows up again
    reads the whole table each time. SQLite's plans for such lookups do not
    depend on statistics, but its planner takes a search's key-by-id index only
    once it has some (models.key_by_id_index): those indexes are analysed (a
    quarter of a second at a million rows)."""
    if rows < 1_000:
        return
    if dialect() == "postgresql":
        db.session.execute(text(f"ANALYZE {table.name}"))
        search_table = search_table_of(table.name)
        if search_table is not None:
            db.session.execute(text(f"ANALYZE {search_table.name}"))
        return
    for index in table.indexes:
        if search.is_key_by_id_index(index.name, table.name):
            db.session.execute(text(f"ANALYZE {index.name}"))


def has_statistics(index: str) -> bool:
    """SQLite: whether ANALYZE has described ``index`` (and it has rows)."""
    if not db.session.scalar(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        return False
    return bool(db.session.scalar(text("SELECT 1 FROM sqlite_stat1 WHERE idx = :index"),
                                  {"index": index}))


def collect_then_sort():
    """Within: PostgreSQL finds matching rows through their indexes (a search's
    trigram index) and sorts them, rather than walking the sort column's index
    and testing each row. A search's matches often sit together in that order
    (a surname in a list by name), where such a walk reads hundreds of
    thousands of rows to fill one page. SQLite already plans it this way."""
    return _planner_setting("enable_indexscan", "off")


def found_through_the_index():
    """Within: PostgreSQL finds rows through an index that serves the condition (a
    search's trigram index), then reads them in the table's order, rather than
    reading the table from its start until enough rows match. The planner counts
    on matches being spread evenly; in a search table laid out in the list's
    order (order_search_tables) a surname's sit together, maybe halfway in."""
    return _planner_setting("enable_seqscan", "off")


@contextmanager
def _planner_setting(name: str, value: str):
    """Within: PostgreSQL's planner setting ``name`` is ``value``, for this
    transaction's statements; SQLite has no such settings."""
    if dialect() != "postgresql":
        yield
        return
    db.session.execute(text(f"SET LOCAL {name} = {value}"))
    failed = False
    try:
        yield
    except DBAPIError:
        failed = True  # the transaction is aborted: its rollback ends the setting
        raise
    finally:
        if not failed:
            db.session.execute(text(f"SET LOCAL {name} TO DEFAULT"))


class SearchTableBusy(RuntimeError):
    """A search table stayed locked by other work (an import's transaction) while
    a reorder asked for it: it is left as it was."""


def order_search_tables(*, vacuum: bool = True) -> list[str]:
    """PostgreSQL: rewrite each search table (models.search_table_for) in its list's
    order, so that the matches of a common fragment, mostly one surname's, sit
    together on a few of its pages rather than on nearly every one ("garc": 23,000
    matches on 11,600 of 13,700 pages). Rows written later go at the end (an
    import's, in name order, together), so the order fades slowly; this puts it
    back. CLUSTER locks the table while it runs (about 12 s a million customers):
    searches, and writes to what it copies, wait. ``vacuum``: then VACUUM ANALYZE
    each (the caller may do it with the rest). Returns the tables reordered."""
    if dialect() != "postgresql":
        return []
    db.session.commit()
    ordered = []
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # While CLUSTER waits for its lock, every search and customer write queues
        # behind it: it waits a little at a time, never as long as the work ahead.
        connection.execute(text(f"SET lock_timeout = '{REORDER_LOCK_WAIT_MS}ms'"))
        for name, rows in SEARCH_TABLES.tables.items():
            _cluster(connection, name, rows.info["in_list_order"])
            if vacuum:
                connection.execute(text(f'VACUUM ANALYZE "{name}"'))
            ordered.append(name)
    return ordered


def _cluster(connection, table: str, index: str) -> None:
    for attempt in range(REORDER_ATTEMPTS):
        try:
            connection.execute(text(f'CLUSTER "{table}" USING "{index}"'))
            return
        except OperationalError as error:
            if _sqlstate(error) != LOCK_NOT_AVAILABLE:
                raise
        if attempt + 1 < REORDER_ATTEMPTS:
            time.sleep(REORDER_PAUSE_S)
    raise SearchTableBusy(
        f"{table} stayed in use by other work (an import?) and was not reordered: "
        "its searches work as they did; try again when it is quiet "
        "(flask --app wsgi search reorder).")


@contextmanager
def bulk_load(tables: list[str]):
    """SQLite: while millions of rows pour into ``tables``, set their secondary
    indexes and triggers aside and build them again at the end (one sort each,
    instead of a B-tree insert per row), then rebuild their FTS5 search tables.
    Unique indexes stay, so duplicates are still refused as they come. A TERM
    signal stops the load as Ctrl-C does; while the indexes are built again,
    both wait for the build to end. PostgreSQL: nothing changes."""
    if dialect() != "sqlite":
        yield
        return
    record = _aside_record()
    _put_back_after_a_killed_load(record)
    names = ", ".join(f"'{table}'" for table in tables)
    aside = db.session.execute(text(
        f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({names}) "
        "AND type IN ('index', 'trigger') AND sql IS NOT NULL "
        "AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY type")).all()
    if record is not None:  # what to put back should this process be killed
        record.write_text(json.dumps({"tables": tables,
                                      "aside": [[name, sql] for _kind, name, sql in aside]}))
    for kind, name, _sql in aside:
        db.session.execute(text(f"DROP {kind.upper()} {name}"))
    db.session.commit()
    _fresh_connections()
    try:
        # The unique indexes, filled in random order, outgrow the usual page cache.
        with _terminate_as_interrupt(), \
                _page_cache(current_app.config["SQLITE_BULK_LOAD_CACHE_MB"] * 1024):
            yield
    finally:
        db.session.rollback()  # whatever a failed load left unfinished
        _fresh_connections()
        # SQLite's own small cache builds these faster than a large one (a million
        # customers' indexes: about 42 s against 50).
        with _signals_held(), _page_cache(INDEX_BUILD_CACHE_KIB):
            for _kind, _name, sql in aside:  # indexes first, then triggers
                db.session.execute(text(sql))
            _rebuild_search_indexes(tables)
            db.session.commit()
        if record is not None:
            record.unlink(missing_ok=True)


INDEX_BUILD_CACHE_KIB = 2000  # SQLite's default page cache


def _aside_record() -> Path | None:
    """Beside a SQLite file: the indexes and triggers a bulk load set aside, until
    it has put them back (None for a database in memory)."""
    name = db.engine.url.database
    return Path(f"{name}.bulk-load-aside.json") if name and name != ":memory:" else None


def _put_back_after_a_killed_load(record: Path | None) -> None:
    """A bulk load killed outright (``kill -9``, a power cut) could not build its
    indexes and triggers again: the next one does, first, from its record."""
    if record is None or not record.exists():
        return
    killed = json.loads(record.read_text())
    present = set(db.session.scalars(text("SELECT name FROM sqlite_master")))
    with _signals_held():
        for name, sql in killed["aside"]:
            if name not in present:
                db.session.execute(text(sql))
        _rebuild_search_indexes(killed["tables"])
        db.session.commit()
    record.unlink()


def _rebuild_search_indexes(tables: list[str]) -> None:
    """The FTS5 search tables of ``tables`` (those that have one), built from their rows."""
    for table in tables:
        index = search.fts_table(table)
        if db.session.scalar(text("SELECT 1 FROM sqlite_master WHERE name = :n"), {"n": index}):
            db.session.execute(text(f"INSERT INTO {index}({index}) VALUES ('rebuild')"))


@contextmanager
def _page_cache(kib: int):
    """SQLite: the connections opened meanwhile have a page cache of ``kib``; the
    pooled ones are closed on the way in and out, so that it applies to exactly
    what runs inside."""
    def set_cache(dbapi_connection, _record) -> None:
        dbapi_connection.execute(f"PRAGMA cache_size=-{int(kib)}")

    _fresh_connections()
    event.listen(db.engine, "connect", set_cache)
    try:
        yield
    finally:
        event.remove(db.engine, "connect", set_cache)
        _fresh_connections()


@contextmanager
def _terminate_as_interrupt():
    """A TERM signal (a service manager, ``kill``) raises KeyboardInterrupt, as Ctrl-C
    does, so that what a bulk load set aside is put back."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _signals_held():
    """Ctrl-C and TERM wait until the block has run (a second Ctrl-C while indexes
    are built again would leave the tables without them), then take effect."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda n, _f: received.append(n))
                for number in held}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if received:
            signal.raise_signal(received[0])


def _fresh_connections() -> None:
    """After a change of schema: pooled connections still reading from before it
    would see the old one (a cursor left unread keeps SQLite's snapshot open)."""
    db.session.close()
    db.engine.dispose()
