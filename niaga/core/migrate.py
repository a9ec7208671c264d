"""Run Alembic migrations programmatically (``niaga db upgrade``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


# Text-search structures made by migration 0002 with raw DDL (SQLite FTS5 tables and their
# shadow tables, PostgreSQL trigram indexes): the models do not describe them.
SEARCH_TABLE_PREFIXES = ("contacts_fts", "messages_fts")
SEARCH_INDEX_SUFFIX = "_trgm"


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate filter: leave the hand-made search structures out of the comparison."""
    if type_ == "table":
        return not (name or "").startswith(SEARCH_TABLE_PREFIXES)
    if type_ == "index":
        return not (name or "").endswith(SEARCH_INDEX_SUFFIX)
    return True


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url)
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Take the database schema down to ``revision``."""
    command.downgrade(alembic_config(database_url), revision)


@lru_cache(maxsize=1)
def code_head() -> str:
    """The newest migration this code brings."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())


def schema_state(engine: Engine) -> tuple[str | None, str]:
    """(the database's migration, the code's newest): equal when the schema is current."""
    with engine.connect() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return (str(current) if current is not None else None), code_head()
