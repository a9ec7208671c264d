"""The encrypted backup file: a streamed AES-256-GCM envelope around a tar archive.

Layout: ``NIAGABK1``, a 4-byte length and a JSON header (format version, how the key is
made, the salt, a key check, a random nonce prefix), then chunks of at most 1 MiB, each a
4-byte length and its ciphertext. Chunk ``i`` is sealed with nonce = prefix + i and the
header's hash, ``i`` and a last-chunk flag as associated data, so a changed, reordered,
dropped or cut-off chunk is refused, and so is a file sealed under another key.

The key is derived from ``NIAGA_BACKUP_PASSPHRASE`` (scrypt, a fresh salt per backup) or,
without one, read from ``data_dir/backup.key`` (made on first use, mode 0600). Keep the
passphrase or that key file somewhere other than the backups: without it they cannot be read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from niaga.core.errors import DomainError

MAGIC = b"NIAGABK1"
CHUNK = 1024 * 1024
MAX_HEADER = 64 * 1024


class BackupRefused(DomainError):
    """A file that is not a Niaga backup this installation can open, or that was damaged."""

    status_code = 400


def _scrypt(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def key_file_key(path: Path) -> bytes:
    """The random backup key in ``path`` (made, 0600, when missing)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
    return base64.urlsafe_b64decode(path.read_text().strip())


def _check(key: bytes) -> str:
    return hmac.new(key, b"niaga-backup-key-check", "sha256").hexdigest()[:16]


class KeySource:
    """Where the backup key comes from: a passphrase, or the key file."""

    def __init__(self, passphrase: str, key_path: Path) -> None:
        self.passphrase = passphrase
        self.key_path = key_path

    def for_sealing(self) -> tuple[bytes, dict[str, Any]]:
        if self.passphrase:
            salt = secrets.token_bytes(16)
            key = _scrypt(self.passphrase, salt)
            info = {"kdf": "scrypt", "salt": base64.b64encode(salt).decode()}
        else:
            key = key_file_key(self.key_path)
            info = {"kdf": "key-file"}
        return key, {**info, "check": _check(key)}

    def for_opening(self, header: dict[str, Any]) -> bytes:
        if header.get("kdf") == "scrypt":
            if not self.passphrase:
                raise BackupRefused(
                    "backup_passphrase_needed",
                    "This backup was sealed with a passphrase: set NIAGA_BACKUP_PASSPHRASE.",
                )
            key = _scrypt(self.passphrase, base64.b64decode(header.get("salt", "")))
        else:
            if not self.key_path.exists():
                raise BackupRefused(
                    "backup_key_missing",
                    "This backup was sealed with a key file; put it at {path}.",
                    path=str(self.key_path),
                )
            key = key_file_key(self.key_path)
        if not hmac.compare_digest(_check(key), str(header.get("check", ""))):
            raise BackupRefused(
                "backup_foreign",
                "This backup was sealed with another key or passphrase (another Niaga?).",
            )
        return key


class SealingWriter:
    """A file-like sink that seals what is written to it, chunk by chunk."""

    def __init__(self, out: IO[bytes], source: KeySource, meta: dict[str, Any]) -> None:
        key, info = source.for_sealing()
        self.prefix = secrets.token_bytes(8)
        header = json.dumps(
            {"version": 1, **info, "nonce": base64.b64encode(self.prefix).decode(), **meta},
            sort_keys=True,
        ).encode()
        out.write(MAGIC + struct.pack(">I", len(header)) + header)
        self.header_hash = hashlib.sha256(header).digest()
        self.aead = AESGCM(key)
        self.out = out
        self.buffer = bytearray()
        self.index = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:
            self._seal(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        nonce = self.prefix + struct.pack(">I", self.index)
        aad = self.header_hash + struct.pack(">I?", self.index, last)
        sealed = self.aead.encrypt(nonce, plain, aad)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.index += 1

    def close(self) -> None:
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()

    def flush(self) -> None:  # tarfile calls it
        return None


def read_header(src: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    """The header of a backup file and its hash; refuses anything else."""
    if src.read(len(MAGIC)) != MAGIC:
        raise BackupRefused("backup_not_niaga", "This file is not a Niaga backup.")
    raw_len = src.read(4)
    if len(raw_len) != 4:
        raise BackupRefused("backup_damaged", "The backup is damaged or cut off.")
    (length,) = struct.unpack(">I", raw_len)
    if not 0 < length <= MAX_HEADER:
        raise BackupRefused("backup_damaged", "The backup is damaged or cut off.")
    raw = src.read(length)
    try:
        header = json.loads(raw)
    except ValueError:
        raise BackupRefused("backup_damaged", "The backup is damaged or cut off.") from None
    if header.get("version") != 1:
        raise BackupRefused(
            "backup_version", "This backup was made by a newer Niaga; upgrade Niaga first."
        )
    return header, hashlib.sha256(raw).digest()


def open_chunks(src: IO[bytes], source: KeySource) -> Iterator[bytes]:
    """The plain bytes of a backup, chunk by chunk; refuses a damaged or foreign file."""
    header, header_hash = read_header(src)
    aead = AESGCM(source.for_opening(header))
    prefix = base64.b64decode(header["nonce"])
    index = 0
    while True:
        raw_len = src.read(4)
        if len(raw_len) != 4:
            raise BackupRefused("backup_damaged", "The backup is damaged or cut off.")
        (length,) = struct.unpack(">I", raw_len)
        sealed = src.read(length)
        if len(sealed) != length or length > CHUNK + 64:
            raise BackupRefused("backup_damaged", "The backup is damaged or cut off.")
        nonce = prefix + struct.pack(">I", index)
        for last in (False, True):
            try:
                plain = aead.decrypt(nonce, sealed, header_hash + struct.pack(">I?", index, last))
                break
            except InvalidTag:
                continue
        else:
            raise BackupRefused("backup_damaged", "The backup is damaged or cut off.")
        yield plain
        index += 1
        if last:
            if src.read(1):
                raise BackupRefused("backup_damaged", "The backup is damaged or cut off.")
            return


class ChunkReader:
    """A file-like view of :func:`open_chunks` for tarfile's stream mode."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            nxt = next(self.chunks, None)
            if nxt is None:
                break
            self.buffer += nxt
        if size < 0:
            out, self.buffer = self.buffer, b""
        else:
            out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out
