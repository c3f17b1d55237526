"""Customers sort by a case- and accent-folded name key.

Revision ID: a7c3e1f09b21
Revises: 13f2ed00fdde
Create Date: 2026-11-23 09:00:00
"""
import sqlalchemy as sa
from alembic import op

from admin_app.models import name_sort_key

revision = "a7c3e1f09b21"
down_revision = "13f2ed00fdde"
branch_labels = None
depends_on = None

BATCH = 10_000


def upgrade():
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sort_name", sa.String(length=200), nullable=False,
                                      server_default=""))
    _backfill()
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.alter_column("sort_name", server_default=None)
        batch_op.drop_index("ix_customers_surname_first_name_id")
        batch_op.create_index("ix_customers_sort_name_id", ["sort_name", "id"], unique=False)


def _backfill():
    connection = op.get_bind()
    customers = sa.table("customers", sa.column("id", sa.Integer),
                         sa.column("first_name", sa.String), sa.column("surname", sa.String),
                         sa.column("sort_name", sa.String))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(customers.c.id, customers.c.first_name, customers.c.surname)
            .where(customers.c.id > last_id).order_by(customers.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            customers.update().where(customers.c.id == sa.bindparam("row_id"))
            .values(sort_name=sa.bindparam("key")),
            [{"row_id": r.id, "key": name_sort_key(r.first_name, r.surname)} for r in rows],
        )
        last_id = rows[-1].id


def downgrade():
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_sort_name_id")
        batch_op.create_index("ix_customers_surname_first_name_id",
                              ["surname", "first_name", "id"], unique=False)
        batch_op.drop_column("sort_name")
