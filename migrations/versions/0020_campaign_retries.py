"""campaigns: sending again after Meta's per-customer marketing limit (131049)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retry_limited", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("campaign_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("campaign_recipients", schema=None) as batch_op:
        batch_op.drop_column("attempt")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("retry_limited")
