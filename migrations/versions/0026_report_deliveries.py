"""Scheduled reports sent, one row per period and recipient (claimed before sending)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("period_first", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("next_try_at", niaga.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", niaga.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", niaga.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_deliveries")),
        sa.UniqueConstraint(
            "kind",
            "period_first",
            "channel",
            "recipient",
            name=op.f("uq_report_deliveries_kind_period_first_channel_recipient"),
        ),
    )


def downgrade() -> None:
    op.drop_table("report_deliveries")
