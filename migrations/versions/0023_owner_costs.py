"""What the owner spends besides Meta's charges (ads, staff), for the return on investment

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 05:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "owner_costs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_owner_costs_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_costs")),
    )
    op.create_index("ix_owner_costs_spent_on", "owner_costs", ["spent_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_owner_costs_spent_on", table_name="owner_costs")
    op.drop_table("owner_costs")
