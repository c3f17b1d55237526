"""Work outside the request: outbox delivery, jobs with progress, the schedule's
runs, and customers' store passwords.

Revision ID: 1d8456c16c05
Revises: b6d2f4a8c1e7
Create Date: 2026-12-06 11:05:06.069210
"""
import sqlalchemy as sa
from alembic import op

revision = "1d8456c16c05"
down_revision = "b6d2f4a8c1e7"
branch_labels = None
depends_on = None

OLD_AUDIT_ACTIONS = ("create", "update", "delete", "login", "login_failed", "logout", "export",
                     "import", "import_undo", "share", "refused")
NEW_AUDIT_ACTIONS = OLD_AUDIT_ACTIONS + ("reset_sent", "reset_used", "resend")
OLD_STATUSES = ("queued", "sent", "failed")
NEW_STATUSES = ("queued", "sending", "sent", "failed", "not_sendable")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_runs")),
        sa.UniqueConstraint("name", "period", name=op.f("uq_scheduled_runs_name")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=60), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'rolled_back')",
                           name=op.f("ck_jobs_status_valid")),
        sa.ForeignKeyConstraint(["created_by_id"], ["admin_users.id"],
                                name=op.f("fk_jobs_created_by_id_admin_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_jobs_subject", ["subject_type", "subject_id"], unique=False)

    # Plain ADD COLUMN: customers is never rebuilt (SQLite would cascade its children).
    op.add_column("customers", sa.Column("password_hash", sa.String(length=255), nullable=True))
    op.add_column("customers",
                  sa.Column("password_reset_nonce", sa.String(length=64), nullable=True))

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=False,
                                      server_default="balance_changed"))
        batch_op.add_column(sa.Column("recipient", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sending_since", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("resent_in_doubt", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("message_id", sa.String(length=200), nullable=True))
        batch_op.alter_column("status", existing_type=sa.VARCHAR(length=10),
                              type_=sa.String(length=12), existing_nullable=False)
        batch_op.drop_constraint(op.f("ck_notifications_status_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notifications_status_valid"),
                                         sa.text(_in("status", NEW_STATUSES)))
        batch_op.create_check_constraint(
            op.f("ck_notifications_kind_valid"),
            sa.text(_in("kind", ("balance_changed", "password_reset"))))
        batch_op.create_index(batch_op.f("ix_notifications_created_at"), ["created_at"],
                              unique=False)
        batch_op.create_index("ix_notifications_status_next_attempt_at",
                              ["status", "next_attempt_at"], unique=False)
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        # The defaults were for the rows already there; the models set them from now on.
        batch_op.alter_column("kind", server_default=None)
        batch_op.alter_column("attempts", server_default=None)
        batch_op.alter_column("resent_in_doubt", server_default=None)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_events_action_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_audit_events_action_valid"),
                                         sa.text(_in("action", NEW_AUDIT_ACTIONS)))


def downgrade():
    op.execute("DELETE FROM audit_events WHERE action IN ('reset_sent', 'reset_used', 'resend')")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_events_action_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_audit_events_action_valid"),
                                         sa.text(_in("action", OLD_AUDIT_ACTIONS)))
    op.execute("UPDATE notifications SET status = 'queued' "
               "WHERE status IN ('sending', 'not_sendable')")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_notifications_created_at"))
        batch_op.drop_constraint(op.f("ck_notifications_kind_valid"), type_="check")
        batch_op.drop_constraint(op.f("ck_notifications_status_valid"), type_="check")
        batch_op.create_check_constraint(op.f("ck_notifications_status_valid"),
                                         sa.text(_in("status", OLD_STATUSES)))
        batch_op.alter_column("status", existing_type=sa.String(length=12),
                              type_=sa.VARCHAR(length=10), existing_nullable=False)
        for column in ("message_id", "resent_in_doubt", "sending_since", "next_attempt_at",
                       "last_error", "attempts", "recipient", "kind"):
            batch_op.drop_column(column)
    op.drop_column("customers", "password_reset_nonce")
    op.drop_column("customers", "password_hash")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_subject")
        batch_op.drop_index(batch_op.f("ix_jobs_created_at"))
    op.drop_table("jobs")
    op.drop_table("scheduled_runs")
