"""Start and stop a Niaga server subprocess for benchmarks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Every server a bench starts answers its sandbox control API with this token.
CONTROL_TOKEN = "bench-sandbox-control-token"
CONTROL = {"X-Sandbox-Token": CONTROL_TOKEN}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fresh_database(kind: str, keep: bool = False) -> Iterator[str]:
    """A new migrated database: a temp SQLite file or a new PostgreSQL database.

    ``keep`` leaves it in place afterwards (and prints its URL) for later runs.
    """
    from niaga.core.migrate import upgrade

    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="niaga-bench-")
        url = f"sqlite:///{tmp}/bench.db"
        try:
            upgrade(url)
            yield url
        finally:
            if keep:
                print(f"kept {url}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    import psycopg

    base = os.environ.get("NIAGA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"niaga_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        yield url
    finally:
        if keep:
            print(f"kept {url}")
        else:
            with psycopg.connect(base, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ServerUrl(str):
    """The base URL of a started process; ``pid`` is the process's id."""

    pid: int = 0


@contextmanager
def niaga_process(
    args: list[str],
    env: dict[str, str],
    health_path: str | None = "/healthz",
    port: int | None = None,
    stderr: Any = None,
) -> Iterator[str]:
    """Run ``python -m niaga <args>`` until the block ends; yields its base URL.

    With a ``health_path`` the command gets ``--port`` and is awaited over HTTP; without one
    (a worker) it only has to stay alive for a second.
    """
    port = port or free_port()
    full_env = {
        **os.environ,
        "NIAGA_SANDBOX_CONTROL_TOKEN": CONTROL_TOKEN,
        **env,
        "NIAGA_PORT": str(port),
        "NIAGA_LOG_LEVEL": "warning",
    }
    argv = [sys.executable, "-m", "niaga", *args]
    if health_path is not None:
        argv += ["--port", str(port)]
    proc = subprocess.Popen(argv, env=full_env, cwd=ROOT, stderr=stderr)
    url = ServerUrl(f"http://127.0.0.1:{port}")
    url.pid = proc.pid
    try:
        deadline = time.monotonic() + 30
        while health_path is not None:
            try:
                if httpx.get(url + health_path, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} did not start")
            time.sleep(0.1)
        if health_path is None:
            time.sleep(1.0)
            if proc.poll() is not None:
                raise RuntimeError(f"{args[0]} exited at start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
