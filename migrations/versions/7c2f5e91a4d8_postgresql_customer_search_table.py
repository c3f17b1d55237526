"""PostgreSQL: the customers' search table, a narrow copy of each customer's id,
sort name, merged_into_id and search text, with its own trigram index
(models.py, search_table). A search for a common fragment reads each match's
row to check it: here that row is a seventh of a customer's. Triggers keep it
in step with every write (the ORM, COPY, plain SQL). SQLite keeps its FTS5
table: nothing changes there.

Revision ID: 7c2f5e91a4d8
Revises: d9dbad4ed959
Create Date: 2026-12-06 23:05:00
"""
from alembic import op

revision = "7c2f5e91a4d8"
down_revision = "d9dbad4ed959"
branch_labels = None
depends_on = None

TABLE = "customers_search"
COLUMNS = "id, sort_name, merged_into_id, search_text"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""CREATE TABLE {TABLE} (
        id integer PRIMARY KEY,
        sort_name varchar(200) NOT NULL,
        merged_into_id integer,
        search_text text NOT NULL)""")
    op.execute(f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM customers")
    op.execute(f"CREATE INDEX ix_{TABLE}_search_text ON {TABLE} "
               "USING gin (search_text gin_trgm_ops)")
    # A search's walk in the list's order, testing each row's text from the index
    # alone (views/search_table_pages.py).
    op.execute(f"CREATE INDEX ix_{TABLE}_sort_name_id ON {TABLE} (sort_name, id, merged_into_id) "
               "INCLUDE (search_text)")
    # New rows: once per statement, a COPY of a hundred thousand included.
    op.execute(f"""CREATE FUNCTION {TABLE}_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM inserted;
        RETURN NULL;
    END $$""")
    op.execute(f"""CREATE TRIGGER {TABLE}_insert AFTER INSERT ON customers
        REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_insert()""")
    # Changed rows: only when a copied column changes, so that a top-up, which
    # sets the balance alone, does not call it.
    op.execute(f"""CREATE FUNCTION {TABLE}_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE {TABLE} SET id = NEW.id, sort_name = NEW.sort_name,
            merged_into_id = NEW.merged_into_id, search_text = NEW.search_text
        WHERE id = OLD.id;
        RETURN NULL;
    END $$""")
    op.execute(f"""CREATE TRIGGER {TABLE}_update
        AFTER UPDATE OF id, sort_name, merged_into_id, search_text ON customers FOR EACH ROW
        WHEN ((OLD.id, OLD.sort_name, OLD.merged_into_id, OLD.search_text) IS DISTINCT FROM
              (NEW.id, NEW.sort_name, NEW.merged_into_id, NEW.search_text))
        EXECUTE FUNCTION {TABLE}_update()""")
    op.execute(f"""CREATE FUNCTION {TABLE}_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM {TABLE} WHERE id IN (SELECT id FROM deleted);
        RETURN NULL;
    END $$""")
    op.execute(f"""CREATE TRIGGER {TABLE}_delete AFTER DELETE ON customers
        REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_delete()""")
    op.execute(f"""CREATE FUNCTION {TABLE}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE {TABLE};
        RETURN NULL;
    END $$""")
    op.execute(f"""CREATE TRIGGER {TABLE}_truncate AFTER TRUNCATE ON customers
        FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_truncate()""")
    op.execute(f"ANALYZE {TABLE}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for event in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER {TABLE}_{event} ON customers")
        op.execute(f"DROP FUNCTION {TABLE}_{event}()")
    op.execute(f"DROP TABLE {TABLE}")
