"""The sensitive-data guard's settings in the security policy

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("security_policy") as batch:
        batch.add_column(
            sa.Column("guard_outgoing", sa.String(length=8), nullable=False, server_default="warn")
        )
        batch.add_column(
            sa.Column(
                "guard_mask_inbound", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("guard_allowed", JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("security_policy") as batch:
        batch.drop_column("guard_allowed")
        batch.drop_column("guard_mask_inbound")
        batch.drop_column("guard_outgoing")
