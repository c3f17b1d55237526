"""Fast search and filtered lists at a million rows: customers and guests keep a
folded search text, indexed for substring search (PostgreSQL pg_trgm GIN index;
SQLite FTS5 trigram table kept in step by triggers); customer indexes that
match the default order inside the group and date-added filters.

Revision ID: 5d1e7a9c3b80
Revises: c43c33cd52fa
Create Date: 2026-11-30 12:00:00

Note for later migrations on SQLite: a batch operation that rebuilds the
customers or guests table drops its triggers; create them again (see
``_create_sqlite_index``) in the same migration.
"""
import sqlalchemy as sa
from alembic import op

from admin_app.services.search import search_text

revision = "5d1e7a9c3b80"
down_revision = "c43c33cd52fa"
branch_labels = None
depends_on = None

BATCH = 10_000
# Each searchable table and the fields its search text is made of, as of this revision.
SEARCHABLE = {
    "customers": ("first_name", "surname", "email", "phone", "postcode", "card_number"),
    "guests": ("name", "email", "phone"),
}


def upgrade():
    # Plain ALTER TABLE, never a batch: SQLite would copy the whole table (and a
    # table other rows refer to cannot be dropped and rebuilt under foreign keys).
    for table, fields in SEARCHABLE.items():
        op.add_column(table, sa.Column("search_text", sa.Text(), nullable=False,
                                       server_default=sa.text("''")))
        _backfill(table, fields)
    op.drop_index("ix_customers_group_id", table_name="customers")
    op.drop_index("ix_customers_created_at", table_name="customers")
    op.create_index("ix_customers_group_id_sort_name", "customers",
                    ["group_id", "sort_name", "id"])
    op.create_index("ix_customers_created_at_sort_name", "customers",
                    ["created_at", "sort_name", "id"])
    for table in SEARCHABLE:
        if op.get_bind().dialect.name == "postgresql":
            _create_postgresql_index(table)
        else:
            _create_sqlite_index(table)


def _backfill(table_name: str, fields: tuple[str, ...]) -> None:
    connection = op.get_bind()
    table = sa.table(table_name, sa.column("id", sa.Integer), sa.column("search_text", sa.Text),
                     *(sa.column(f, sa.String) for f in fields))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(table.c.id, *(table.c[f] for f in fields))
            .where(table.c.id > last_id).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            table.update().where(table.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("text")),
            [{"row_id": r.id, "text": search_text(*r[1:])} for r in rows],
        )
        last_id = rows[-1].id


def _create_postgresql_index(table: str) -> None:
    # pg_trgm is a trusted extension: the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX ix_{table}_search_text ON {table} "
               "USING gin (search_text gin_trgm_ops)")


def _create_sqlite_index(table: str) -> None:
    """An FTS5 trigram table over the rows' search text (external content: the
    text is stored once, in the table), kept in step by triggers."""
    index = f"{table}_search"
    op.execute(f"CREATE VIRTUAL TABLE {index} USING fts5(search_text, content='{table}', "
               "content_rowid='id', tokenize='trigram')")
    op.execute(f"""CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN
        INSERT INTO {index}(rowid, search_text) VALUES (new.id, new.search_text);
    END""")
    op.execute(f"""CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN
        INSERT INTO {index}({index}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    END""")
    op.execute(f"""CREATE TRIGGER {index}_update AFTER UPDATE OF search_text ON {table} BEGIN
        INSERT INTO {index}({index}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO {index}(rowid, search_text) VALUES (new.id, new.search_text);
    END""")
    op.execute(f"INSERT INTO {index}({index}) VALUES ('rebuild')")


def downgrade():
    for table in SEARCHABLE:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP INDEX ix_{table}_search_text")
        else:
            for trigger in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {table}_search_{trigger}")
            op.execute(f"DROP TABLE {table}_search")
    op.drop_index("ix_customers_created_at_sort_name", table_name="customers")
    op.drop_index("ix_customers_group_id_sort_name", table_name="customers")
    op.create_index("ix_customers_created_at", "customers", ["created_at"])
    op.create_index("ix_customers_group_id", "customers", ["group_id"])
    for table in SEARCHABLE:
        op.drop_column(table, "search_text")  # SQLite 3.35+ drops a column in place
