"""Privacy: erased customers, privacy requests answered, retention periods, the notice

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import niaga.core.db

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = niaga.core.db.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("erased_at", UTC, nullable=True))
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("completed_at", UTC, nullable=True),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("summary", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
    )
    op.create_index(op.f("ix_privacy_requests_contact_id"), "privacy_requests", ["contact_id"])
    op.create_table(
        "retention_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("raw_webhook_days", sa.Integer(), nullable=True),
        sa.Column("sent_payload_days", sa.Integer(), nullable=True),
        sa.Column("message_content_days", sa.Integer(), nullable=True),
        sa.Column("inactive_customer_days", sa.Integer(), nullable=True),
        sa.Column("message_cursor", sa.Integer(), nullable=False),
        sa.Column("last_purge_at", UTC, nullable=True),
        sa.Column("last_purge", JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_policy")),
    )
    op.create_table(
        "privacy_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_notice")),
    )


def downgrade() -> None:
    op.drop_table("privacy_notice")
    op.drop_table("retention_policy")
    op.drop_table("privacy_requests")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("erased_at")
