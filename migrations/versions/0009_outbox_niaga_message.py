"""the outbox keeps a Niaga message; the channel renders the Graph body when it sends

``outbox.message`` holds the outgoing message as Niaga describes it (its kind and content, a
template with its parameters) and ``reply_to_wamid`` the message it quotes; the channel turns
them into its own request at send time. ``body`` (a Graph body rendered at enqueue time) stays
for messages queued before this revision, which are still sent as they are; mark-as-read rows
not yet sent get their ``message`` (``{"wamid": …}``) here.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message", JSON, nullable=True))
        batch_op.add_column(sa.Column("reply_to_wamid", sa.String(length=256), nullable=True))
        batch_op.alter_column("body", existing_type=JSON, nullable=True)
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("state", sa.String),
        sa.column("body", JSON),
        sa.column("message", JSON),
    )
    bind = op.get_bind()
    reads = bind.execute(
        sa.select(outbox.c.id, outbox.c.body).where(
            outbox.c.kind == "mark_read", outbox.c.state != "sent"
        )
    ).all()
    changes = [
        {"oid": r.id, "m": {"wamid": r.body["message_id"]}}
        for r in reads
        if isinstance(r.body, dict) and r.body.get("message_id")
    ]
    if changes:
        bind.execute(
            sa.update(outbox)
            .where(outbox.c.id == sa.bindparam("oid"))
            .values(message=sa.bindparam("m", type_=JSON)),
            changes,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("reply_to_wamid")
        batch_op.drop_column("message")
