"""Backups: a round trip leaves identical data and media on SQLite and PostgreSQL; a damaged,
cut-off, foreign or non-Niaga file is refused with a clear error and changes nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, text

from niaga.backups import service
from niaga.backups.sealed import BackupRefused
from niaga.contacts.models import Contact
from niaga.core.db import make_engine, make_sessionmaker, transaction
from niaga.inbox.models import Conversation, Message
from niaga.security import audit
from niaga.security.users import do_create_user
from tests.conftest import DB_KIND, free_port, make_settings
from tests.test_cli import ROOT

DIALECT = "sqlite" if DB_KIND == "sqlite" else "postgresql"


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted (the schema's own bookkeeping included)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = service._counts(conn)
            return {
                name: sorted(
                    (
                        tuple(str(v) for v in row)
                        for row in conn.execute(text(f'SELECT * FROM "{name}"'))
                    ),
                )
                for name in counts
            }
    finally:
        engine.dispose()


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def shop(fresh_database_url: str, tmp_path: Path) -> Any:
    """A small shop on a database of its own, with media files on disk."""
    settings = make_settings(fresh_database_url, free_port(), data_dir=tmp_path / "data")
    factory = make_sessionmaker(make_engine(fresh_database_url))
    with transaction(factory) as s:
        audit.act_as(s, audit.AuditActor(label="Tes", via="cli"))
        do_create_user(
            s, email="owner@toko.test", name="Sari", password="rahasia-sekali-123", role="owner"
        )
        for i in range(30):
            c = Contact(phone=f"+62812000{i:05d}", wa_id=f"62812000{i:05d}", display_name=f"P{i}")
            s.add(c)
            s.flush()
            conv = Conversation(contact=c, phone_number_id="1", status="open")
            s.add(conv)
            s.flush()
            s.add(
                Message(
                    conversation_id=conv.id,
                    contact_id=c.id,
                    direction="in",
                    type="text",
                    text=f"halo kak nomor {i} — ünïcödé ✓",
                    content={"kind": "text", "body": f"halo {i}"},
                )
            )
    media = Path(settings.data_dir) / "media"
    (media / "in").mkdir(parents=True)
    (media / "out").mkdir(parents=True)
    (media / "in" / "1234567890").write_bytes(os.urandom(300_000))
    (media / "out" / "abc.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(5000))
    images = Path(settings.data_dir) / "catalog" / "images" / "1"
    images.mkdir(parents=True)
    (images / "gamis.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(8000))
    factory.kw["bind"].dispose()
    return settings, factory


def test_a_backup_restores_identical_data_and_media(shop: Any, tmp_path: Path) -> None:
    settings, factory = shop
    before = snapshot(settings.database_url)
    media = Path(settings.data_dir) / "media"
    media_before = files(media)
    catalog = Path(settings.data_dir) / "catalog"
    catalog_before = files(catalog)
    path, manifest = service.make(settings, tmp_path / "out")
    assert manifest["dialect"] == DIALECT and manifest["counts"]["messages"] == 30
    assert path.read_bytes()[:8] == b"NIAGABK1"
    assert b"halo kak nomor" not in path.read_bytes()  # sealed, not readable
    checked = service.check(settings, path)
    assert checked["media_files"] == 3 and checked["rows"] == sum(manifest["counts"].values())

    # Things go wrong after the backup: rows deleted, rows added, files lost and changed.
    with transaction(factory) as s:
        s.execute(delete(Message).where(Message.id > 10))
        s.add(Contact(phone="+6289999999999", display_name="Baru"))
    (media / "in" / "1234567890").unlink()
    (media / "out" / "abc.jpg").write_bytes(b"rusak")
    (media / "out" / "extra.png").write_bytes(b"tambahan")
    (catalog / "images" / "1" / "gamis.jpg").unlink()  # product images are kept too
    factory.kw["bind"].dispose()

    restored = service.restore(settings, path)
    assert restored["media_files"] == 3
    assert snapshot(settings.database_url) == before
    assert files(media) == media_before and files(catalog) == catalog_before
    with factory() as s:
        assert audit.verify(s).intact  # the audit chain came back whole
    factory.kw["bind"].dispose()


def test_damaged_foreign_and_other_files_are_refused(shop: Any, tmp_path: Path) -> None:
    settings, _factory = shop
    path, _ = service.make(settings, tmp_path / "out")
    data = path.read_bytes()
    cases = {
        "damaged": data[:5000] + bytes([data[5000] ^ 1]) + data[5001:],
        "cut": data[: len(data) // 2],
        "tail": data + b"x",
        "other": b"PK\x03\x04 not a backup at all",
    }
    before = snapshot(settings.database_url)
    for name, content in cases.items():
        bad = tmp_path / f"{name}.nbk"
        bad.write_bytes(content)
        with pytest.raises(BackupRefused) as refused:
            service.restore(settings, bad)
        expected = "backup_not_niaga" if name == "other" else "backup_damaged"
        assert refused.value.code == expected, name
    # Sealed by another Niaga (another key), or with a passphrase this one does not know.
    other = make_settings(settings.database_url, free_port(), data_dir=tmp_path / "lain")
    foreign, _ = service.make(other, tmp_path / "lain-out")
    with pytest.raises(BackupRefused) as refused:
        service.check(settings, foreign)
    assert refused.value.code == "backup_foreign" and "another key" in str(refused.value)
    with_phrase = make_settings(
        settings.database_url,
        free_port(),
        data_dir=settings.data_dir,
        backup_passphrase="kata sandi cadangan yang panjang",
    )
    sealed, _ = service.make(with_phrase, tmp_path / "phrase")
    with pytest.raises(BackupRefused) as refused:
        service.check(settings, sealed)
    assert refused.value.code == "backup_passphrase_needed"
    assert service.check(with_phrase, sealed)["rows"] > 0
    assert snapshot(settings.database_url) == before  # nothing was touched


@pytest.mark.skipif(DIALECT != "postgresql", reason="pg_dump is for PostgreSQL")
def test_a_missing_pg_dump_names_the_package(
    shop: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = shop
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without postgresql-client
    with pytest.raises(BackupRefused) as refused:
        service.make(settings, tmp_path / "out")
    assert "postgresql-client" in str(refused.value) and "pg_dump" in str(refused.value)


def test_the_command_line_backs_up_and_restores(shop: Any, tmp_path: Path) -> None:
    import subprocess
    import sys

    settings, factory = shop
    env = {
        **os.environ,
        "NIAGA_DATABASE_URL": settings.database_url,
        "NIAGA_DATA_DIR": str(settings.data_dir),
        "NIAGA_LOG_LEVEL": "warning",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "niaga", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )

    made = run("backup", "--out", str(tmp_path / "cli"))
    assert made.returncode == 0, made.stderr
    path = Path(made.stdout.strip().splitlines()[-1])
    assert path.is_file() and "Checked by a restore" in made.stderr
    with transaction(factory) as s:
        s.execute(delete(Message))
    factory.kw["bind"].dispose()
    assert run("restore", str(path)).returncode == 1  # asks first; no answer, no restore
    done = run("restore", str(path), "--yes")
    assert done.returncode == 0, done.stderr
    with factory() as s:
        assert s.scalar(text("SELECT count(*) FROM messages")) == 30
        kinds = s.scalars(text("SELECT kind FROM audit_log ORDER BY id")).all()
    assert "backup.restored" in kinds
    bad = tmp_path / "bukan.nbk"
    bad.write_bytes(b"bukan cadangan")
    refused = run("restore", str(bad), "--yes")
    assert refused.returncode == 2 and "not a Niaga backup" in refused.stderr
    factory.kw["bind"].dispose()


def test_the_daily_backup_runs_once_a_day_and_keeps_the_newest(shop: Any, tmp_path: Path) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from niaga.backups import jobs
    from niaga.core import clock
    from niaga.core.jobs.registry import JobContext
    from niaga.security.models import AuditEntry

    settings, factory = shop
    settings = settings.model_copy(
        update={
            "backup_enabled": True,
            "backup_keep": 2,
            "backup_dir": str(tmp_path / "harian"),
            "backup_hour": 0,
        }
    )
    ctx = JobContext(settings=settings, factory=factory, read_factory=factory, worker_id="t")
    try:
        jobs.run(ctx)
        jobs.run(ctx)  # not due again the same day
        assert len(list((tmp_path / "harian").glob("*.nbk"))) == 1
        for _ in range(2):
            clock.advance(timedelta(hours=25))
            jobs.run(ctx)
        assert len(list((tmp_path / "harian").glob("*.nbk"))) == 2  # the oldest pruned
    finally:
        clock.reset()
    with factory() as s:
        made = s.scalars(select(AuditEntry).where(AuditEntry.kind == "backup.created")).all()
    assert len(made) == 3 and all(e.details["checked"] for e in made)
    assert made[-1].details["pruned"] == 1
    factory.kw["bind"].dispose()
