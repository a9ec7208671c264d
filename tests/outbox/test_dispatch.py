"""The outbox dispatcher against the sandbox: every send type, retries, hard failures,
timeouts, and exactly-once delivery when the dispatcher process is killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from niaga.channels.whatsapp import outgoing as out
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import make_engine, make_sessionmaker, transaction
from niaga.inbox import service as inbox
from niaga.inbox.models import Conversation, Message
from niaga.outbox import store
from niaga.outbox.models import OutboxMessage
from tests.conftest import LiveServer, free_port, make_settings, wait_for
from tests.sandbox_client import SandboxControl

ROOT = Path(__file__).resolve().parents[2]
PHONE = "6281234567801"


def conversation_with_open_window(niaga: LiveServer, factory: Any, phone: str = PHONE) -> int:
    sb = SandboxControl(niaga.url)
    sb.customer(phone, "Siti Rahmawati")
    sb.send(phone, type="text", text="Halo kak")

    def conv_id() -> int | None:
        with factory() as s:
            return s.scalars(
                select(Conversation.id).join(Contact).where(Contact.wa_id == phone)
            ).first()

    return wait_for(conv_id)


def queue(factory: Any, conv_id: int, message: Any, **kw: Any) -> int:
    with transaction(factory) as s:
        conv = s.get_one(Conversation, conv_id)
        return inbox.do_send_message(s, conv, message, origin="agent", **kw).id


def message_row(factory: Any, message_id: int) -> Message:
    with factory() as s:
        return s.get_one(Message, message_id)


def outbox_row(factory: Any, message_id: int) -> OutboxMessage:
    with factory() as s:
        return s.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message_id)).one()


ALL_TYPES: list[Any] = [
    out.TextMessage(body="Halo kak, cek https://tokosari.id", preview_url=True),
    out.ImageMessage(link="https://tokosari.id/gamis.jpg", caption="Gamis navy"),
    out.DocumentMessage(link="https://tokosari.id/katalog.pdf", filename="katalog.pdf"),
    out.AudioMessage(link="https://tokosari.id/salam.ogg"),
    out.VideoMessage(link="https://tokosari.id/video.mp4", caption="Cara pakai"),
    out.StickerMessage(link="https://tokosari.id/stiker.webp"),
    out.LocationMessage(latitude=-6.2, longitude=106.8, name="Toko Sari", address="Jl. Melati 5"),
    out.ContactsMessage(
        contacts=[
            {
                "name": {"formatted_name": "Toko Sari", "first_name": "Toko"},
                "phones": [{"phone": "+6281100000000", "type": "WORK"}],
            }
        ]
    ),
    out.ReplyButtonsMessage(
        body="Mau ukuran apa?",
        buttons=[{"id": "s", "title": "S"}, {"id": "m", "title": "M"}, {"id": "l", "title": "L"}],
    ),
    out.ListMessage(
        body="Pilih kategori",
        button="Lihat",
        sections=[
            {
                "title": "Pakaian",
                "rows": [
                    {"id": "gamis", "title": "Gamis"},
                    {"id": "kemeja", "title": "Kemeja", "description": "Pria"},
                ],
            }
        ],
    ),
    out.CtaUrlMessage(
        body="Lihat katalog kami", display_text="Buka katalog", url="https://tokosari.id/katalog"
    ),
    out.LocationRequestMessage(body="Kirim lokasi untuk hitung ongkir ya kak"),
    out.ProductMessage(catalog_id="194836987003835", product_retailer_id="gamis-navy-l"),
    out.ProductListMessage(
        catalog_id="194836987003835",
        header="Promo Lebaran",
        body="Pilih kak",
        sections=[
            {
                "title": "Gamis",
                "product_items": [
                    {"product_retailer_id": "gamis-navy-l"},
                    {"product_retailer_id": "gamis-hitam-m"},
                ],
            }
        ],
    ),
    out.CatalogMessage(
        body="Katalog lengkap Toko Sari", thumbnail_product_retailer_id="gamis-navy-l"
    ),
    out.TemplateMessage(name="hello_world", language="en_US"),
    out.TemplateMessage(
        name="konfirmasi_pesanan",
        language="id",
        body_params=["Siti", "#10023", "Rp150.000"],
        buttons=[{"sub_type": "url", "index": 0, "text": "10023"}],
    ),
    out.TemplateMessage(
        name="status_pengiriman",
        language="id",
        body_params={"nama": "Siti", "nomor_pesanan": "#10023", "kurir": "JNE"},
    ),
]


def test_every_send_type_is_accepted_by_the_sandbox(niaga: LiveServer, factory: Any) -> None:
    conv_id = conversation_with_open_window(niaga, factory)
    ids = [queue(factory, conv_id, m) for m in ALL_TYPES]
    inbound = wait_for(lambda: _inbound_wamid(factory))
    ids.append(queue(factory, conv_id, out.ReactionMessage(message_id=inbound, emoji="👍")))
    sb = SandboxControl(niaga.url)
    # The outbox row settles after the send's answer; a fast status webhook may move the
    # message itself earlier, so wait on the outbox rows.
    wait_for(
        lambda: all(outbox_row(factory, i).state not in ("pending", "sending") for i in ids),
        timeout=30,
    )
    for i in ids:
        row = outbox_row(factory, i)
        assert row.state == "sent", (row.message, row.error_code, row.error_title)
    accepted = sb.messages(to=PHONE)
    assert Counter(m["type"] for m in accepted) == Counter(
        out.parse_outgoing(outbox_row(factory, i).message).message_type for i in ids
    )


def _inbound_wamid(factory: Any) -> str | None:
    with factory() as s:
        return s.scalars(select(Message.wamid).where(Message.direction == "in")).first()


def test_transient_errors_are_retried_until_sent_once(niaga: LiveServer, factory: Any) -> None:
    conv_id = conversation_with_open_window(niaga, factory)
    sb = SandboxControl(niaga.url)
    sb.configure(error_rates={"131000": 0.3, "130429": 0.2}, http_5xx_rate=0.1)
    ids = [queue(factory, conv_id, out.TextMessage(body=f"Pesan {n}")) for n in range(20)]
    wait_for(lambda: all(outbox_row(factory, i).state == "sent" for i in ids), timeout=60)
    sb.configure(error_rates={}, http_5xx_rate=0.0)
    keys = [outbox_row(factory, i).idempotency_key for i in ids]
    counts = Counter(m["biz_opaque_callback_data"] for m in sb.messages(to=PHONE))
    assert all(counts[k] == 1 for k in keys), counts
    assert sb.stats()["errors"], "faults were injected, so some attempts must have failed"
    assert max(outbox_row(factory, i).attempts for i in ids) > 1


def test_hard_failure_is_recorded_with_metas_code_and_not_retried(
    niaga: LiveServer, factory: Any
) -> None:
    conv_id = conversation_with_open_window(niaga, factory)
    mid = queue(factory, conv_id, out.TemplateMessage(name="tidak_ada", language="id"))
    wait_for(lambda: outbox_row(factory, mid).state == "failed")
    row = outbox_row(factory, mid)
    assert row.attempts == 1 and row.error_code == 132001
    msg = message_row(factory, mid)
    assert msg.status == "failed" and msg.error_code == 132001
    assert msg.error_title


def test_the_channel_renders_the_stored_niaga_message_when_it_sends(
    niaga: LiveServer, factory: Any
) -> None:
    conv_id = conversation_with_open_window(niaga, factory)
    quoted = _inbound_wamid(factory)
    mid = queue(factory, conv_id, out.TextMessage(body="Siap kak"), reply_to_wamid=quoted)
    row = outbox_row(factory, mid)
    assert row.body is None and row.reply_to_wamid == quoted
    assert row.message == message_row(factory, mid).content  # Niaga's message, not Graph's
    wait_for(lambda: outbox_row(factory, mid).state == "sent")
    (sent,) = [
        m
        for m in SandboxControl(niaga.url).messages(to=PHONE)
        if m.get("biz_opaque_callback_data") == row.idempotency_key
    ]
    assert sent["body"]["text"]["body"] == "Siap kak"
    assert sent["body"]["context"]["message_id"] == quoted


def test_a_row_queued_before_the_change_is_sent_as_it_was_rendered(
    niaga: LiveServer, factory: Any
) -> None:
    conv_id = conversation_with_open_window(niaga, factory)
    body = out.TextMessage(body="Dari antrean lama").to_graph_body(PHONE, callback_data="old-1")
    with transaction(factory) as s:
        s.add(
            OutboxMessage(
                idempotency_key="old-1",
                phone_number_id=s.get_one(Conversation, conv_id).phone_number_id,
                recipient=PHONE,
                body=body,
                state="pending",
                next_attempt_at=clock.now(),
            )
        )
    wait_for(lambda: _state_of_key(factory, "old-1") == "sent")
    accepted = SandboxControl(niaga.url).messages(to=PHONE, type="text")
    assert "Dari antrean lama" in [m["body"]["text"]["body"] for m in accepted]


def test_a_message_the_channel_cannot_render_fails_without_a_send(
    niaga: LiveServer, factory: Any
) -> None:
    conv_id = conversation_with_open_window(niaga, factory)
    with transaction(factory) as s:  # as if stored by a newer version, with a kind we lack
        conv = s.get_one(Conversation, conv_id)
        message = Message(
            conversation_id=conv.id,
            contact_id=conv.contact_id,
            direction="out",
            type="hologram",
            content={"type": "hologram", "shape": "cube"},
            status="pending",
            origin="agent",
        )
        s.add(message)
        s.flush()
        s.add(
            OutboxMessage(
                idempotency_key="hologram-1",
                phone_number_id=conv.phone_number_id,
                recipient=PHONE,
                message=message.content,
                message_id=message.id,
                state="pending",
                next_attempt_at=clock.now(),
            )
        )
        mid = message.id
    wait_for(lambda: outbox_row(factory, mid).state == "failed")
    row = outbox_row(factory, mid)
    assert row.attempts == 1 and "cannot send this message" in (row.error_title or "")
    assert message_row(factory, mid).status == "failed"


def _state_of_key(factory: Any, key: str) -> str | None:
    with factory() as s:
        return s.scalars(
            select(OutboxMessage.state).where(OutboxMessage.idempotency_key == key)
        ).first()


def test_async_failure_from_meta_reaches_the_message(niaga: LiveServer, factory: Any) -> None:
    # A number that is not on WhatsApp: Meta accepts, then reports failed 131026 by webhook.
    conv_id = conversation_with_open_window(niaga, factory, phone="6281234560000")
    mid = queue(factory, conv_id, out.TextMessage(body="Halo"))
    wait_for(lambda: message_row(factory, mid).status == "failed", timeout=20)
    msg = message_row(factory, mid)
    assert msg.error_code == 131026 and msg.wamid


def test_window_closed_at_meta_is_recorded(niaga: LiveServer, factory: Any) -> None:
    # Niaga thinks the window is open (clock skew, another app...), Meta says 131047.
    conv_id = conversation_with_open_window(niaga, factory)
    SandboxControl(niaga.url).configure(window_hours=0)
    try:
        mid = queue(factory, conv_id, out.TextMessage(body="Halo"))
        wait_for(lambda: message_row(factory, mid).status == "failed", timeout=20)
        assert message_row(factory, mid).error_code == 131047
    finally:
        SandboxControl(niaga.url).configure(window_hours=24)


def test_mark_read_reaches_meta(niaga: LiveServer, factory: Any) -> None:
    conv_id = conversation_with_open_window(niaga, factory)
    with transaction(factory) as s:
        inbox.do_mark_read(s, s.get_one(Conversation, conv_id))
    wait_for(lambda: _state_of_kind(factory, "mark_read") == "sent")
    with factory() as s:
        assert s.get_one(Conversation, conv_id).unread_count == 0


def _state_of_kind(factory: Any, kind: str) -> str | None:
    with factory() as s:
        return s.scalars(select(OutboxMessage.state).where(OutboxMessage.kind == kind)).first()


# --- crash and timeout: a separate database and server, the dispatcher in its own process ---


@pytest.fixture
def isolated(fresh_database_url: str) -> Iterator[tuple[LiveServer, Any, str]]:
    """A server that processes webhooks but does not dispatch, on its own database."""
    url = fresh_database_url
    server = LiveServer(make_settings(url, free_port(), embedded_dispatch=False))
    server.start()
    engine = make_engine(url)
    try:
        yield server, make_sessionmaker(engine), url
    finally:
        server.stop()
        engine.dispose()


def start_worker(server: LiveServer, url: str, **env: str) -> subprocess.Popen[bytes]:
    full = {
        **os.environ,
        "NIAGA_DATABASE_URL": url,
        "NIAGA_WA_GRAPH_URL": f"{server.url}/sandbox",
        "NIAGA_SANDBOX": "0",
        "NIAGA_WA_MESSAGES_PER_SECOND": "100",
        "NIAGA_DISPATCH_LEASE_SECONDS": "2",
        "NIAGA_DISPATCH_IN_DOUBT_SECONDS": "4",
        "NIAGA_DISPATCH_BATCH_SIZE": "50",
        "NIAGA_DISPATCH_BACKOFF_BASE": "0.1",
        "NIAGA_LOG_LEVEL": "warning",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "niaga", "worker", "--no-process"], env=full, cwd=ROOT
    )


def queue_templates(factory: Any, n: int, customers: int) -> list[str]:
    keys = []
    with transaction(factory) as s:
        convs = []
        for c in range(customers):
            contact = Contact(wa_id=f"62812{c:08d}", phone=f"+62812{c:08d}", profile_name=f"P{c}")
            conv = Conversation(contact=contact, phone_number_id="106540352242922")
            s.add(conv)
            convs.append(conv)
        s.flush()
        for i in range(n):
            m = inbox.do_send_message(
                s, convs[i % customers], out.TemplateMessage(name="hello_world", language="en_US")
            )
            keys.append(
                s.scalars(
                    select(OutboxMessage.idempotency_key).where(OutboxMessage.message_id == m.id)
                ).one()
            )
    return keys


def test_dispatcher_killed_mid_run_sends_every_message_exactly_once(
    isolated: tuple[LiveServer, Any, str], redis_url: str
) -> None:
    server, factory, url = isolated
    sb = SandboxControl(server.url)
    sb.configure(latency_ms=40, pair_rate_enabled=False)
    keys = queue_templates(factory, 400, customers=40)
    first = start_worker(server, url)
    try:
        wait_for(lambda: sb.stats()["accepted"] >= 120, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    killed_at = sb.stats()["accepted"]
    assert killed_at < 400, "the kill must land mid-run"
    with factory() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state.in_(["sending", "in_doubt"]))
            )
            > 0
        ), "some sends must be in flight"
    # The restarted dispatcher paces through Redis, as workers on several machines would.
    second = start_worker(server, url, NIAGA_REDIS_URL=redis_url)
    try:
        wait_for(lambda: store.stats(factory).get("sent", 0) == 400, timeout=120)
    finally:
        second.terminate()
        second.wait(timeout=30)
    counts = Counter(m["biz_opaque_callback_data"] for m in sb.messages(limit=10000))
    assert sorted(counts) == sorted(keys)
    assert set(counts.values()) == {1}, [k for k, v in counts.items() if v > 1]
    with factory() as s:
        wamids = dict(s.execute(select(OutboxMessage.idempotency_key, OutboxMessage.wamid)).all())
        assert (
            s.scalar(select(func.count()).select_from(Message).where(Message.wamid.is_(None))) == 0
        )
    by_key = {m["biz_opaque_callback_data"]: m["wamid"] for m in sb.messages(limit=10000)}
    assert wamids == by_key


def test_retries_stop_after_max_attempts_with_metas_code(
    isolated: tuple[LiveServer, Any, str],
) -> None:
    server, factory, url = isolated
    sb = SandboxControl(server.url)
    sb.configure(error_rates={"131016": 1.0})
    queue_templates(factory, 1, customers=1)
    worker = start_worker(
        server, url, NIAGA_DISPATCH_MAX_ATTEMPTS="3", NIAGA_DISPATCH_BACKOFF_MAX="0.2"
    )
    try:
        wait_for(lambda: store.stats(factory).get("failed", 0) == 1, timeout=60)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    with factory() as s:
        row = s.scalars(select(OutboxMessage)).one()
        msg = s.get_one(Message, row.message_id)
    assert (row.attempts, row.error_code) == (3, 131016)
    assert (msg.status, msg.error_code) == ("failed", 131016)
    assert sb.messages() == []
    assert sb.stats()["errors"]["131016"] == 3


def test_timeout_after_the_request_left_is_not_resent(
    isolated: tuple[LiveServer, Any, str],
) -> None:
    server, factory, url = isolated
    sb = SandboxControl(server.url)
    # Every response is held 3 s (longer than the 1 s client timeout) but the send goes through.
    sb.configure(timeout_rate=1.0, timeout_seconds=3.0, pair_rate_enabled=False)
    keys = queue_templates(factory, 5, customers=5)
    worker = start_worker(server, url, NIAGA_WA_REQUEST_TIMEOUT="1")
    try:
        wait_for(lambda: store.stats(factory).get("sent", 0) == 5, timeout=60)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    counts = Counter(m["biz_opaque_callback_data"] for m in sb.messages())
    assert {k: counts[k] for k in keys} == dict.fromkeys(keys, 1)
