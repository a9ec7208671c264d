"""The ``niaga`` command line, run as a real subprocess against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from niaga.security.models import ApiToken, User
from niaga.security.passwords import verify_password
from niaga.security.tokens import hash_token

ROOT = Path(__file__).resolve().parents[1]


def niaga(
    database_url: str, *args: str, input_: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NIAGA_DATABASE_URL": database_url, "NIAGA_LOG_LEVEL": "warning"}
    return subprocess.run(
        [sys.executable, "-m", "niaga", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        input=input_,
    )


def test_db_upgrade_is_idempotent(database_url: str, factory: Any) -> None:
    r = niaga(database_url, "db", "upgrade")
    assert r.returncode == 0, r.stderr


def test_token_create_prints_the_token_alone_on_the_last_line(
    database_url: str, factory: Any
) -> None:
    r = niaga(database_url, "token", "create", "--name", "zapier", "--role", "agent")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("nga_") and " " not in token
    with factory() as s:
        row = s.scalars(select(ApiToken)).one()
    assert row.name == "zapier" and row.role == "agent"
    assert row.token_hash == hash_token(token)


def test_token_create_refuses_unknown_role(database_url: str, factory: Any) -> None:
    r = niaga(database_url, "token", "create", "--name", "x", "--role", "superuser")
    assert r.returncode == 2 and "unknown role" in r.stderr.lower()


def test_token_list_and_revoke(database_url: str, factory: Any) -> None:
    r = niaga(database_url, "token", "create", "--name", "kasir", "--days", "7")
    assert r.returncode == 0, r.stderr
    secret = r.stdout.strip().splitlines()[-1]
    listing = niaga(database_url, "token", "list")
    assert listing.returncode == 0 and "kasir" in listing.stdout and "active" in listing.stdout
    assert secret not in listing.stdout  # only its start is ever shown again
    revoked = niaga(database_url, "token", "revoke", secret[:10])
    assert revoked.returncode == 0 and "revoked" in revoked.stderr, revoked.stderr
    with factory() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.name == "kasir")).one()
        assert row.revoked_at is not None and row.expires_at is not None
    assert niaga(database_url, "token", "revoke", "nga_tidakada").returncode == 2
    assert niaga(database_url, "token", "create", "--name", "x", "--days", "0").returncode == 2


def test_a_token_made_on_the_command_line_belongs_to_a_person(
    database_url: str, factory: Any
) -> None:
    from tests.web.web_helpers import make_user

    make_user(factory, "admin", email="dimas@toko.test")
    r = niaga(database_url, "token", "create", "--name", "erp", "--owner", "dimas@toko.test")
    assert r.returncode == 0, r.stderr
    assert "dimas@toko.test" in niaga(database_url, "token", "list").stdout
    with factory() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.name == "erp")).one()
        owner = s.get(User, row.user_id)
    assert owner is not None and owner.email == "dimas@toko.test"
    missing = niaga(database_url, "token", "create", "--name", "y", "--owner", "siapa@toko.test")
    assert missing.returncode == 2 and "No user" in missing.stderr


def test_user_create_hashes_with_argon2id(database_url: str, factory: Any) -> None:
    r = niaga(
        database_url,
        "user",
        "create",
        "--email",
        "Sari@TokoSari.id",
        "--name",
        "Sari",
        "--password",
        "rahasia-sekali-2026",
        "--role",
        "owner",
    )
    assert r.returncode == 0, r.stderr
    with factory() as s:
        user = s.scalars(select(User)).one()
    assert user.email == "sari@tokosari.id" and user.role == "owner"
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "rahasia-sekali-2026")
    again = niaga(
        database_url,
        "user",
        "create",
        "--email",
        "sari@tokosari.id",
        "--name",
        "S",
        "--password",
        "rahasia-sekali-2026",
    )
    assert again.returncode == 2 and "already exists" in again.stderr


def test_production_mode_refuses_default_secrets(database_url: str) -> None:
    env_db = database_url
    r = subprocess.run(
        [sys.executable, "-m", "niaga", "worker"],
        env={**os.environ, "NIAGA_DATABASE_URL": env_db, "NIAGA_ENV": "production"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "NIAGA_SECRET_KEY" in r.stderr and "NIAGA_WA_APP_SECRET" in r.stderr


def test_demo_refuses_production(database_url: str) -> None:
    env_run = subprocess.run(
        [sys.executable, "-m", "niaga", "demo"],
        env={**os.environ, "NIAGA_DATABASE_URL": database_url, "NIAGA_ENV": "production"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert env_run.returncode == 2 and "production" in env_run.stderr


def test_analytics_rebuild_cuts_every_day_from_the_records(database_url: str, factory: Any) -> None:
    from datetime import UTC, date, datetime

    from niaga.analytics import rollups
    from niaga.contacts.models import Contact
    from niaga.core.db import transaction
    from niaga.inbox.models import Conversation, Message

    at = datetime(2025, 3, 9, 16, 45, tzinfo=UTC)  # 23:45 WIB on 9 March
    with transaction(factory) as s:
        contact = Contact(phone="+6281299900011", wa_id="6281299900011")
        s.add(contact)
        s.flush()
        chat = Conversation(contact_id=contact.id, phone_number_id="1", status="open")
        s.add(chat)
        s.flush()
        for status in ("read", "delivered", "failed"):
            s.add(
                Message(
                    conversation_id=chat.id,
                    contact_id=contact.id,
                    direction="out",
                    type="text",
                    status=status,
                    error_code=131049 if status == "failed" else None,
                    created_at=at,
                    received_at=at,
                )
            )
    r = niaga(database_url, "analytics", "rebuild")
    assert r.returncode == 0, r.stderr
    assert "Rebuilt" in r.stderr and "2025-03-09" in r.stderr
    day = date(2025, 3, 9)
    with factory() as s:
        got = rollups.sums(s, day, day)
    assert (got["accepted", ""], got["read", ""], got["failed", "131049"]) == (2, 1, 1)
