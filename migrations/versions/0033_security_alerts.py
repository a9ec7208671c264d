"""Security alerts drawn from the audit log, and where the watcher has read up to

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import niaga.core.db

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = niaga.core.db.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "security_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("notified", JSON, nullable=True),
        sa.Column("notified_at", UTC, nullable=True),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("acknowledged_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_alerts")),
        sa.UniqueConstraint("kind", "dedupe_key", name=op.f("uq_security_alerts_kind_dedupe_key")),
    )
    op.create_index(op.f("ix_security_alerts_kind"), "security_alerts", ["kind"])
    op.create_table(
        "security_alert_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_alert_cursor")),
    )


def downgrade() -> None:
    op.drop_table("security_alert_cursor")
    op.drop_table("security_alerts")
