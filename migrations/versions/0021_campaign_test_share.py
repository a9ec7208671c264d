"""A/B tests on a share of the audience first, the winner to the rest

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("test_share", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("winner_after_hours", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("winner_label", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("winner_label")
        batch_op.drop_column("winner_after_hours")
        batch_op.drop_column("test_share")
