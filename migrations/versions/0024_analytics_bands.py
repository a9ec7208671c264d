"""The business's own bands for the dashboard's rates (the guide's when none is kept)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 05:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_bands",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("good", sa.Float(), nullable=False),
        sa.Column("poor", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_analytics_bands")),
    )


def downgrade() -> None:
    op.drop_table("analytics_bands")
