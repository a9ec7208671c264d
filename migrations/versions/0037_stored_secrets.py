"""Credentials kept encrypted in the database (access token, app secret, SMTP password)

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=4000), nullable=False),
        sa.Column("updated_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stored_secrets")),
    )


def downgrade() -> None:
    op.drop_table("stored_secrets")
