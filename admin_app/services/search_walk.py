"""A search's page of a list by walking the list's order.

A search index finds matches, but not in the list's order: a page of a search
with tens of thousands of matches ("mart", "alon") would read and sort all of
them. When the matches are common enough among the first rows in the list's
order, reading those rows through the order's index and testing each one finds
the page sooner. The walk has a budget of rows; past it the caller goes back to
collecting and sorting the matches, which costs what it did before.

The test differs by database. SQLite walks the order's index alone and looks
each id up in the search index's matches (an id set it builds once), cheap per
row. PostgreSQL reads each walked row's search text, dearer per row, so its
walk is shorter.
"""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db

# Rows read per row wanted (matches at least this dense at the start of the
# order are found by walking), and the most rows one walk reads.
# "search_table": PostgreSQL's walk of a search table (models.py, search_table),
# which reads each row's text from the order's index alone, as SQLite's walk does.
ROWS_PER_MATCH = {"sqlite": 3_000, "postgresql": 40, "search_table": 3_000}
MOST_ROWS = {"sqlite": 20_000, "postgresql": 2_000, "search_table": 50_000}
LEAST_ROWS = 1_000


def walk_budget(wanted: int, dialect: str) -> int:
    """How many rows a walk for ``wanted`` matches may read."""
    return min(max(ROWS_PER_MATCH[dialect] * wanted, LEAST_ROWS), MOST_ROWS[dialect])


def first_matches(ids_in_order, test, wanted: int, dialect: str) -> list | None:
    """The ids of the first ``wanted`` rows of ``ids_in_order`` (a select of the
    rows' ids in the list's order, without the search) for which the condition
    ``test`` holds, or None when the walk's budget runs out before it finds them.

    Fewer than ``wanted`` ids come back only when the rows themselves run out:
    then those are all the matches."""
    budget = walk_budget(wanted, dialect)
    if wanted > budget:
        return None
    walked = ids_in_order.add_columns(test.label("hit")).limit(budget).subquery()
    # The window keeps the list's order: filtering it neither sorts nor reorders.
    hits = list(db.session.scalars(select(walked.c[0]).where(walked.c.hit).limit(wanted)))
    if len(hits) >= wanted:
        return hits
    rows = ids_in_order.limit(budget).subquery()
    if db.session.execute(select(func.count()).select_from(rows)).scalar_one() < budget:
        return hits  # every row was read: these are all the matches
    return None
