"""Incidents: a suspected breach's window, suspects, the five steps and the drafted notices

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import niaga.core.db

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = niaga.core.db.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("opened_at", UTC, nullable=False),
        sa.Column("opened_by_user_id", sa.Integer(), nullable=True),
        sa.Column("window_from", UTC, nullable=False),
        sa.Column("window_to", UTC, nullable=True),
        sa.Column("suspects", JSON, nullable=False),
        sa.Column("steps", JSON, nullable=False),
        sa.Column("customer_notice", sa.Text(), nullable=True),
        sa.Column("authority_report", sa.Text(), nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )


def downgrade() -> None:
    op.drop_table("incidents")
