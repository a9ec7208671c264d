"""Meta's rate card as data (per calling code and category), seeded with marked estimates

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 03:20:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import niaga.core.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept here (not imported) so the migration stays what it was when written.
SEED = (
    ("62", "marketing", "USD", 0.0411),
    ("62", "utility", "USD", 0.02),
    ("62", "authentication", "USD", 0.03),
    ("*", "marketing", "USD", 0.0411),
    ("*", "utility", "USD", 0.02),
    ("*", "authentication", "USD", 0.03),
)
SOURCE = "estimate (2024 figures for Indonesia); copy Meta's current rate card"


def upgrade() -> None:
    table = op.create_table(
        "pricing_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=4), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("created_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", niaga.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_rates")),
        sa.UniqueConstraint(
            "country_code", "category", name=op.f("uq_pricing_rates_country_code_category")
        ),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        table,
        [
            {
                "country_code": country,
                "category": category,
                "currency": currency,
                "rate": rate,
                "source": SOURCE,
                "created_at": now,
                "updated_at": now,
            }
            for country, category, currency, rate in SEED
        ],
    )


def downgrade() -> None:
    op.drop_table("pricing_rates")
