"""First responses' waits per local day, in clock and business time; where each day's chats
came from; resolution times; distinct chats of ended
weeks and months (rolled up)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_waits",
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("business_seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["response_samples.id"],
            name=op.f("fk_analytics_waits_sample_id_response_samples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sample_id", name=op.f("pk_analytics_waits")),
    )
    op.create_index("ix_analytics_waits_day", "analytics_waits", ["day"])
    op.create_table(
        "analytics_resolutions",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("business_seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["conversation_activities.id"],
            name=op.f("fk_analytics_resolutions_activity_id_conversation_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_analytics_resolutions")),
    )
    op.create_index("ix_analytics_resolutions_day", "analytics_resolutions", ["day"])
    op.create_table(
        "analytics_period_counts",
        sa.Column("first", sa.Date(), nullable=False),
        sa.Column("last", sa.Date(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "first", "last", "metric", "key", name=op.f("pk_analytics_period_counts")
        ),
    )
    with op.batch_alter_table("analytics_chat_days") as batch:
        batch.add_column(
            sa.Column("source", sa.String(length=24), nullable=False, server_default="")
        )
    # The rollups are cut again with the waits (the next round starts from the first day).
    op.execute("DELETE FROM analytics_rollup_state")


def downgrade() -> None:
    op.drop_table("analytics_period_counts")
    op.drop_index("ix_analytics_resolutions_day", table_name="analytics_resolutions")
    op.drop_table("analytics_resolutions")
    with op.batch_alter_table("analytics_chat_days") as batch:
        batch.drop_column("source")
    op.drop_index("ix_analytics_waits_day", table_name="analytics_waits")
    op.drop_table("analytics_waits")
