"""Every sort and filter of the customer list reads an index: the birthday's month
and day kept on the row (for "birthday, any year"), and an index per sort column
and per filter that matches many customers, each ending with merged_into_id like
the list's other indexes; the offer events of a range of days read from one index.

Revision ID: 4e6ff1903260
Revises: 2cc5fcd44a3f
Create Date: 2026-12-06 17:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "4e6ff1903260"
down_revision = "2cc5fcd44a3f"
branch_labels = None
depends_on = None

BY_ID = ("postcode", "sales_value_minor", "orders_count", "loyalty_points", "balance_minor",
         "card_number")
BY_NAME = ("marketing_opt_in", "loyalty_member", "country", "birthday", "birthday_month_day",
           "phone")
# Replaced by the ones that start with the same column.
OLD_INDEXES = ("postcode", "loyalty_points", "phone")

MONTH_DAY = {
    "sqlite": "CAST(strftime('%m%d', birthday) AS INTEGER)",
    "postgresql": "CAST(EXTRACT(MONTH FROM birthday) * 100 + EXTRACT(DAY FROM birthday) "
                  "AS INTEGER)",
}


def upgrade():
    op.add_column("customers", sa.Column("birthday_month_day", sa.Integer(), nullable=True))
    dialect = op.get_bind().dialect.name
    op.execute(f"UPDATE customers SET birthday_month_day = {MONTH_DAY[dialect]} "
               "WHERE birthday IS NOT NULL")
    for column in OLD_INDEXES:
        op.drop_index(f"ix_customers_{column}", table_name="customers")
    for column in BY_ID:
        op.create_index(f"ix_customers_{column}_id", "customers",
                        [column, "id", "merged_into_id"])
    for column in BY_NAME:
        op.create_index(f"ix_customers_{column}_sort_name", "customers",
                        [column, "sort_name", "id", "merged_into_id"])
    op.drop_index("ix_offer_events_occurred_at", table_name="offer_events")
    op.create_index("ix_offer_events_occurred_at_kind", "offer_events",
                    ["occurred_at", "kind", "customer_id"])
    # The planner's figures for the new indexes (PostgreSQL: a VACUUM after the
    # upgrade lets them be read alone again; it cannot run in a migration).
    op.execute("ANALYZE customers")
    op.execute("ANALYZE offer_events")


def downgrade():
    op.drop_index("ix_offer_events_occurred_at_kind", table_name="offer_events")
    op.create_index("ix_offer_events_occurred_at", "offer_events", ["occurred_at"])
    for column in BY_NAME:
        op.drop_index(f"ix_customers_{column}_sort_name", table_name="customers")
    for column in BY_ID:
        op.drop_index(f"ix_customers_{column}_id", table_name="customers")
    for column in OLD_INDEXES:
        op.create_index(f"ix_customers_{column}", "customers", [column])
    op.drop_column("customers", "birthday_month_day")
