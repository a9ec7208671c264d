"""``/api/v1`` through real HTTP, the sandbox standing in for Meta."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, Message
from niaga.outbox.models import OutboxMessage
from niaga.security.tokens import do_create_token
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl

PHONE = "6281234567801"


def token(factory: Any, role: str = "agent") -> dict[str, str]:
    with transaction(factory) as s:
        _, secret = do_create_token(s, name=f"test-{role}", role=role)
    return {"Authorization": f"Bearer {secret}"}


def open_conversation(niaga: LiveServer, factory: Any, phone: str = PHONE) -> int:
    """A sandbox customer writes; returns the conversation id once Niaga has it."""
    sb = SandboxControl(niaga.url)
    sb.customer(phone, "Siti Rahmawati")
    sb.send(phone, type="text", text="Halo kak, gamis L ada?")

    def conv_id() -> int | None:
        with factory() as s:
            return s.scalars(select(Conversation.id)).first()

    return wait_for(conv_id)


def api(
    niaga: LiveServer, method: str, path: str, headers: dict[str, str], **kw: Any
) -> httpx.Response:
    return httpx.request(method, f"{niaga.url}/api/v1{path}", headers=headers, timeout=30, **kw)


def test_health_and_openapi(niaga: LiveServer) -> None:
    assert httpx.get(f"{niaga.url}/healthz").json()["status"] == "ok"
    spec = httpx.get(f"{niaga.url}/openapi.json").json()
    for path in (
        "/api/v1/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}/messages",
        "/api/v1/messages/{wamid}",
        "/webhooks/whatsapp",
    ):
        assert path in spec["paths"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nga_wrong"}, {"Authorization": "Basic x"}]
)
def test_token_is_required(niaga: LiveServer, headers: dict[str, str]) -> None:
    r = api(niaga, "GET", "/contacts", headers)
    assert r.status_code == 401
    assert r.json()["detail"] == "Token API tidak ada atau tidak valid."


def test_contacts_filter_by_phone_in_any_format(niaga: LiveServer, factory: Any) -> None:
    open_conversation(niaga, factory)
    h = token(factory, "agent")
    analyst = token(factory, "analyst")  # an analyst may find them, with the number masked
    for phone in ("+6281234567801", "081234567801", "62 812-3456-7801"):
        items = api(niaga, "GET", "/contacts", h, params={"phone": phone}).json()["items"]
        assert [c["phone"] for c in items] == ["+6281234567801"]
        assert items[0]["name"] == "Siti Rahmawati"
        found = api(niaga, "GET", "/contacts", analyst, params={"phone": phone}).json()["items"]
        assert [c["phone"] for c in found] == ["+62812****7801"]
    assert (
        api(niaga, "GET", "/contacts", h, params={"phone": "+6281299999999"}).json()["items"] == []
    )
    bad = api(niaga, "GET", "/contacts", {**h, "Accept-Language": "en"}, params={"phone": "abc"})
    assert bad.status_code == 422 and bad.json()["detail"] == "Not a valid phone number: abc"
    contact_id = items[0]["id"]
    assert api(niaga, "GET", f"/contacts/{contact_id}", h).json()["wa_id"] == PHONE
    assert api(niaga, "GET", "/contacts/999999", h).status_code == 404


def test_conversation_and_messages_are_listed(niaga: LiveServer, factory: Any) -> None:
    conv_id = open_conversation(niaga, factory)
    h = token(factory, "analyst")
    convs = api(niaga, "GET", "/conversations", h).json()
    assert [c["id"] for c in convs] == [conv_id]
    assert convs[0]["window_open"] is True and convs[0]["status"] == "open"
    one = api(niaga, "GET", f"/conversations/{conv_id}", h).json()
    assert one["contact"]["phone"] == "+62812****7801"  # analysts see numbers masked
    msgs = api(niaga, "GET", f"/conversations/{conv_id}/messages", h).json()["items"]
    assert [(m["direction"], m["text"]) for m in msgs] == [("in", "Halo kak, gamis L ada?")]
    wamid = msgs[0]["wamid"]
    assert api(niaga, "GET", f"/messages/{wamid}", h).json()["status"] == "received"


def test_analyst_may_read_but_not_send(niaga: LiveServer, factory: Any) -> None:
    conv_id = open_conversation(niaga, factory)
    h = token(factory, "analyst")
    r = api(
        niaga,
        "POST",
        f"/conversations/{conv_id}/messages",
        h,
        json={"message": {"type": "text", "body": "Halo"}},
    )
    assert r.status_code == 403
    assert "analyst" in r.json()["detail"]


def test_send_text_reaches_the_customer_and_ticks_to_read(niaga: LiveServer, factory: Any) -> None:
    conv_id = open_conversation(niaga, factory)
    h = token(factory)
    r = api(
        niaga,
        "POST",
        f"/conversations/{conv_id}/messages",
        h,
        json={"message": {"type": "text", "body": "Ada kak, warna navy dan hitam."}},
    )
    assert r.status_code == 202, r.text
    sent = r.json()
    assert sent["status"] == "pending" and sent["direction"] == "out"
    sb = SandboxControl(niaga.url)
    got = wait_for(lambda: sb.messages(to=PHONE))
    assert len(got) == 1
    assert got[0]["body"]["text"]["body"] == "Ada kak, warna navy dan hitam."

    def status() -> str:
        with factory() as s:
            return s.scalars(select(Message.status).where(Message.id == sent["id"])).one()

    wait_for(lambda: status() == "read", timeout=20)
    with factory() as s:
        wamid = s.scalars(select(Message.wamid).where(Message.id == sent["id"])).one()
    assert wamid == got[0]["wamid"]
    assert api(niaga, "GET", f"/messages/{wamid}", h).json()["status"] == "read"


def test_window_closed_is_refused_before_sending(niaga: LiveServer, factory: Any) -> None:
    conv_id = open_conversation(niaga, factory)
    clock.advance(timedelta(hours=24, minutes=1))
    h = token(factory)
    r = api(
        niaga,
        "POST",
        f"/conversations/{conv_id}/messages",
        h,
        json={"message": {"type": "text", "body": "Halo lagi"}},
    )
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "window_closed"
    assert "Jendela layanan pelanggan 24 jam sudah tertutup" in body["detail"]
    assert "template" in body["detail"]
    assert body["closed_at"]
    en = api(
        niaga,
        "POST",
        f"/conversations/{conv_id}/messages",
        {**h, "Accept-Language": "en"},
        json={"message": {"type": "text", "body": "Hi again"}},
    )
    assert "Send an approved template" in en.json()["detail"]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert api(niaga, "GET", f"/conversations/{conv_id}", h).json()["window_open"] is False
    # A template is allowed outside the window.
    t = api(
        niaga,
        "POST",
        f"/conversations/{conv_id}/messages",
        h,
        json={"message": {"type": "template", "name": "hello_world", "language": "en_US"}},
    )
    assert t.status_code == 202, t.text


def test_idempotency_key_queues_once(niaga: LiveServer, factory: Any) -> None:
    conv_id = open_conversation(niaga, factory)
    h = {**token(factory), "Idempotency-Key": "order-10023-reply"}
    bodies = [
        api(
            niaga,
            "POST",
            f"/conversations/{conv_id}/messages",
            h,
            json={"message": {"type": "text", "body": "Pesanan dikirim hari ini"}},
        ).json()
        for _ in range(3)
    ]
    assert len({b["id"] for b in bodies}) == 1
    sb = SandboxControl(niaga.url)
    wait_for(lambda: sb.messages(to=PHONE))
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_invalid_message_is_a_clear_422(niaga: LiveServer, factory: Any) -> None:
    conv_id = open_conversation(niaga, factory)
    h = token(factory)
    r = api(
        niaga,
        "POST",
        f"/conversations/{conv_id}/messages",
        h,
        json={
            "message": {
                "type": "button",
                "body": "Pilih",
                "buttons": [{"id": f"b{i}", "title": f"Pilihan {i}"} for i in range(4)],
            }
        },
    )
    assert r.status_code == 422


def test_token_use_is_stamped_without_blocking_reads(niaga: LiveServer, factory: Any) -> None:
    from niaga.security.models import ApiToken

    h = token(factory, "analyst")
    for _ in range(3):
        assert api(niaga, "GET", "/contacts", h).status_code == 200
    with factory() as s:
        stamps = s.scalars(select(ApiToken.last_used_at)).all()
    assert len(stamps) == 1 and stamps[0] is not None
