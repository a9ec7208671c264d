"""What each product's copy in Meta's commerce catalog holds, and Meta's last word on it

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = niaga.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "meta_catalog_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sku", sa.String(length=100), nullable=False, unique=True),
        sa.Column("synced_hash", sa.String(length=64), nullable=True),
        sa.Column("tried_hash", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("synced_at", UTC, nullable=True),
        sa.Column("tried_at", UTC, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("meta_catalog_items")
