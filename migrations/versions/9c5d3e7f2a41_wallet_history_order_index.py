"""The wallet history's order (newest first, ties by id) in one index.

Revision ID: 9c5d3e7f2a41
Revises: 5d1e7a9c3b80
Create Date: 2026-11-30 13:15:00
"""
from alembic import op

revision = "9c5d3e7f2a41"
down_revision = "5d1e7a9c3b80"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_wallet_transactions_created_at_id", "wallet_transactions",
                    ["created_at", "id"])
    op.drop_index("ix_wallet_transactions_created_at", table_name="wallet_transactions")


def downgrade():
    op.create_index("ix_wallet_transactions_created_at", "wallet_transactions", ["created_at"])
    op.drop_index("ix_wallet_transactions_created_at_id", table_name="wallet_transactions")
