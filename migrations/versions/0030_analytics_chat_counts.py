"""Distinct chats as additive daily figures (new in the week, new in the month), an index on
a chat's days, and ended periods' times kept; the rollups are cut again

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 14:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_analytics_chat_days_chat",
        "analytics_chat_days",
        ["conversation_id", "user_id", "day"],
    )
    # The kept periods held distinct chats; they now hold times. The next round of the
    # rollups (the worker's, or ``niaga analytics rebuild``) cuts every day again.
    op.execute("DELETE FROM analytics_period_counts")
    op.execute("DELETE FROM analytics_rollup_state")


def downgrade() -> None:
    op.drop_index("ix_analytics_chat_days_chat", table_name="analytics_chat_days")
    op.execute("DELETE FROM analytics_period_counts")
    op.execute("DELETE FROM analytics_rollup_state")
