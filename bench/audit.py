"""What the audit log costs and how fast its chain is checked.

Commits ``--n`` small transactions (a settings-sized row change) without and with an audit
entry, one writer and ``--writers`` concurrent writers (PostgreSQL), then times
``audit.verify`` over the chain and ``niaga backup`` of that database::

    python bench/audit.py --db sqlite --n 2000
    python bench/audit.py --db postgres --n 2000 --writers 8
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import update

from bench._server import fresh_database
from niaga.core.db import make_engine, make_sessionmaker, transaction
from niaga.security import audit
from niaga.security.models import SecurityPolicy


def _commits(factory: object, n: int, writers: int, audited: bool) -> float:
    """Transactions per second, each changing one row (and adding an entry when audited)."""

    def work(count: int, who: int) -> None:
        for i in range(count):
            with transaction(factory) as s:  # type: ignore[arg-type]
                s.execute(update(SecurityPolicy).values(remember_days=i % 90))
                if audited:
                    audit.record(
                        s, "settings.changed", details={"writer": who, "i": i, "fields": ["x"]}
                    )

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n // writers, w)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return (n // writers * writers) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--entries", type=int, default=100_000, help="chain length to verify")
    args = parser.parse_args()
    with fresh_database(args.db) as url:
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        with transaction(factory) as s:
            s.add(SecurityPolicy(id=1))
        plain = _commits(factory, args.n, args.writers, audited=False)
        sealed = _commits(factory, args.n, args.writers, audited=True)
        print(
            f"{args.db}, {args.writers} writer(s): {plain:,.0f} commits/s plain, "
            f"{sealed:,.0f}/s with an audit entry sealed into the chain"
        )
        # A long chain: entries in batches of 1,000 per transaction.
        started = time.perf_counter()
        for _ in range(args.entries // 1000):
            with transaction(factory) as s:
                for i in range(1000):
                    audit.record(s, "token.used", target=("token", 1), details={"i": i})
        made = time.perf_counter() - started
        with factory() as s:
            started = time.perf_counter()
            verdict = audit.verify(s)
            took = time.perf_counter() - started
        assert verdict.intact, verdict.problems
        print(
            f"{verdict.checked:,} entries: sealed at {args.entries / made:,.0f}/s in batches, "
            f"verified in {took:.1f} s ({verdict.checked / took:,.0f}/s)"
        )
        from niaga.backups import service
        from niaga.core.config import Settings

        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(database_url=url, data_dir=Path(tmp), backup_dir=tmp)
            started = time.perf_counter()
            path, manifest = service.make(settings)
            made = time.perf_counter() - started
            started = time.perf_counter()
            service.check(settings, path)
            checked = time.perf_counter() - started
            print(
                f"backup of {sum(manifest['counts'].values()):,} rows: "
                f"{path.stat().st_size / 1e6:.1f} MB made in {made:.1f} s, "
                f"checked by a scratch restore in {checked:.1f} s"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
