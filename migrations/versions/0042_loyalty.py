"""Loyalty: the points ledger (entries and allocations), the program, accounts, rewards,
redemption codes and the guard against guessing them

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import niaga.core.db

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = niaga.core.db.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "loyalty_program",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("tiers", JSON, nullable=False),
        sa.Column("expiry_months", sa.Integer(), nullable=False),
        sa.Column("code_valid_days", sa.Integer(), nullable=False),
        sa.Column("announce_earned", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_table(
        "loyalty_accounts",
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey(
                "contacts.id", name="fk_loyalty_accounts_contact_id_contacts", ondelete="CASCADE"
            ),
            primary_key=True,
        ),
        sa.Column("referral_code", sa.String(16), nullable=False),
        sa.Column(
            "referred_by_contact_id",
            sa.Integer(),
            sa.ForeignKey(
                "contacts.id",
                name="fk_loyalty_accounts_referred_by_contact_id_contacts",
                ondelete="SET NULL",
            ),
            nullable=True,
        ),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("referral_code", name="uq_loyalty_accounts_referral_code"),
    )
    op.create_table(
        "loyalty_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey(
                "contacts.id", name="fk_loyalty_entries_contact_id_contacts", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=True),
        sa.Column("key", sa.String(80), nullable=True),
        sa.Column(
            "order_id",
            sa.Integer(),
            sa.ForeignKey(
                "orders.id", name="fk_loyalty_entries_order_id_orders", ondelete="SET NULL"
            ),
            nullable=True,
        ),
        sa.Column("expires_at", UTC, nullable=True),
        sa.Column(
            "actor_user_id",
            sa.Integer(),
            sa.ForeignKey(
                "users.id", name="fk_loyalty_entries_actor_user_id_users", ondelete="SET NULL"
            ),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("key", name="uq_loyalty_entries_key"),
        sa.CheckConstraint("points <> 0", name=op.f("ck_loyalty_entries_points_not_zero")),
    )
    op.create_index("ix_loyalty_entries_contact", "loyalty_entries", ["contact_id", "id"])
    op.create_index("ix_loyalty_entries_lots", "loyalty_entries", ["expires_at"])
    op.create_index("ix_loyalty_entries_created_at", "loyalty_entries", ["created_at"])
    op.create_table(
        "loyalty_allocations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "debit_id",
            sa.Integer(),
            sa.ForeignKey(
                "loyalty_entries.id",
                name="fk_loyalty_allocations_debit_id_loyalty_entries",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column(
            "lot_id",
            sa.Integer(),
            sa.ForeignKey(
                "loyalty_entries.id",
                name="fk_loyalty_allocations_lot_id_loyalty_entries",
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.CheckConstraint("points > 0", name=op.f("ck_loyalty_allocations_allocation_positive")),
    )
    op.create_index("ix_loyalty_allocations_debit_id", "loyalty_allocations", ["debit_id"])
    op.create_index("ix_loyalty_allocations_lot_id", "loyalty_allocations", ["lot_id"])
    op.create_table(
        "loyalty_rewards",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("description", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column(
            "product_id",
            sa.Integer(),
            sa.ForeignKey(
                "catalog_products.id",
                name="fk_loyalty_rewards_product_id_catalog_products",
                ondelete="SET NULL",
            ),
            nullable=True,
        ),
        sa.Column("cost_points", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_table(
        "loyalty_redemptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey(
                "contacts.id", name="fk_loyalty_redemptions_contact_id_contacts", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column(
            "reward_id",
            sa.Integer(),
            sa.ForeignKey(
                "loyalty_rewards.id", name="fk_loyalty_redemptions_reward_id_loyalty_rewards"
            ),
            nullable=False,
        ),
        sa.Column("code", sa.String(24), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("key", sa.String(80), nullable=True),
        sa.Column(
            "debit_id",
            sa.Integer(),
            sa.ForeignKey(
                "loyalty_entries.id", name="fk_loyalty_redemptions_debit_id_loyalty_entries"
            ),
            nullable=False,
        ),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.Column(
            "used_order_id",
            sa.Integer(),
            sa.ForeignKey(
                "orders.id", name="fk_loyalty_redemptions_used_order_id_orders", ondelete="SET NULL"
            ),
            nullable=True,
        ),
        sa.Column(
            "used_by_user_id",
            sa.Integer(),
            sa.ForeignKey(
                "users.id", name="fk_loyalty_redemptions_used_by_user_id_users", ondelete="SET NULL"
            ),
            nullable=True,
        ),
        sa.Column("discount", sa.Integer(), nullable=False),
        sa.UniqueConstraint("code", name="uq_loyalty_redemptions_code"),
        sa.UniqueConstraint("key", name="uq_loyalty_redemptions_key"),
    )
    op.create_index("ix_loyalty_redemptions_contact_id", "loyalty_redemptions", ["contact_id"])
    op.create_index("ix_loyalty_redemptions_expires_at", "loyalty_redemptions", ["expires_at"])
    op.create_table(
        "loyalty_code_guard",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", UTC, nullable=False),
        sa.Column("locked_until", UTC, nullable=True),
    )


def downgrade() -> None:
    for table in (
        "loyalty_code_guard",
        "loyalty_redemptions",
        "loyalty_rewards",
        "loyalty_allocations",
        "loyalty_entries",
        "loyalty_accounts",
        "loyalty_program",
    ):
        op.drop_table(table)
