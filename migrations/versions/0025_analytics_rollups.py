"""Daily rollups for the reports (figures per local day, active chats per day, where the
rollups stand) and the time indexes they and the exports read by

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_messages_created", "messages", ["created_at"]),
    ("ix_orders_created", "orders", ["created_at"]),
    ("ix_orders_updated", "orders", ["updated_at"]),
    ("ix_campaign_recipients_sent", "campaign_recipients", ["sent_at"]),
    ("ix_csat_surveys_answered", "csat_surveys", ["answered_at"]),
    ("ix_response_samples_created", "response_samples", ["created_at"]),
)


def upgrade() -> None:
    op.create_table(
        "analytics_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "metric", "key", name=op.f("pk_analytics_daily")),
    )
    op.create_table(
        "analytics_chat_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("conversation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "user_id", "conversation_id", name=op.f("pk_analytics_chat_days")
        ),
    )
    op.create_table(
        "analytics_rollup_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("status_event_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "orders_changed_at", niaga.core.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("settled_at", niaga.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", niaga.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rollup_state")),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("analytics_rollup_state")
    op.drop_table("analytics_chat_days")
    op.drop_table("analytics_daily")
