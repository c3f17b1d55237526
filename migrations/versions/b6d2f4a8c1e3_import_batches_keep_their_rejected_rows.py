"""import batches keep their rejected rows after they are applied

Revision ID: b6d2f4a8c1e3
Revises: b6e2f4a81c37
Create Date: 2026-12-06 05:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "b6d2f4a8c1e3"
down_revision = "b6e2f4a81c37"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rejected_rows", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_column("rejected_rows")
