"""A search's page of a list by walking the list's order.

A search index finds matches, but not in the list's order: a page of a search
with tens of thousands of matches ("mart", "alon") would read and sort all of
them. When the matches are common enough among the first rows in the list's
order, reading those rows through the order's index and testing each one finds
the page sooner. The walk has a budget of rows; past it the caller goes back to
collecting and sorting the matches, which costs what it did before.

The test differs by kind of walk. SQLite walks the order's index alone and
looks each id up in the search index's matches (an id set it builds once),
cheap per row. PostgreSQL reads each walked row's search text from the table,
dearer per row, so its walk is shorter; walking a search table (models.py,
search_table_for), it reads that text from the order's index alone, about
half a microsecond a row (50,000 rows: some 25 ms on a slow machine).
"""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db

# Rows read per row wanted (matches at least this dense at the start of the
# order are found by walking), and the most rows one walk reads.
# By kind of walk: the database's name, or "search_table" (PostgreSQL's walk of
# a search table).
ROWS_PER_MATCH = {"sqlite": 3_000, "postgresql": 40, "search_table": 3_000}
MOST_ROWS = {"sqlite": 20_000, "postgresql": 2_000, "search_table": 50_000}
LEAST_ROWS = 1_000


def walk_budget(wanted: int, kind: str) -> int:
    """How many rows a walk of ``kind`` (see ROWS_PER_MATCH) for ``wanted`` matches
    may read."""
    return min(max(ROWS_PER_MATCH[kind] * wanted, LEAST_ROWS), MOST_ROWS[kind])


def first_matches(ids_in_order, test, wanted: int, kind: str) -> list | None:
    """The ids of the first ``wanted`` rows of ``ids_in_order`` (a select of the
    rows' ids in the list's order, without the search) for which the condition
    ``test`` holds, or None when the walk's budget runs out before it finds them.

    Fewer than ``wanted`` ids come back only when the rows themselves run out:
    then those are all the matches."""
    budget = walk_budget(wanted, kind)
    if wanted > budget:
        return None
    walked = ids_in_order.add_columns(test.label("hit")).limit(budget).subquery()
    # The window keeps the list's order: filtering it neither sorts nor reorders.
    key = walked.c[0]  # the id, whatever its label
    hits = list(db.session.scalars(select(key).where(walked.c.hit).limit(wanted)))
    if len(hits) >= wanted:
        return hits
    rows = ids_in_order.limit(budget).subquery()
    if db.session.execute(select(func.count()).select_from(rows)).scalar_one() < budget:
        return hits  # every row was read: these are all the matches
    return None
