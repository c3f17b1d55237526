"""Outbox: the sent date indexed, so that the outbox filters and sorts on it at scale.

Revision ID: 752aa6ea10f6
Revises: 1d8456c16c05
Create Date: 2026-12-06 11:17:07.728684
"""
from alembic import op

revision = "752aa6ea10f6"
down_revision = "1d8456c16c05"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_sent_at"), ["sent_at"], unique=False)


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_sent_at"))
