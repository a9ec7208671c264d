"""click-to-chat links and the chats they started

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 02:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("place", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_links")),
        sa.UniqueConstraint("code", name=op.f("uq_chat_links_code")),
    )
    op.create_table(
        "chat_link_starts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["chat_links.id"],
            name=op.f("fk_chat_link_starts_link_id_chat_links"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_chat_link_starts_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_chat_link_starts_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_link_starts")),
        sa.UniqueConstraint("message_id", name=op.f("uq_chat_link_starts_message_id")),
    )
    op.create_index(
        "ix_chat_link_starts_link_at", "chat_link_starts", ["link_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_chat_link_starts_link_at", table_name="chat_link_starts")
    op.drop_table("chat_link_starts")
    op.drop_table("chat_links")
