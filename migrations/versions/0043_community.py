"""Community: customer groups and members, polls and votes; campaigns get a content kind and a
poll; the seeded "loyal customers" rule joins the real group instead of promising one

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-08 00:00:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import niaga.core.db

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = niaga.core.db.UTCDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

OLD_LOYAL_TEXT = (
    "Terima kasih sudah setia berbelanja, {name}! Anda kami undang ke "
    "grup pelanggan setia {business} untuk penawaran eksklusif."
)
NEW_LOYAL_ACTIONS = [{"type": "add_to_group", "group": "Pelanggan Setia"}]


def upgrade() -> None:
    op.create_table(
        "community_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("join_rule", JSON, nullable=False),
        sa.Column("welcome_text", sa.Text(), nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.UniqueConstraint("name", name=op.f("uq_community_groups_name")),
    )
    op.create_table(
        "community_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey(
                "community_groups.id",
                name=op.f("fk_community_members_group_id_community_groups"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey(
                "contacts.id",
                name=op.f("fk_community_members_contact_id_contacts"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("joined_at", UTC, nullable=False),
        sa.Column("left_at", UTC, nullable=True),
        sa.UniqueConstraint("group_id", "contact_id", name=op.f("uq_community_members_group_id_contact_id")),
    )
    op.create_index("ix_community_members_contact", "community_members", ["contact_id"])
    op.create_table(
        "community_polls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("question", sa.String(1024), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("template_name", sa.String(512), nullable=False),
        sa.Column("share_results", sa.Boolean(), nullable=False),
        sa.Column("closes_at", UTC, nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
    )
    op.create_table(
        "community_poll_votes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "poll_id",
            sa.Integer(),
            sa.ForeignKey(
                "community_polls.id",
                name=op.f("fk_community_poll_votes_poll_id_community_polls"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey(
                "contacts.id",
                name=op.f("fk_community_poll_votes_contact_id_contacts"),
                ondelete="CASCADE",
            ),
            nullable=False,
        ),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.Column(
            "message_id",
            sa.Integer(),
            sa.ForeignKey(
                "messages.id",
                name=op.f("fk_community_poll_votes_message_id_messages"),
                ondelete="SET NULL",
            ),
            nullable=True,
        ),
        sa.Column("voted_at", UTC, nullable=False),
        sa.Column("told_at", UTC, nullable=True),
        sa.UniqueConstraint("poll_id", "contact_id", name=op.f("uq_community_poll_votes_poll_id_contact_id")),
    )
    op.create_index("ix_community_poll_votes_poll_id", "community_poll_votes", ["poll_id"])
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="broadcast")
        )
        batch.add_column(sa.Column("poll_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_campaigns_poll_id_community_polls"),
            "community_polls",
            ["poll_id"],
            ["id"],
            ondelete="SET NULL",
        )
    # The seeded rule promised an invitation to a group that did not exist: it now joins the
    # real group (whose welcome says so). A rule the owner changed is left as it is.
    rules = sa.table(
        "automation_rules",
        sa.column("id", sa.Integer()),
        sa.column("seed_key", sa.String()),
        sa.column("name", sa.String()),
        sa.column("actions", JSON),
    )
    conn = op.get_bind()
    for row in conn.execute(
        sa.select(rules.c.id, rules.c.actions).where(rules.c.seed_key == "loyal")
    ):
        actions = row.actions if not isinstance(row.actions, str) else json.loads(row.actions)
        texts = [a.get("text") for a in actions or [] if a.get("type") == "send_text"]
        if texts == [OLD_LOYAL_TEXT]:
            conn.execute(
                rules.update()
                .where(rules.c.id == row.id)
                .values(actions=NEW_LOYAL_ACTIONS, name="Pelanggan setia: masuk grup")
            )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_constraint(op.f("fk_campaigns_poll_id_community_polls"), type_="foreignkey")
        batch.drop_column("poll_id")
        batch.drop_column("kind")
    op.drop_table("community_poll_votes")
    op.drop_table("community_polls")
    op.drop_table("community_members")
    op.drop_table("community_groups")
