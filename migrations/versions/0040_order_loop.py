"""The order loop: estimated arrival, and the owner's order settings (confirmation, labels by
status, delivery days)

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import niaga.core.db

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = niaga.core.db.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("estimated_arrival", sa.Date(), nullable=True))
    op.create_table(
        "order_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("confirm_new_orders", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("label_by_status", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("delivery_days", sa.Integer(), nullable=False, server_default="3"),
        sa.Column("courier_days", JSON, nullable=False, server_default="{}"),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("order_settings")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("estimated_arrival")
