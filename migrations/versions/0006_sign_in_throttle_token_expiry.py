"""sign-in throttle, API token expiry

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:10:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_failure_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", niaga.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttles")),
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("expires_at", niaga.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    # Tokens made before expiry existed live 90 more days from the upgrade, not forever.
    tokens = sa.table(
        "api_tokens",
        sa.column("expires_at", niaga.core.db.UTCDateTime(timezone=True)),
        sa.column("revoked_at", niaga.core.db.UTCDateTime(timezone=True)),
    )
    op.execute(
        tokens.update()
        .where(tokens.c.expires_at.is_(None), tokens.c.revoked_at.is_(None))
        .values(expires_at=datetime.now(UTC) + timedelta(days=90))
    )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
    op.drop_table("sign_in_throttles")
