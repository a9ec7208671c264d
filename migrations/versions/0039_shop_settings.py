"""Shop settings pages: the acknowledgement's own text, holiday names, the profile photo

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("business_profile") as batch:
        batch.add_column(sa.Column("ack_text", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("holiday_names", JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("photo_file", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("photo_synced_file", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("business_profile") as batch:
        batch.drop_column("photo_synced_file")
        batch.drop_column("photo_file")
        batch.drop_column("holiday_names")
        batch.drop_column("ack_text")
