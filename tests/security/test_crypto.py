"""Secrets at rest: the key ring, the key file, rotation by ``niaga secrets rotate`` and the
second factor reset from the command line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from niaga.core.db import transaction
from niaga.security import crypto, two_factor
from niaga.security.models import AuditEntry, User
from tests.test_cli import ROOT
from tests.web.web_helpers import make_user


@pytest.fixture(autouse=True)
def keep_key_ring() -> Any:
    """These tests point the process's key ring elsewhere; the live server's comes back."""
    saved = crypto._ring, crypto._source
    yield
    crypto._ring, crypto._source = saved


def test_a_key_file_is_made_private_and_a_rotation_keeps_old_secrets_readable(
    tmp_path: Path,
) -> None:
    ring = crypto.KeyRing.from_settings("", tmp_path)
    path = tmp_path / "encryption.keys"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    old = ring.encrypt("JBSWY3DPEHPK3PXP")
    assert old.startswith("enc1:") and "JBSWY3DP" not in old
    crypto.add_key(path)
    rotated = crypto.KeyRing.from_settings("", tmp_path)
    assert rotated.decrypt(old) == "JBSWY3DPEHPK3PXP"  # the old key still opens it
    again = rotated.reencrypt(old)
    assert again != old and rotated.decrypt(again) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(Exception):  # noqa: B017 - the old ring alone cannot read it
        ring.decrypt(again)


def test_keys_from_the_environment_take_precedence(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    ring = crypto.KeyRing.from_settings(f" {key} ,", tmp_path)
    assert ring.keys == [key] and not (tmp_path / "encryption.keys").exists()
    with pytest.raises(crypto.SecretUnreadable):
        ring.decrypt("not-encrypted")


def test_a_process_reads_the_key_file_again_after_another_rotated(tmp_path: Path) -> None:
    crypto.configure("", tmp_path)
    first = crypto.encrypt("rahasia")
    path = tmp_path / "encryption.keys"
    crypto.add_key(path)  # "another process" rotates and re-encrypts
    newer = crypto.KeyRing(crypto.read_key_file(path), path).reencrypt(first)
    assert crypto.decrypt(newer) == "rahasia"


def run(database_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NIAGA_DATABASE_URL": database_url,
        "NIAGA_DATA_DIR": str(data_dir),
        "NIAGA_LOG_LEVEL": "warning",
    }
    env.pop("NIAGA_ENCRYPTION_KEYS", None)
    return subprocess.run(
        [sys.executable, "-m", "niaga", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_rotate_and_reset_from_the_command_line(
    database_url: str, factory: Any, tmp_path: Path
) -> None:
    crypto.configure("", tmp_path)
    uid = make_user(factory, "owner")
    with transaction(factory) as s:
        user = s.get(User, uid)
        secret, _ = two_factor.do_begin(s, user, "Niaga")
        two_factor.do_confirm(s, user, two_factor.current_code(secret))
    with factory() as s:
        before = s.get(User, uid).totp_secret
    r = run(database_url, tmp_path, "secrets", "rotate")
    assert r.returncode == 0, r.stderr
    assert "1 secrets encrypted again" in r.stderr
    keys = crypto.read_key_file(tmp_path / "encryption.keys")
    assert len(keys) == 2
    with factory() as s:
        after = s.get(User, uid).totp_secret
    assert after != before
    assert crypto.KeyRing(keys[:1]).decrypt(after) == secret  # the newest key alone
    r = run(database_url, tmp_path, "user", "reset-2fa", "owner@toko.test")
    assert r.returncode == 0, r.stderr
    with factory() as s:
        assert s.get(User, uid).totp_secret is None
        kinds = list(s.scalars(select(AuditEntry.kind).order_by(AuditEntry.id)))
        via = s.scalars(select(AuditEntry.via).where(AuditEntry.kind == "secrets.rotated")).one()
    assert kinds[-2:] == ["secrets.rotated", "2fa.disabled"] and via == "cli"
    missing = run(database_url, tmp_path, "user", "reset-2fa", "siapa@toko.test")
    assert missing.returncode == 2 and "No user" in missing.stderr


def test_credentials_kept_encrypted_in_the_database_are_used_at_start(
    database_url: str, factory: Any, tmp_path: Path
) -> None:
    from sqlalchemy import text

    from niaga.core.db import make_engine
    from niaga.security import secrets_at_rest
    from tests.conftest import free_port, make_settings

    r = run(database_url, tmp_path, "secrets", "set", "wa_app_secret", "--value", "rahasia-meta-1")
    assert r.returncode == 0, r.stderr
    bad = run(database_url, tmp_path, "secrets", "set", "kata_sandi_lain", "--value", "x")
    assert bad.returncode == 2 and "no secret called" in bad.stderr
    listed = run(database_url, tmp_path, "secrets", "list")
    assert listed.stdout.startswith("wa_app_secret\t") and "rahasia" not in listed.stdout
    with factory() as s:
        raw = s.execute(text("SELECT value FROM stored_secrets")).scalar_one()
    assert raw.startswith("enc1:") and "rahasia-meta-1" not in raw
    crypto.configure("", tmp_path)  # the key file the command used
    settings = make_settings(database_url, free_port(), data_dir=tmp_path)
    engine = make_engine(database_url)
    try:
        assert secrets_at_rest.apply(settings, engine).wa_app_secret == "rahasia-meta-1"
        # A value set in the environment wins over the stored one.
        own = settings.model_copy(update={"wa_app_secret": "dari-lingkungan"})
        assert secrets_at_rest.apply(own, engine).wa_app_secret == "dari-lingkungan"
        # Rotation re-seals it too, and it still reads.
        assert run(database_url, tmp_path, "secrets", "rotate").returncode == 0
        crypto.configure("", tmp_path)
        assert secrets_at_rest.apply(settings, engine).wa_app_secret == "rahasia-meta-1"
        with factory() as s:
            assert s.execute(text("SELECT value FROM stored_secrets")).scalar_one() != raw
    finally:
        engine.dispose()
