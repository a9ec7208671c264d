"""``niaga serve``'s default layout: background work in a child process tied by a pipe.

The whole loop crosses the two processes: a signed webhook stored by the web process, processed
and answered by the child's rules, sent to the sandbox in the web process, whose statuses come
back as webhooks; the child's live events reach the web process's browsers through the pipe.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import defaults
from niaga.automation.models import AutomationTrigger
from niaga.core.db import make_engine, make_sessionmaker, transaction
from niaga.inbox.models import Message
from niaga.worker_process import WorkerProcess
from tests.automation.helpers import make_team, shop_profile
from tests.conftest import LiveServer, free_port, make_settings, wait_for
from tests.factories import text_message
from tests.intake import intake_of
from tests.sandbox_client import CONTROL


def _seed(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        for team in defaults.TEAMS:
            make_team(s, team, 1)
        defaults.do_seed_defaults(s)
        shop_profile(s)


def _automatic_replies(factory: sessionmaker[Session]) -> list[tuple[str, str]]:
    with factory() as s:
        return [
            (status, text or "")
            for status, text in s.execute(
                select(Message.status, Message.text).where(
                    Message.direction == "out", Message.origin == "automation"
                )
            )
        ]


def _handled(factory: sessionmaker[Session]) -> bool:
    with factory() as s:
        return s.scalars(select(AutomationTrigger.message_id)).first() is not None


def test_the_whole_loop_runs_across_the_web_and_the_worker_process(
    fresh_database_url: str,
) -> None:
    engine = make_engine(fresh_database_url)
    factory = make_sessionmaker(engine)
    _seed(factory)
    server = LiveServer(make_settings(fresh_database_url, free_port(), worker_process=True))
    hub = server.app.state.live_hub
    seen: list[dict[str, Any]] = []
    original = hub.deliver_many_threadsafe

    def watch(payloads: list[dict[str, Any]]) -> None:
        seen.extend(payloads)
        original(payloads)

    # What the child sends, in batches, for this process's browsers.
    hub.deliver_many_threadsafe = watch
    server.start()
    try:
        child = server.app.state.worker_process
        assert server.app.state.worker is None and child is not None and child.pid
        control = f"{server.url}/sandbox/_control/customers"
        httpx.post(
            control, json={"phone": "6281234511111", "name": "Wati"}, headers=CONTROL, timeout=10
        )
        sent = httpx.post(
            f"{control}/6281234511111/send",
            json={"type": "text", "text": "Ongkirnya berapa kak?"},
            headers=CONTROL,
            timeout=10,
        )
        assert sent.status_code < 300, sent.text
        # Greeting and the shipping answer, sent, delivered and read on the sandbox's phone.
        wait_for(
            lambda: (
                len(_automatic_replies(factory)) >= 2
                and {s for s, _ in _automatic_replies(factory)} <= {"delivered", "read"}
            ),
            timeout=30,
        )
        types = {p["type"] for p in seen}
        assert {"message.received", "message.queued", "message.status_changed"} <= types
    finally:
        server.stop()
        engine.dispose()
    assert child._process is None  # stopped with the web process


PARENT = """
import sys, time
from niaga.core.config import Settings
from niaga.worker_process import WorkerProcess

if __name__ == "__main__":
    child = WorkerProcess(Settings(database_url=sys.argv[1], data_dir=sys.argv[2]), print)
    child.start()
    print(child.pid, flush=True)
    time.sleep(120)
"""


def test_the_child_stops_when_the_web_process_is_killed(
    fresh_database_url: str, tmp_path: Any
) -> None:
    import os
    import signal
    import subprocess
    import sys

    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen(
        [sys.executable, str(script), fresh_database_url, str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    child_pid = 0
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        os.kill(child_pid, 0)  # alive
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)

        def gone() -> bool:
            try:
                os.kill(child_pid, 0)
            except ProcessLookupError:
                return True
            with open(f"/proc/{child_pid}/stat") as f:  # a zombie waiting for init is gone too
                return f.read().split()[2] == "Z"

        wait_for(gone, timeout=30)
    finally:
        parent.kill()
        if child_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child_pid, signal.SIGKILL)


def test_a_wake_up_through_the_pipe_processes_stored_webhooks_at_once(
    fresh_database_url: str,
) -> None:
    import json

    from niaga.channels.whatsapp.models import WebhookEvent
    from niaga.core import clock

    engine = make_engine(fresh_database_url)
    factory = make_sessionmaker(engine)
    _seed(factory)
    settings = make_settings(
        fresh_database_url, free_port(), worker_process=True, embedded_dispatch=False
    )
    seen: list[dict[str, Any]] = []
    child = WorkerProcess(settings, seen.extend)
    child.start()
    try:
        with intake_of(factory)() as s, s.begin():  # where the server would store it
            body = json.dumps(text_message("wamid.CHILD2", "6281234522222", "halo")).encode()
            s.add(WebhookEvent(body=body, received_at=clock.now(), attempts=0))
        child.wake("webhooks")
        wait_for(lambda: any(p["type"] == "message.received" for p in seen), timeout=30)
        wait_for(lambda: _handled(factory), timeout=30)
    finally:
        child.stop()
        engine.dispose()


def test_the_workers_metrics_reach_metrics_and_its_death_readiness(
    fresh_database_url: str, tmp_path: Any, monkeypatch: Any
) -> None:
    """Shared metric files (as ``niaga serve`` sets them up): what the child sends is counted
    on the web process's ``/metrics``; a dead child makes ``/readyz`` say so."""
    import os
    import signal

    from niaga.core import metrics

    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path / "metrics"))  # undone afterwards
    folder = metrics.prepare_multiprocess(tmp_path)
    assert os.environ[metrics.MULTIPROC_ENV] == str(folder)
    engine = make_engine(fresh_database_url)
    factory = make_sessionmaker(engine)
    _seed(factory)
    server = LiveServer(make_settings(fresh_database_url, free_port(), worker_process=True))
    server.start()
    try:
        assert httpx.get(f"{server.url}/readyz").json()["checks"]["worker"] == "ok"
        control = f"{server.url}/sandbox/_control/customers"
        httpx.post(
            control, json={"phone": "6281234511122", "name": "Wati"}, headers=CONTROL, timeout=10
        )
        httpx.post(
            f"{control}/6281234511122/send",
            json={"type": "text", "text": "Ongkirnya berapa kak?"},
            headers=CONTROL,
            timeout=10,
        )
        wait_for(lambda: len(_automatic_replies(factory)) >= 2, timeout=30)
        child = server.app.state.worker_process

        def sent_by_child() -> float:
            text = httpx.get(f"{server.url}/metrics").text
            found = re.search(r'niaga_sends_total\{error_code="",result="sent"\} ([0-9.]+)', text)
            return float(found.group(1)) if found else 0.0

        assert wait_for(lambda: sent_by_child() >= 2, timeout=15)
        assert any(f.name.endswith(f"_{child.pid}.db") for f in folder.iterdir())
        os.kill(child.pid, signal.SIGKILL)
        wait_for(lambda: httpx.get(f"{server.url}/readyz").status_code == 503, timeout=15)
        ready = httpx.get(f"{server.url}/readyz").json()
        assert ready["checks"]["worker"] == "the worker process has stopped"
        assert httpx.get(f"{server.url}/livez").status_code == 200  # alive, not ready
    finally:
        server.stop()
        engine.dispose()
