"""contact imports: a customer list's dry-run report and rows until the owner confirms

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 02:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import niaga.core.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "contact_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("report", JSON, nullable=False),
        sa.Column("rows", JSON, nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", niaga.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_contact_imports_created_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_imports")),
    )


def downgrade() -> None:
    op.drop_table("contact_imports")
