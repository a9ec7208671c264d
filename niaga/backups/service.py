"""Making, checking and restoring backups.

A backup holds the database (SQLite's online backup API, or ``pg_dump`` in its custom format
taken in the same snapshot as the row counts), the stored webhooks' own SQLite file when
there is one, every media file with its SHA-256, and a manifest (Niaga's version, the
schema revision, the counts per table). Checking restores it into a scratch database (a
temporary SQLite file, or a new PostgreSQL database dropped afterwards) and compares the
counts and the files' hashes with the manifest. Restoring refuses a damaged or foreign file,
a backup of the other kind of database, and one from a newer schema.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from niaga import __version__
from niaga.backups.sealed import BackupRefused, ChunkReader, KeySource, SealingWriter, open_chunks
from niaga.core.config import Settings, intake_url_for
from niaga.core.db import make_engine

SUFFIX = ".nbk"
# Folders under data_dir a backup keeps: received and sent media (the profile photo among
# them) and product images.
FILE_DIRS = ("media", "catalog")
PG_CLIENT_HINT = (
    "{tool} is missing: install Debian's postgresql-client package "
    "(apt install postgresql-client), the same major version as the server."
)


def key_source(settings: Settings) -> KeySource:
    return KeySource(settings.backup_passphrase, Path(settings.data_dir) / "backup.key")


def backup_dir(settings: Settings) -> Path:
    return Path(settings.backup_dir) if settings.backup_dir else Path(settings.data_dir) / "backups"


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def _libpq_url(url: str) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _run(tool: str, args: list[str]) -> None:
    if shutil.which(tool) is None:
        raise BackupRefused("pg_client_missing", PG_CLIENT_HINT, tool=tool)
    done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=6 * 3600)
    if done.returncode != 0:
        raise BackupRefused(
            "pg_tool_failed", "{tool} failed: {error}", tool=tool, error=done.stderr.strip()[:500]
        )


def _counts(conn: Any) -> dict[str, int]:
    if conn.dialect.name == "postgresql":
        names = conn.execute(
            text(
                "SELECT table_name FROM information_schema.tables WHERE "
                "table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ).scalars()
    else:
        names = conn.execute(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            )
        ).scalars()
    return {n: int(conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one()) for n in names}


def _sqlite_counts(path: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return _counts(conn)
    finally:
        engine.dispose()


def _revision(conn: Any) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()


def _sqlite_compact_copy(source: Path, target: Path) -> None:
    """A consistent copy without free pages (``VACUUM INTO``): rows deleted or erased before
    the backup leave no trace in it."""
    src = sqlite3.connect(source)
    try:
        src.execute("VACUUM INTO ?", (str(target),))
    finally:
        src.close()


def make(settings: Settings, out_dir: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Write a sealed backup of everything; returns its path and manifest."""
    out_dir = out_dir or backup_dir(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = out_dir / f"niaga-backup-{stamp}-{uuid.uuid4().hex[:6]}{SUFFIX}"
    manifest: dict[str, Any] = {
        "niaga": __version__,
        "created_at": stamp,
        "files": {},
        "file_root": "data_dir",
    }
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".making-") as tmp:
        work = Path(tmp)
        db_file = _sqlite_file(settings.database_url)
        if db_file is not None:
            manifest["dialect"] = "sqlite"
            _sqlite_compact_copy(db_file, work / "db.sqlite")
            manifest["counts"] = _sqlite_counts(work / "db.sqlite")
            engine = create_engine(f"sqlite:///{work / 'db.sqlite'}")
            with engine.connect() as conn:
                manifest["revision"] = _revision(conn)
            engine.dispose()
            intake = _sqlite_file(intake_url_for(settings.database_url))
            if settings.separate_intake and intake is not None and intake.exists():
                _sqlite_compact_copy(intake, work / "intake.sqlite")
                manifest["intake_counts"] = _sqlite_counts(work / "intake.sqlite")
        else:
            manifest["dialect"] = "postgresql"
            engine = make_engine(settings.database_url)
            try:
                with engine.connect() as conn:
                    conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                    snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                    manifest["counts"] = _counts(conn)
                    manifest["revision"] = _revision(conn)
                    _run(
                        "pg_dump",
                        [
                            "--format=custom",
                            "--no-owner",
                            "--no-privileges",
                            f"--snapshot={snapshot}",
                            f"--file={work / 'db.dump'}",
                            f"--dbname={_libpq_url(settings.database_url)}",
                        ],
                    )
                    conn.execute(text("COMMIT"))
            finally:
                engine.dispose()
        data_dir = Path(settings.data_dir)
        kept_files = _kept_files(data_dir)
        for name, path in kept_files:
            manifest["files"][name] = _sha256(path)
        for name in ("db.sqlite", "intake.sqlite", "db.dump"):
            if (work / name).exists():
                manifest.setdefault("db_files", {})[name] = _sha256(work / name)
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        part = target.with_suffix(".part")
        with part.open("wb") as raw:
            writer = SealingWriter(raw, key_source(settings), {"created_at": stamp})
            with tarfile.open(fileobj=writer, mode="w|") as tar:  # type: ignore[call-overload]
                tar.add(work / "manifest.json", arcname="manifest.json")
                for name in ("db.sqlite", "intake.sqlite", "db.dump"):
                    if (work / name).exists():
                        tar.add(work / name, arcname=name)
                for name, path in kept_files:
                    tar.add(path, arcname=name)
            writer.close()
            raw.flush()
            os.fsync(raw.fileno())
        part.replace(target)
    return target, manifest


def _kept_files(data_dir: Path) -> list[tuple[str, Path]]:
    """The files a backup keeps (media, product images, the profile photo), named by their
    path under ``data_dir``."""
    found = []
    for folder in FILE_DIRS:
        root = data_dir / folder
        if root.is_dir():
            found += [
                (p.relative_to(data_dir).as_posix(), p) for p in root.rglob("*") if p.is_file()
            ]
    return sorted(found)


def _file_name(manifest: dict[str, Any], name: str) -> str:
    """A manifest's file under the unpacked backup (older ones held media/ only, unprefixed)."""
    return name if manifest.get("file_root") == "data_dir" else f"media/{name}"


@contextmanager
def opened(settings: Settings, path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The backup unpacked into a temporary folder, its files checked against the manifest."""
    if not path.is_file():
        raise BackupRefused("backup_missing", "No backup at {path}.", path=str(path))
    with tempfile.TemporaryDirectory(prefix="niaga-restore-") as tmp:
        work = Path(tmp)
        with path.open("rb") as raw:
            reader = ChunkReader(open_chunks(raw, key_source(settings)))
            try:
                with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
                    tar.extractall(work, filter="data")
                # tar stops at its end marker: read the rest so the last chunk's seal and
                # the file's end are checked too.
                reader.read()
            except tarfile.TarError:
                raise BackupRefused("backup_damaged", "The backup is damaged or cut off.") from None
        try:
            manifest = json.loads((work / "manifest.json").read_text())
        except (OSError, ValueError):
            raise BackupRefused("backup_damaged", "The backup is damaged or cut off.") from None
        for name, digest in {**manifest.get("db_files", {})}.items():
            if not (work / name).is_file() or _sha256(work / name) != digest:
                raise BackupRefused("backup_damaged", "The backup is damaged or cut off.")
        for name, digest in manifest.get("files", {}).items():
            file = work / _file_name(manifest, name)
            if not file.is_file() or _sha256(file) != digest:
                raise BackupRefused(
                    "backup_media", "A media file in the backup does not match: {name}.", name=name
                )
        yield work, manifest


@contextmanager
def _scratch_pg(settings: Settings) -> Iterator[str]:
    """A new, empty PostgreSQL database on the same server, dropped afterwards."""
    url = make_url(settings.database_url)
    name = f"niaga_verify_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise BackupRefused(
            "backup_scratch",
            "Could not make a scratch database to check the backup: {error}",
            error=str(exc)[:300],
        ) from exc
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pg_restore(url: str, dump: Path, *, clean: bool) -> None:
    args = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if clean:
        args += ["--clean", "--if-exists"]
    _run("pg_restore", [*args, f"--dbname={_libpq_url(url)}", str(dump)])


def check(settings: Settings, path: Path) -> dict[str, Any]:
    """Restore ``path`` into a scratch database and compare it with its manifest."""
    with opened(settings, path) as (work, manifest):
        if manifest["dialect"] == "sqlite":
            counts = _sqlite_counts(work / "db.sqlite")
        else:
            with _scratch_pg(settings) as scratch:
                _pg_restore(scratch, work / "db.dump", clean=False)
                engine = make_engine(scratch)
                try:
                    with engine.connect() as conn:
                        counts = _counts(conn)
                finally:
                    engine.dispose()
        if counts != manifest["counts"]:
            differ = sorted(
                k
                for k in {*counts, *manifest["counts"]}
                if counts.get(k) != manifest["counts"].get(k)
            )
            raise BackupRefused(
                "backup_mismatch",
                "The restored copy differs from the backup's own counts: {tables}.",
                tables=", ".join(differ[:10]),
            )
        return {
            "tables": len(counts),
            "rows": sum(counts.values()),
            "media_files": len(manifest.get("files", {})),
            "revision": manifest.get("revision"),
            "created_at": manifest.get("created_at"),
        }


def restore(settings: Settings, path: Path) -> dict[str, Any]:
    """Put the shop back as it was in ``path`` (stop ``niaga serve`` and workers first)."""
    from niaga.core.migrate import upgrade

    dialect = "sqlite" if _sqlite_file(settings.database_url) is not None else "postgresql"
    with opened(settings, path) as (work, manifest):
        if manifest["dialect"] != dialect:
            raise BackupRefused(
                "backup_dialect",
                "This backup is of a {kind} database; Niaga here runs on {here}.",
                kind=manifest["dialect"],
                here=dialect,
            )
        if manifest.get("revision") and not _known_revision(manifest["revision"]):
            raise BackupRefused(
                "backup_version", "This backup was made by a newer Niaga; upgrade Niaga first."
            )
        if dialect == "sqlite":
            target = _sqlite_file(settings.database_url)
            assert target is not None
            target.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(work / "db.sqlite", target)
            intake = _sqlite_file(intake_url_for(settings.database_url))
            if (work / "intake.sqlite").exists() and intake is not None:
                _sqlite_copy(work / "intake.sqlite", intake)
        else:
            _pg_restore(settings.database_url, work / "db.dump", clean=True)
        for folder in FILE_DIRS:
            kept = Path(settings.data_dir) / folder
            if kept.exists():
                shutil.rmtree(kept)
            if (work / folder).exists():
                shutil.copytree(work / folder, kept)
            else:
                kept.mkdir(parents=True, exist_ok=True)
        upgrade(settings.database_url)
        return {
            "rows": sum(manifest["counts"].values()),
            "media_files": len(manifest.get("files", {})),
            "created_at": manifest.get("created_at"),
        }


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    from niaga.core.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        return script.get_revision(revision) is not None
    except Exception:
        return False


def prune(settings: Settings, keep: int, *, made: Path | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` backups in the backup folder (by when they were
    written; ``made``, the one just written, always stays)."""
    folder = backup_dir(settings)
    found = sorted(
        folder.glob(f"niaga-backup-*{SUFFIX}"),
        key=lambda p: (p == made, p.stat().st_mtime_ns, p.name),
        reverse=True,
    )
    for old in found[keep:]:
        old.unlink(missing_ok=True)
    return found[keep:]
