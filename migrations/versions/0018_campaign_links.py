"""tracked links in campaigns: the destination, and each recipient's code and clicks

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_url", sa.String(length=2000), nullable=True))
    with op.batch_alter_table("campaign_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_code", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("clicked_at", niaga.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("clicks", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_campaign_recipients_link_code"), ["link_code"]
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_recipients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_campaign_recipients_link_code"), type_="unique")
        batch_op.drop_column("clicks")
        batch_op.drop_column("clicked_at")
        batch_op.drop_column("link_code")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("link_url")
