"""typed inbound content: stored messages and referrals in Niaga's own terms

Inbound messages stored before this kept Meta's object of their type (plus a few keys of
Niaga's own) in ``messages.content``, and Meta's raw referral in ``messages.referral`` and
``conversations.last_referral``. They are rewritten as the tagged content structs of
``niaga.channels.content``, converted by the WhatsApp adapter that reads new webhooks, so old
and new messages render the same. Rows already converted (they carry ``kind``) are left alone,
so the upgrade can be run again after an interruption.

The downgrade leaves the rows as they are: the typed shape keeps what the inbox shows, not
every key Meta sent (each message's raw webhook stays in the stored webhooks while kept).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:30:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from niaga.channels.content import dump, dump_referral
from niaga.channels.whatsapp.inbound_content import from_stored, referral_from_stored
from niaga.core.db import JSONType

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

messages = sa.table(
    "messages",
    sa.column("id", sa.Integer),
    sa.column("direction", sa.String),
    sa.column("type", sa.String),
    sa.column("content", JSONType),
    sa.column("referral", JSONType),
)
conversations = sa.table(
    "conversations",
    sa.column("id", sa.Integer),
    sa.column("last_referral", JSONType),
)


def _referral(stored: Any) -> Any:
    """The typed referral of a stored raw one (the same object when there is nothing to do)."""
    if not isinstance(stored, dict) or "source_kind" in stored or "source_ref" in stored:
        return stored
    return dump_referral(referral_from_stored(stored)) or stored


def upgrade() -> None:
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(messages.c.id, messages.c.type, messages.c.content, messages.c.referral)
            .where(messages.c.direction == "in", messages.c.id > last)
            .order_by(messages.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        contents, referrals = [], []
        for row in rows:
            content = row.content if isinstance(row.content, dict) else {}
            if "kind" not in content:
                contents.append({"mid": row.id, "c": dump(from_stored(row.type, content))})
            referral = _referral(row.referral)
            if referral is not row.referral:
                referrals.append({"mid": row.id, "r": referral})
        for values, changes in (({"content": "c"}, contents), ({"referral": "r"}, referrals)):
            if changes:
                bind.execute(
                    sa.update(messages)
                    .where(messages.c.id == sa.bindparam("mid"))
                    .values({k: sa.bindparam(v, type_=JSONType) for k, v in values.items()}),
                    changes,
                )
    convs = bind.execute(
        sa.select(conversations.c.id, conversations.c.last_referral).where(
            conversations.c.last_referral.is_not(None)
        )
    ).all()
    changed = [
        {"cid": c.id, "r": _referral(c.last_referral)}
        for c in convs
        if _referral(c.last_referral) is not c.last_referral
    ]
    if changed:
        bind.execute(
            sa.update(conversations)
            .where(conversations.c.id == sa.bindparam("cid"))
            .values(last_referral=sa.bindparam("r", type_=JSONType)),
            changed,
        )


def downgrade() -> None:
    """Nothing to undo in the schema; the rows keep their typed content (see above)."""
