"""SQLite: an index (id, sort_name, merged_into_id) of the customers, from which a
search's matches read their names when they are collected and sorted, instead
of reading each match's whole row (models.py, key_by_id_index), and its
statistics, without which SQLite's planner does not take it (imports of
1,000 rows or more refresh them: database.table_grew). PostgreSQL
reads each match's row to check it anyway: nothing changes there.

Revision ID: d9dbad4ed959
Revises: 4e6ff1903260
Create Date: 2026-12-06 19:36:37
"""
from alembic import op

revision = "d9dbad4ed959"
down_revision = "4e6ff1903260"
branch_labels = None
depends_on = None

INDEX = "ix_customers_search_id_sort_name"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(INDEX, "customers", ["id", "sort_name", "merged_into_id"])
        # SQLite's planner takes the index for a search's names only once its
        # statistics say one id is one entry (a quarter of a second at a million).
        op.execute(f"ANALYZE {INDEX}")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(INDEX, table_name="customers")
