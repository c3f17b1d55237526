"""Search that stays fast at a million rows.

A searchable record keeps a *search text*: its searchable fields folded (lower
case, no accents) and joined by spaces, written with the record (see
``models.py``). The database indexes that text for substring search:
PostgreSQL with a pg_trgm GIN index (the customers' also on their search
table, a narrow copy kept by triggers: models.py, search_table_for), SQLite with an
FTS5 trigram table kept in step by triggers (both made by the migrations). A
search asks for every word of what was typed somewhere in that text, so "garc"
finds "García" and "garcia" finds it too.
"""
from __future__ import annotations

import functools
import re
import unicodedata

from sqlalchemy import and_, column, func, select, table, text, true

LIKE_ESCAPE = "\\"
# Trigram indexes need three characters to look a word up; shorter words are
# still matched, by reading the rows the longer words (or nothing) left.
MIN_INDEXED = 3


# More words than this make no useful search, and a thousand of them pass
# SQLite's limit on the size of one expression.
MAX_WORDS = 30
# What a search box may send but no searched text holds: control characters
# (a NUL byte, which PostgreSQL refuses in any text).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def words(search: str | None) -> list[str]:
    """The distinct words of a search, control characters taken out."""
    return list(dict.fromkeys(CONTROL_CHARACTERS.sub(" ", search or "").split()))


def cleaned(search: str | None) -> str:
    """A search as it is run: its distinct words, one space apart."""
    return " ".join(words(search))


def fold(value: str | None) -> str:
    """'  Álvarez ' -> 'alvarez': what both sides of a search are compared as."""
    value = (value or "").strip()
    if value.isascii():  # most values: nothing to take accents off
        return value.lower()
    return _fold_accented(value)


@functools.lru_cache(maxsize=4096)
def _fold_accented(value: str) -> str:
    # Names repeat (a million customers share a few thousand): each is folded once.
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# What people write between digits: "1000-001", "1234 5678", "(91) 555".
DIGIT_SEPARATORS = re.compile(r"[\s().+-]")


def search_text(*values: str | None) -> str:
    """The text a record is found by: its fields folded, joined by spaces; a
    field of digits and separators ("1000-001") also as its digits alone, so
    that a number typed any way is found by its digits."""
    parts = []
    for folded in map(fold, values):
        if not folded:
            continue
        parts.append(folded)
        digits = DIGIT_SEPARATORS.sub("", folded)
        if digits.isdigit() and digits not in folded:
            parts.append(digits)
    return " ".join(parts)


def contains_all(column, words: list[str]):
    """``column`` holds every one of ``words`` (as ``contains`` reads each)."""
    return and_(true(), *(contains(column, word) for word in words))


def contains(column, text: str, *, ignore_case: bool = False):
    """``column`` holds ``text``, its "%" and "_" taken as themselves, not wildcards."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    compare = column.ilike if ignore_case else column.like
    return compare(f"%{escaped}%", escape=LIKE_ESCAPE)


def matches(model, search: str, phone_digits: str | None, dialect: str):
    """A condition on ``model``: every word of ``search`` is in the record's search
    text; or, when what was typed is a phone written the usual ways ("600 11 22",
    "0034 600..."), its ``phone_digits`` are, as one run of digits."""
    words = searched_words(search, phone_digits)
    if not words:
        return true()
    short = [word for word in words if len(word) < MIN_INDEXED]
    if dialect == "sqlite" and len(short) < len(words):
        # SQLite's LIKE reads every row: its FTS5 table finds the rows with the
        # longer words, exactly; shorter words are then LIKEs on those rows.
        long = [word for word in words if len(word) >= MIN_INDEXED]
        return and_(_sqlite_found(model, long), *(contains(model.search_text, w) for w in short))
    # PostgreSQL's trigram index serves these LIKEs itself.
    return contains_all(model.search_text, words)


def found_rows(query, model, search: str, phone_digits: str | None, dialect: str):
    """``query`` narrowed to the rows ``matches`` finds, read from the search index
    first: SQLite joins its FTS5 table, whose matches then come one by one, so a
    capped count stops at its cap (``id IN (...)`` would gather every match
    first). PostgreSQL's plan already does so: the condition is added as it is."""
    words = searched_words(search, phone_digits)
    long = [word for word in words if len(word) >= MIN_INDEXED]
    if dialect != "sqlite" or not long:
        return query.filter(matches(model, search, phone_digits, dialect))
    index = table(fts_table(model.__tablename__), column("rowid"))
    return query.join(index, index.c.rowid == model.id).filter(
        text(f"{index.name} MATCH :fts_query").bindparams(fts_query=_fts_query(long)),
        *(contains(model.search_text, word) for word in words if len(word) < MIN_INDEXED))


def index_count(model, search: str, phone_digits: str | None, limit: int):
    """SQLite: a statement counting the rows the FTS5 index finds for the search's
    longer words, up to ``limit`` + 1 (the index alone is read: tombstones, and the
    shorter words, are not told apart), or None when no word is long enough."""
    long = [word for word in searched_words(search, phone_digits) if len(word) >= MIN_INDEXED]
    if not long:
        return None
    found = _fts_rowids(model, long)
    return select(func.count()).select_from(found.limit(limit + 1).subquery())


def searched_words(search: str, phone_digits: str | None) -> list[str]:
    """What a search looks for in the search text: its folded words, or a typed
    phone's digits as one word."""
    if phone_digits:
        return [phone_digits.lstrip("+")]
    return [word for word in map(fold, search.split()) if word]


def table_matches(rows, search: str, phone_digits: str | None):
    """``matches`` as a condition on a model's search table ``rows`` (PostgreSQL:
    models.py, search_table_for) rather than on the model."""
    return contains_all(rows.c.search_text, searched_words(search, phone_digits))


def row_matches(model, search: str, phone_digits: str | None, dialect: str = ""):
    """The rows ``matches`` finds, told by reading each row's search text rather
    than the search index: for rows read in another index's order, where testing
    the few rows read is cheaper than collecting every match."""
    return contains_all(model.search_text, searched_words(search, phone_digits))


def _sqlite_found(model, words: list[str]):
    """``model.id IN (the rows whose search text holds every word)``, from FTS5."""
    return model.id.in_(_fts_rowids(model, words))


def _fts_rowids(model, words: list[str]):
    """The rowids of ``model``'s FTS5 index whose text holds every one of ``words``."""
    index = fts_table(model.__tablename__)
    return select(text("rowid")).select_from(text(index)).where(
        text(f"{index} MATCH :fts_query").bindparams(fts_query=_fts_query(words)))


def _fts_query(words: list[str]) -> str:
    return " AND ".join(_fts_phrase(word) for word in words)


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def fts_table(table: str) -> str:
    """The name of a searchable table's FTS5 index (SQLite)."""
    return f"{table}_search"


def search_table_name(table: str) -> str:
    """The name of a searchable table's search table (PostgreSQL: models.py,
    search_table_for): the FTS5 index's name on SQLite, one search table each."""
    return fts_table(table)


# SQLite's FTS5 table for a search, and the tables FTS5 keeps beside it; on
# PostgreSQL, a search table (same name). Both are made by hand-written
# migrations, and tests/test_migrations.py checks them apart.
_INDEX_TABLE = re.compile(r"^\w+_search(_(data|idx|docsize|config|content))?$")


def is_index_table(name: str) -> bool:
    """Tables the migrations make for searches, which no model describes."""
    return bool(_INDEX_TABLE.match(name))


def key_by_id_index_name(table: str, key: str) -> str:
    """The name of SQLite's index (id, key, ...) of a searchable table, from which
    a search's matches read their sort key (models.py, key_by_id_index)."""
    return f"ix_{table}_search_id_{key}"


def is_key_by_id_index(name: str | None, table: str) -> bool:
    return name is not None and name.startswith(key_by_id_index_name(table, ""))


def include_in_migrations(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object hook: autogenerate leaves the search indexes to
    the migration that makes them, for one database kind each (SQLite's FTS5
    tables, PostgreSQL's trigram index)."""
    if type_ == "table":
        return not is_index_table(name)
    return not (type_ == "index" and "_search_" in (name or ""))


# Above every character: "S00012" <= code < "S00012" + LAST_CHARACTER holds the
# codes that begin with "S00012", a range that a plain B-tree index answers
# (binary / C collation), where LIKE 'S00012%' is not indexed on SQLite.
LAST_CHARACTER = "\U0010ffff"


def starts_with(column, prefix: str):
    """``column`` begins with ``prefix``, as an indexed range."""
    return and_(column >= prefix, column < prefix + LAST_CHARACTER)
