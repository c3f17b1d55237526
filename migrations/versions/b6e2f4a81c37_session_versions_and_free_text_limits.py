"""Admin users carry a session version (raised to end all their sessions); free
text columns get a maximum length (PostgreSQL VARCHAR(n); SQLite keeps TEXT and
the application checks the length, see models.long_text).

Revision ID: b6e2f4a81c37
Revises: e4b8a1d2c6f3
Create Date: 2026-12-06 05:00:00

Text longer than the new maximum is cut to it on PostgreSQL (such values made
pages of many megabytes; nothing a person typed is that long).
"""
import sqlalchemy as sa
from alembic import op

revision = "b6e2f4a81c37"
down_revision = "e4b8a1d2c6f3"
branch_labels = None
depends_on = None

# (table, column, maximum length), as models.long_text declares them.
LIMITS = (
    ("customer_groups", "description", 1000),
    ("customers", "notes", 4000),
    ("blacklist", "note", 1000),
    ("discount_codes", "description", 1000),
    ("offers", "description", 2000),
)


def upgrade():
    # A plain ADD COLUMN, never a batch: SQLite would rebuild the table.
    op.add_column("admin_users", sa.Column("session_version", sa.Integer(), nullable=False,
                                           server_default=sa.text("0")))
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length in LIMITS:
        op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text(),
                        postgresql_using=f"left({column}, {length})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, column, length in LIMITS:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))
    with op.batch_alter_table("admin_users") as batch_op:
        batch_op.drop_column("session_version")
