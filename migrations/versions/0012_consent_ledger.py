"""consent ledger: every grant and withdrawal per contact and purpose, with source and proof

Contacts already opted out of marketing (Meta's user_preferences webhook, before the ledger)
get an entry saying so, so their state is the same with the ledger as without it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("proof", sa.Text(), nullable=True),
        sa.Column("message_wamid", sa.String(length=256), nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_consent_events_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_user_id"],
            ["users.id"],
            name=op.f("fk_consent_events_recorded_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    op.create_index(
        "ix_consent_events_contact_purpose_at",
        "consent_events",
        ["contact_id", "purpose", "at"],
        unique=False,
    )
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.Integer),
        sa.column("marketing_opt_out", sa.Boolean),
        sa.column("marketing_opt_out_at", niaga.core.db.UTCDateTime(timezone=True)),
        sa.column("updated_at", niaga.core.db.UTCDateTime(timezone=True)),
    )
    consent = sa.table(
        "consent_events",
        sa.column("contact_id", sa.Integer),
        sa.column("purpose", sa.String),
        sa.column("granted", sa.Boolean),
        sa.column("source", sa.String),
        sa.column("proof", sa.Text),
        sa.column("at", niaga.core.db.UTCDateTime(timezone=True)),
    )
    op.execute(
        consent.insert().from_select(
            ["contact_id", "purpose", "granted", "source", "proof", "at"],
            sa.select(
                contacts.c.id,
                sa.literal("marketing"),
                sa.false(),
                sa.literal("whatsapp"),
                sa.literal("opted out before the consent ledger"),
                sa.func.coalesce(contacts.c.marketing_opt_out_at, contacts.c.updated_at),
            ).where(contacts.c.marketing_opt_out.is_(True)),
        )
    )


def downgrade() -> None:
    op.drop_index("ix_consent_events_contact_purpose_at", table_name="consent_events")
    op.drop_table("consent_events")
