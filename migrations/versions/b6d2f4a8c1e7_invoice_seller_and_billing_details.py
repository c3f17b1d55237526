"""Invoices keep what a Spanish invoice states as issued (series, VAT rate, the
buyer's billing name, address and tax ID); customers have an optional tax ID.

Revision ID: b6d2f4a8c1e7
Revises: b6d2f4a8c1e3
Create Date: 2026-12-06 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b6d2f4a8c1e7"
down_revision = "b6d2f4a8c1e3"
branch_labels = None
depends_on = None

INVOICE_COLUMNS = (
    ("series", sa.String(length=10)),
    ("vat_rate_bp", sa.Integer()),
    ("billing_name", sa.String(length=200)),
    ("billing_address", sa.Text()),
    ("billing_country", sa.String(length=2)),
    ("billing_tax_id", sa.String(length=32)),
)


# Plain ADD / DROP COLUMN (SQLite has both): a batch copy of the customers table
# would drop its search triggers.
def upgrade():
    op.add_column("customers", sa.Column("tax_id", sa.String(length=32), nullable=True))
    for name, kind in INVOICE_COLUMNS:
        op.add_column("invoices", sa.Column(name, kind, nullable=True))


def downgrade():
    for name, _kind in reversed(INVOICE_COLUMNS):
        op.drop_column("invoices", name)
    op.drop_column("customers", "tax_id")
