"""How many rows a list matches, without counting a million rows on every page.

Rows are counted exactly up to a limit (cheap: the database stops reading at
the limit). Past it, an unfiltered list shows the database's own estimate of
the table's size ("about 1,000,000"), and a filtered one shows "more than
100,000". Staff always see which kind of figure they are reading.
"""
from __future__ import annotations

from sqlalchemy import func, select, text

from ..database import dialect
from ..extensions import db


class RowCount(int):
    """A count that knows whether it is exact, a lower bound or an estimate.

    It compares and divides as the number it holds; as text it reads the way a
    person should take it, in their language.
    """

    EXACT, AT_LEAST, ABOUT = "exact", "at_least", "about"
    kind: str

    def __new__(cls, value: int, kind: str = EXACT):
        count = super().__new__(cls, value)
        count.kind = kind
        return count

    @property
    def exact(self) -> bool:
        return self.kind == self.EXACT

    def __str__(self) -> str:
        from flask_babel import gettext as _

        from ..i18n import number

        shown = number(int(self))
        if self.kind == self.ABOUT:
            return _("about %(num)s", num=shown)
        if self.kind == self.AT_LEAST:
            return _("more than %(num)s", num=shown)
        return shown


def count_rows(query, key, *, exact_up_to: int, table: str | None = None) -> RowCount:
    """Count what ``query`` (an ORM query, unsorted and unpaged) matches; ``key``
    is its model's primary key column.

    ``table``: the table's name when the query has no search or filter, so that
    past the limit the table's estimated size can be shown.
    """
    estimate = estimated_rows(table) if table else None
    if estimate is not None and estimate >= 2 * exact_up_to:
        # Far past the limit by the statistics: counting could only say "more than".
        return RowCount(estimate, RowCount.ABOUT)
    capped = (query.enable_eagerloads(False).order_by(None)
              .with_entities(key).limit(exact_up_to + 1).subquery())
    found = db.session.execute(select(func.count()).select_from(capped)).scalar_one()
    if found <= exact_up_to:
        return RowCount(found)
    if estimate is not None and estimate > exact_up_to:
        return RowCount(estimate, RowCount.ABOUT)
    return RowCount(exact_up_to, RowCount.AT_LEAST)


def exact_count(query, key) -> int:
    """Every row ``query`` matches, counted: for work that reads each of them anyway
    (an export, an action on every matching row), which states the true figure."""
    matched = query.enable_eagerloads(False).order_by(None).with_entities(key).subquery()
    return db.session.execute(select(func.count()).select_from(matched)).scalar_one()


def estimated_rows(table: str) -> int | None:
    """The table's size as the database's statistics last saw it, or None."""
    kind = dialect()
    value = None
    if kind == "postgresql":
        # reltuples: kept by autovacuum and ANALYZE; negative until first analysed.
        value = db.session.scalar(text(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table})
    elif kind == "sqlite" and db.session.scalar(text(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        # Written by ANALYZE and PRAGMA optimize: each row starts with the row count.
        stat = db.session.scalar(text(
            "SELECT stat FROM sqlite_stat1 WHERE tbl = :t ORDER BY idx IS NULL DESC LIMIT 1"),
            {"t": table})
        value = int(stat.split()[0]) if stat else None
    return value if value is not None and value >= 0 else None


def planned_rows(statement) -> int:
    """PostgreSQL: how many rows ``statement`` (a select) gives, as its planner
    estimates from the statistics (EXPLAIN, without running it): a fraction of a
    millisecond, where counting may read a hundred thousand index entries."""
    connection = db.session.connection()
    # render_postcompile: an IN list (outlets 1, 2, 3) as its own parameters.
    compiled = statement.compile(dialect=connection.dialect,
                                 compile_kwargs={"render_postcompile": True})
    plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}",
                                      compiled.params).scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])
