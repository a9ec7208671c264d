"""Every secret Niaga keeps encrypted in its database, and re-encrypting them on rotation.

Second-factor secrets live on their users. Credentials (the WhatsApp access token and app
secret, the SMTP password, the GA4 API secret) may be kept here instead of in the
environment (``niaga secrets set``): they are read and decrypted at start, and a value set in
the environment still wins, so an operator can always override the database.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.config import DEFAULT_ACCESS_TOKEN, DEFAULT_APP_SECRET, Settings
from niaga.core.errors import DomainError
from niaga.security import audit, crypto
from niaga.security.models import StoredSecret, User

log = logging.getLogger(__name__)

# The credentials that may be stored, with the value that means "not set in the environment".
STORABLE: dict[str, str] = {
    "wa_access_token": DEFAULT_ACCESS_TOKEN,
    "wa_app_secret": DEFAULT_APP_SECRET,
    "smtp_password": "",
    "ga4_api_secret": "",
}
# (model, column) pairs holding ``crypto.encrypt`` values.
ENCRYPTED = (
    (User, "totp_secret"),
    (User, "totp_pending"),
    (StoredSecret, "value"),
)


def do_store(session: Session, name: str, value: str) -> None:
    """Keep a credential, encrypted (it takes effect when Niaga starts next)."""
    if name not in STORABLE:
        raise DomainError(
            "secret_unknown", "Niaga keeps no secret called {name}.", field="name", name=name
        )
    if not value.strip():
        raise DomainError("secret_empty", "The value is empty.", field="value")
    row = session.get(StoredSecret, name) or StoredSecret(name=name)
    row.value, row.updated_at = crypto.encrypt(value.strip()), clock.now()
    session.add(row)
    audit.record(session, "secrets.stored", target=("secret", name))


def stored_names(session: Session) -> list[tuple[str, Any]]:
    """(name, updated_at) of every stored credential (never the values)."""
    return list(session.execute(select(StoredSecret.name, StoredSecret.updated_at)).tuples())


def apply(settings: Settings, engine: Engine) -> Settings:
    """``settings`` with the stored credentials the environment leaves unset."""
    try:
        with Session(engine) as session:
            rows = list(session.scalars(select(StoredSecret)))
    except DBAPIError:  # not migrated yet: nothing stored
        return settings
    updates = {}
    for row in rows:
        if row.name not in STORABLE or getattr(settings, row.name) != STORABLE[row.name]:
            continue
        try:
            updates[row.name] = crypto.decrypt(row.value)
        except crypto.SecretUnreadable:
            log.error("the stored %s cannot be read: was the encryption key lost?", row.name)
    return settings.model_copy(update=updates) if updates else settings


def do_reencrypt(session: Session) -> int:
    """Encrypt each stored secret again under the newest key; returns how many."""
    ring = crypto.ring()
    count = 0
    for model, name in ENCRYPTED:
        column = getattr(model, name)
        key = inspect(model).primary_key[0]
        for row_id, value in session.execute(select(key, column).where(column.is_not(None))):
            session.execute(
                update(model).where(key == row_id).values({name: ring.reencrypt(value)})
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
