"""Customer data over time: duplicates found by a scan, merges (tombstones and the
ledger's owner-change and merge movements), guests made customers, the consent log,
and erasure.

Revision ID: 2cc5fcd44a3f
Revises: 752aa6ea10f6
Create Date: 2026-12-06 13:44:26.438634
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "2cc5fcd44a3f"
down_revision = "752aa6ea10f6"
branch_labels = None
depends_on = None

OLD_AUDIT_ACTIONS = ("create", "update", "delete", "login", "login_failed", "logout", "export",
                     "import", "import_undo", "share", "refused", "reset_sent", "reset_used",
                     "resend")
NEW_AUDIT_ACTIONS = OLD_AUDIT_ACTIONS + ("merge", "guest_converted", "personal_data_export",
                                         "erasure")
OLD_WALLET_KINDS = ("top_up", "deduction", "payment", "refund", "expiry", "adjustment")
NEW_WALLET_KINDS = OLD_WALLET_KINDS + ("owner_change",)
OLD_LOYALTY_KINDS = ("earned", "redeemed", "adjustment", "expiry")
NEW_LOYALTY_KINDS = OLD_LOYALTY_KINDS + ("merge",)


SORT_INDEXES = {
    "ix_customers_sort_name_id": ["sort_name", "id"],
    "ix_customers_group_id_sort_name": ["group_id", "sort_name", "id"],
    "ix_customers_created_at_sort_name": ["created_at", "sort_name", "id"],
}


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _fold(value):
    # As services/search.fold, frozen here: a migration must not change with the app.
    value = (value or "").strip()
    if value.isascii():
        return value.lower()
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _fill_email_keys(table):
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, email FROM {table} WHERE email IS NOT NULL"))
    batch = []
    for row_id, email in rows:
        batch.append({"i": row_id, "k": _fold(email)[:254] or None})
    for start in range(0, len(batch), 10_000):
        bind.execute(sa.text(f"UPDATE {table} SET email_key = :k WHERE id = :i"),
                     batch[start:start + 10_000])


def _swap_check(table, name, old_sql, new_sql):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), sa.text(new_sql))


def upgrade():
    op.create_table(
        "duplicate_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("groups_found", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_scans")),
    )
    op.create_index(op.f("ix_duplicate_scans_finished_at"), "duplicate_scans", ["finished_at"],
                    unique=False)
    op.create_table(
        "duplicate_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("strength", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.CheckConstraint("reason IN ('email', 'card', 'phone', 'name_birthday', "
                           "'name_postcode')", name=op.f("ck_duplicate_groups_reason_valid")),
        sa.ForeignKeyConstraint(["scan_id"], ["duplicate_scans.id"],
                                name=op.f("fk_duplicate_groups_scan_id_duplicate_scans"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_groups")),
    )
    op.create_index("ix_duplicate_groups_scan_strength", "duplicate_groups",
                    ["scan_id", "strength", "id"], unique=False)
    op.create_table(
        "consent_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("source IN ('form', 'import', 'merge', 'erasure')",
                           name=op.f("ck_consent_changes_source_valid")),
        sa.ForeignKeyConstraint(["actor_id"], ["admin_users.id"],
                                name=op.f("fk_consent_changes_actor_id_admin_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_consent_changes_customer_id_customers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_changes")),
    )
    op.create_index("ix_consent_changes_customer_id_at", "consent_changes",
                    ["customer_id", "at"], unique=False)
    op.create_table(
        "duplicate_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("guest_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("(customer_id IS NULL) <> (guest_id IS NULL)",
                           name=op.f("ck_duplicate_members_customer_or_guest")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_duplicate_members_customer_id_customers"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["duplicate_groups.id"],
                                name=op.f("fk_duplicate_members_group_id_duplicate_groups"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["guest_id"], ["guests.id"],
                                name=op.f("fk_duplicate_members_guest_id_guests"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_members")),
    )
    for column in ("customer_id", "group_id", "guest_id"):
        op.create_index(op.f(f"ix_duplicate_members_{column}"), "duplicate_members", [column],
                        unique=False)

    for table in ("customers", "guests"):
        op.add_column(table, sa.Column("email_key", sa.String(length=254), nullable=True))
        _fill_email_keys(table)
        op.create_index(op.f(f"ix_{table}_email_key"), table, ["email_key"], unique=False)
    # Plain columns, no foreign keys: see the models (SQLite would rebuild customers).
    op.add_column("customers", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.create_index("ix_customers_merged_into_id", "customers", ["merged_into_id"],
                    sqlite_where=sa.text("merged_into_id IS NOT NULL"),
                    postgresql_where=sa.text("merged_into_id IS NOT NULL"))
    # Lists leave tombstones out: their sort indexes hold merged_into_id too, so that
    # a deep page is still read from the index alone.
    for name, columns in SORT_INDEXES.items():
        op.drop_index(name, table_name="customers")
        op.create_index(name, "customers", [*columns, "merged_into_id"])
    op.add_column("customers", sa.Column("merged_at", sa.DateTime(), nullable=True))
    op.add_column("customers", sa.Column("erased_at", sa.DateTime(), nullable=True))
    op.add_column("guests", sa.Column("customer_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_guests_customer_id"), "guests", ["customer_id"])
    op.add_column("guests", sa.Column("converted_at", sa.DateTime(), nullable=True))

    op.create_index("ix_import_changes_record_id", "import_changes", ["record_id"])

    _swap_check("wallet_transactions", "kind_valid", _in("kind", OLD_WALLET_KINDS),
                _in("kind", NEW_WALLET_KINDS))
    _swap_check("wallet_transactions", "amount_not_zero", "amount_minor <> 0",
                "amount_minor <> 0 OR kind = 'owner_change'")
    _swap_check("loyalty_transactions", "kind_valid", _in("kind", OLD_LOYALTY_KINDS),
                _in("kind", NEW_LOYALTY_KINDS))
    _swap_check("audit_events", "action_valid", _in("action", OLD_AUDIT_ACTIONS),
                _in("action", NEW_AUDIT_ACTIONS))


def downgrade():
    # Rows only the new values allow would break the old checks: the ledger keeps
    # them, so a database that has merged customers cannot go back.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM wallet_transactions WHERE kind = 'owner_change' "
                            "UNION ALL SELECT 1 FROM loyalty_transactions WHERE kind = 'merge'"
                            )).first():
        raise RuntimeError("Customers were merged: the ledger holds movements the previous "
                           "version cannot store.")
    op.execute(f"DELETE FROM audit_events WHERE action IN "
               f"({', '.join(repr(a) for a in NEW_AUDIT_ACTIONS[len(OLD_AUDIT_ACTIONS):])})")
    _swap_check("audit_events", "action_valid", "", _in("action", OLD_AUDIT_ACTIONS))
    _swap_check("loyalty_transactions", "kind_valid", "", _in("kind", OLD_LOYALTY_KINDS))
    _swap_check("wallet_transactions", "amount_not_zero", "", "amount_minor <> 0")
    _swap_check("wallet_transactions", "kind_valid", "", _in("kind", OLD_WALLET_KINDS))
    op.drop_index("ix_import_changes_record_id", table_name="import_changes")
    for column in ("customer_id", "email_key"):
        op.drop_index(op.f(f"ix_guests_{column}"), table_name="guests")
    for column in ("converted_at", "customer_id", "email_key"):
        op.drop_column("guests", column)
    for name, columns in SORT_INDEXES.items():
        op.drop_index(name, table_name="customers")
        op.create_index(name, "customers", columns)
    for column in ("merged_into_id", "email_key"):
        op.drop_index(op.f(f"ix_customers_{column}"), table_name="customers")
    for column in ("erased_at", "merged_at", "merged_into_id", "email_key"):
        op.drop_column("customers", column)
    op.drop_table("duplicate_members")
    op.drop_table("consent_changes")
    op.drop_table("duplicate_groups")
    op.drop_table("duplicate_scans")
