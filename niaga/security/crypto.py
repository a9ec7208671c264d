"""Secrets at rest: Fernet (AES-128-CBC with HMAC-SHA256) under a key ring that rotates.

The keys come from ``NIAGA_ENCRYPTION_KEYS`` (comma-separated, newest first) or, when that is
empty, from ``data_dir/encryption.keys`` (one key per line, newest first), made with one fresh
key and mode 0600 on first use. Encryption uses the newest key; decryption tries each, so a
rotation (``niaga secrets rotate``: a new key in front, every stored secret encrypted again
with it) never locks anyone out, and the old key can be dropped afterwards. A process that
meets a secret it cannot read reads the key file again once (another process rotated).

Keep the key out of the database's backups: whoever has both can read the secrets.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "enc1:"
_lock = threading.Lock()
_ring: KeyRing | None = None
_source: tuple[str, Path] | None = None


class SecretUnreadable(RuntimeError):
    """A stored secret none of the keys opens (a key was lost or the value was changed)."""


class KeyRing:
    """The encryption keys of this Niaga, newest first."""

    def __init__(self, keys: list[str], path: Path | None = None) -> None:
        if not keys:
            raise ValueError("no encryption key")
        self.keys = keys
        self.path = path
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    @classmethod
    def from_settings(cls, encryption_keys: str, data_dir: Path) -> KeyRing:
        """From ``NIAGA_ENCRYPTION_KEYS``, else the key file (made when missing)."""
        given = [k.strip() for k in encryption_keys.split(",") if k.strip()]
        if given:
            return cls(given)
        path = data_dir / "encryption.keys"
        return cls(read_key_file(path, create=True), path)

    def encrypt(self, plain: str) -> str:
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            raise SecretUnreadable("not an encrypted value")
        return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()

    def reencrypt(self, stored: str) -> str:
        """The same secret under the newest key."""
        return PREFIX + self._fernet.rotate(stored.removeprefix(PREFIX).encode()).decode()


def read_key_file(path: Path, *, create: bool = False) -> list[str]:
    """The keys in ``path`` (newest first), making it with one fresh key when asked."""
    if not path.exists() and create:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(Fernet.generate_key().decode() + "\n")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def add_key(path: Path) -> str:
    """Put a fresh key in front of the key file; returns it."""
    key = Fernet.generate_key().decode()
    keys = read_key_file(path, create=False) if path.exists() else []
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join([key, *keys]) + "\n")
    tmp.replace(path)
    return key


def use(ring: KeyRing) -> None:
    """Encrypt and decrypt with ``ring`` in this process."""
    global _ring
    with _lock:
        _ring = ring


def configure(encryption_keys: str, data_dir: Path) -> None:
    """Use the key ring the settings name (read, or the key file made, at first use)."""
    global _ring, _source
    with _lock:
        _ring, _source = None, (encryption_keys, data_dir)


def ring() -> KeyRing:
    """This process's key ring (from the environment's settings when none was given)."""
    global _ring
    with _lock:
        if _ring is None:
            if _source is None:
                from niaga.core.config import get_settings

                settings = get_settings()
                keys, data_dir = settings.encryption_keys, settings.data_dir
            else:
                keys, data_dir = _source
            _ring = KeyRing.from_settings(keys, data_dir)
        return _ring


def encrypt(plain: str) -> str:
    """``plain`` encrypted under the newest key (``enc1:…``)."""
    return ring().encrypt(plain)


def decrypt(stored: str) -> str:
    """The secret in ``stored``; reads the key file again once if no key opens it."""
    current = ring()
    try:
        return current.decrypt(stored)
    except InvalidToken:
        if current.path is None:
            raise SecretUnreadable("no encryption key opens this secret") from None
    fresh = KeyRing(read_key_file(current.path), current.path)
    try:
        plain = fresh.decrypt(stored)
    except InvalidToken:
        raise SecretUnreadable("no encryption key opens this secret") from None
    use(fresh)
    return plain
