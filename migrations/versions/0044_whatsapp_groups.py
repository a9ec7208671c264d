"""Real WhatsApp groups for small customer groups (Meta's Groups API): the group's request,
id, invite link and Meta's refusal; each member's invitation, joining and removal

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-08 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0044"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = niaga.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("community_groups") as batch:
        batch.add_column(sa.Column("wa_request_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("wa_group_id", sa.String(128), nullable=True))
        batch.add_column(sa.Column("invite_link", sa.String(256), nullable=True))
        batch.add_column(sa.Column("wa_error", sa.Text(), nullable=True))
    op.create_index(
        "ix_community_groups_wa_request_id", "community_groups", ["wa_request_id"]
    )
    with op.batch_alter_table("community_members") as batch:
        batch.add_column(sa.Column("invited_at", UTC, nullable=True))
        batch.add_column(sa.Column("wa_joined_at", UTC, nullable=True))
        batch.add_column(sa.Column("wa_removed_at", UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("community_members") as batch:
        batch.drop_column("wa_removed_at")
        batch.drop_column("wa_joined_at")
        batch.drop_column("invited_at")
    op.drop_index("ix_community_groups_wa_request_id", "community_groups")
    with op.batch_alter_table("community_groups") as batch:
        batch.drop_column("wa_error")
        batch.drop_column("invite_link")
        batch.drop_column("wa_group_id")
        batch.drop_column("wa_request_id")
