"""Every secret Niaga keeps encrypted in its database, and re-encrypting them on rotation."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from niaga.security import audit, crypto
from niaga.security.models import User

# (model, column) pairs holding ``crypto.encrypt`` values.
ENCRYPTED = ((User, "totp_secret"), (User, "totp_pending"))


def do_reencrypt(session: Session) -> int:
    """Encrypt each stored secret again under the newest key; returns how many."""
    ring = crypto.ring()
    count = 0
    for model, name in ENCRYPTED:
        column = getattr(model, name)
        for row_id, value in session.execute(select(model.id, column).where(column.is_not(None))):
            session.execute(
                update(model).where(model.id == row_id).values({name: ring.reencrypt(value)})
            )
            count += 1
    audit.record(session, "secrets.rotated", details={"secrets": count})
    return count


def do_rotate_key(session: Session) -> int:
    """A new key in front of the key file (when the keys live there) and every stored secret
    sealed again with it; with keys from the environment, sealed again with the newest."""
    ring = crypto.ring()
    if ring.path is not None:
        crypto.add_key(ring.path)
        crypto.use(crypto.KeyRing(crypto.read_key_file(ring.path), ring.path))
    return do_reencrypt(session)
