"""Meta's messaging limit per business number, read through the Graph API

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "messaging_limits",
        sa.Column("phone_number_id", sa.String(length=32), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("limit", sa.Integer(), nullable=True),
        sa.Column("checked_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone_number_id", name=op.f("pk_messaging_limits")),
    )


def downgrade() -> None:
    op.drop_table("messaging_limits")
