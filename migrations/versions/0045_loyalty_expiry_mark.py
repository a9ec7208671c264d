"""Loyalty: how far expiry has gone, so the hourly pass reads only the lots due since

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("loyalty_program") as batch:
        batch.add_column(
            sa.Column("expired_through", niaga.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("loyalty_program") as batch:
        batch.drop_column("expired_through")
