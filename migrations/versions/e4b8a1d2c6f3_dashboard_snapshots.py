"""The dashboard's figures, kept between visits.

Revision ID: e4b8a1d2c6f3
Revises: 9c5d3e7f2a41
Create Date: 2026-11-30 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "e4b8a1d2c6f3"
down_revision = "9c5d3e7f2a41"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dashboard_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_snapshots")),
    )


def downgrade():
    op.drop_table("dashboard_snapshots")
