"""GraphClient against a real HTTP server on 127.0.0.1 that answers like Meta."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from niaga.channels.base import Channel
from niaga.channels.whatsapp import errors as E
from niaga.channels.whatsapp.channel import WhatsAppChannel
from niaga.channels.whatsapp.graph import GraphClient, MediaInfo, SentMessage
from niaga.channels.whatsapp.outgoing import TextMessage

TOKEN = "EAAG-test-token"
PNID = "106540352242922"
WABA = "102290129340398"
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA"

ERRORS: dict[str, tuple[int, int, str]] = {
    # recipient → (HTTP status, Meta code, message)
    "e130429": (400, 130429, "(#130429) Rate limit hit"),
    "e131056": (400, 131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit"),
    "e131047": (400, 131047, "Re-engagement message"),
    "e131026": (400, 131026, "Message undeliverable"),
    "e131000": (500, 131000, "Something went wrong"),
    "e190": (401, 190, "Error validating access token: Session has expired"),
    "e132001": (404, 132001, "Template name does not exist in the translation"),
}


@dataclass
class Meta:
    """A tiny Graph API stand-in that records what it received."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    slow_seconds: float = 3.0


def meta_error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": f"details {code}"},
                "fbtrace_id": "AbC123",
            }
        },
        status=status,
    )


TEMPLATES = [{"name": f"tpl_{i}", "language": "id", "status": "APPROVED"} for i in range(5)]


def build_app(meta: Meta) -> web.Application:
    routes = web.RouteTableDef()

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        meta.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "auth": request.headers.get("Authorization"),
            }
        )
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return meta_error(401, 190, "Invalid OAuth access token.")
        return await handler(request)

    @routes.post("/v23.0/{pnid}/messages")
    async def messages(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        meta.requests[-1]["json"] = body
        if body.get("status") == "read":
            return web.json_response({"success": True})
        to = body["to"]
        if to in ERRORS:
            return meta_error(*ERRORS[to])
        if to == "slow":
            await asyncio.sleep(meta.slow_seconds)
        if to == "drop":
            assert request.transport is not None
            request.transport.close()
            await asyncio.sleep(0.5)
        if to == "html502":
            return web.Response(
                status=502, text="<html>Bad gateway</html>", content_type="text/html"
            )
        if to == "noid":
            return web.json_response({"messaging_product": "whatsapp", "messages": []})
        if to == "garbage":
            return web.Response(status=200, text="not json")
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                "messages": [{"id": WAMID, "message_status": "accepted"}],
            }
        )

    @routes.post("/v23.0/{pnid}/media")
    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        file = form["file"]
        assert isinstance(file, web.FileField)
        meta.uploads.append(
            {
                "content_type": request.content_type,
                "messaging_product": form["messaging_product"],
                "type": form["type"],
                "filename": file.filename,
                "file_content_type": file.content_type,
                "data": file.file.read(),
            }
        )
        return web.json_response({"id": "4490709327384033"})

    @routes.get("/v23.0/{waba}/message_templates")
    async def list_templates(request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "25"))
        start = int(request.query.get("after", "0"))
        chunk = [t for t in TEMPLATES if request.query.get("status", "APPROVED") == t["status"]]
        page = chunk[start : start + limit]
        body: dict[str, Any] = {"data": page}
        end = start + len(page)
        if request.match_info["waba"] == "nextonly":
            # Only an absolute next URL (as Meta sends with the token in the query).
            if end < len(chunk):
                body["paging"] = {
                    "next": f"{meta.url}/v23.0/nextonly/message_templates?limit={limit}&after={end}"
                }
        else:
            body["paging"] = {"cursors": {"before": str(start), "after": str(end)}}
            if end < len(chunk):
                body["paging"]["next"] = f"https://elsewhere.example/next?after={end}"
        return web.json_response(body)

    @routes.post("/v23.0/{waba}/message_templates")
    async def create_template(request: web.Request) -> web.Response:
        meta.requests[-1]["json"] = await request.json()
        return web.json_response(
            {"id": "594425479261596", "status": "PENDING", "category": "MARKETING"}
        )

    @routes.delete("/v23.0/{waba}/message_templates")
    async def delete_template(request: web.Request) -> web.Response:
        return web.json_response({"success": True})

    @routes.get("/v23.0/{pnid}/whatsapp_business_profile")
    async def get_profile(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "data": [
                    {
                        "about": "Toko Sari",
                        "messaging_product": "whatsapp",
                        "websites": ["https://tokosari.id"],
                    }
                ]
            }
        )

    @routes.post("/v23.0/{pnid}/whatsapp_business_profile")
    async def update_profile(request: web.Request) -> web.Response:
        meta.requests[-1]["json"] = await request.json()
        return web.json_response({"success": True})

    @routes.get("/files/{name}")
    async def file(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG-bytes", content_type="image/png")

    @routes.get("/v23.0/{node}")
    async def node(request: web.Request) -> web.Response:
        node_id = request.match_info["node"]
        if node_id == PNID:
            return web.json_response(
                {
                    "id": PNID,
                    "display_phone_number": "+62 812-3456-7890",
                    "verified_name": "Toko Sari",
                    "quality_rating": "GREEN",
                }
            )
        if node_id == "missing":
            return meta_error(400, 100, "Unsupported get request.")
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{meta.url}/files/{node_id}",
                "mime_type": "image/png",
                "sha256": "abc",
                "file_size": "10",
                "id": node_id,
            }
        )

    @routes.delete("/v23.0/{node}")
    async def delete_node(request: web.Request) -> web.Response:
        return web.json_response({"success": True})

    app = web.Application(middlewares=[record])
    app.add_routes(routes)
    return app


@pytest.fixture
async def meta() -> AsyncIterator[Meta]:
    state = Meta()
    runner = web.AppRunner(build_app(state), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


@pytest.fixture
async def client(meta: Meta) -> AsyncIterator[GraphClient]:
    async with GraphClient(meta.url, "v23.0", TOKEN, timeout=1.0) as c:
        yield c


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----------------------------------------------------------------- sending


async def test_send_message_success_and_bearer(client: GraphClient, meta: Meta) -> None:
    body = TextMessage(body="Halo kak").to_graph_body("+6281234567890")
    sent = await client.send_message(PNID, body)
    assert sent == SentMessage(
        wamid=WAMID, wa_id="6281234567890", input="+6281234567890", message_status="accepted"
    )
    req = meta.requests[-1]
    assert req["auth"] == f"Bearer {TOKEN}"
    assert req["path"] == f"/v23.0/{PNID}/messages" and req["method"] == "POST"
    assert req["json"] == body


async def test_mark_read_with_typing(client: GraphClient, meta: Meta) -> None:
    await client.mark_read(PNID, WAMID, typing=True)
    assert meta.requests[-1]["json"] == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": WAMID,
        "typing_indicator": {"type": "text"},
    }


@pytest.mark.parametrize(
    ("to", "cls", "status", "retryable"),
    [
        ("e130429", E.RateLimitError, 400, True),
        ("e131056", E.PairRateLimitError, 400, True),
        ("e131047", E.WindowClosedError, 400, False),
        ("e131026", E.RecipientError, 400, False),
        ("e131000", E.TransientGraphError, 500, True),
        ("e190", E.AuthError, 401, False),
        ("e132001", E.TemplateError, 404, False),
    ],
)
async def test_meta_errors_are_typed(
    client: GraphClient, to: str, cls: type[E.GraphError], status: int, retryable: bool
) -> None:
    with pytest.raises(cls) as info:
        await client.send_message(PNID, TextMessage(body="x").to_graph_body(to))
    err = info.value
    assert err.http_status == status and err.retryable is retryable
    assert err.code == ERRORS[to][1] and err.message == ERRORS[to][2]
    assert err.details == f"details {err.code}" and err.fbtrace_id == "AbC123"


async def test_wrong_token_is_an_auth_error(meta: Meta) -> None:
    async with GraphClient(meta.url, "v23.0", "wrong", timeout=1.0) as c:
        with pytest.raises(E.AuthError):
            await c.send_message(PNID, TextMessage(body="x").to_graph_body("1"))


async def test_html_5xx_without_meta_body_is_transient(client: GraphClient) -> None:
    with pytest.raises(E.TransientGraphError) as info:
        await client.send_message(PNID, TextMessage(body="x").to_graph_body("html502"))
    assert info.value.code == E.NO_CODE and info.value.http_status == 502


async def test_odd_success_bodies_are_in_doubt(client: GraphClient) -> None:
    for to in ("noid", "garbage"):
        with pytest.raises(E.GraphTransportError) as info:
            await client.send_message(PNID, TextMessage(body="x").to_graph_body(to))
        assert info.value.maybe_delivered is True


# ----------------------------------------------------------------- transport failures


async def test_timeout_after_sending_may_have_delivered(client: GraphClient) -> None:
    with pytest.raises(E.GraphTransportError) as info:
        await client.send_message(PNID, TextMessage(body="x").to_graph_body("slow"))
    assert info.value.maybe_delivered is True
    assert "timed out after sending" in str(info.value)


async def test_dropped_connection_may_have_delivered(client: GraphClient) -> None:
    with pytest.raises(E.GraphTransportError) as info:
        await client.send_message(PNID, TextMessage(body="x").to_graph_body("drop"))
    assert info.value.maybe_delivered is True


async def test_connection_refused_was_not_delivered() -> None:
    async with GraphClient(f"http://127.0.0.1:{closed_port()}", "v23.0", TOKEN, 1.0) as c:
        with pytest.raises(E.GraphTransportError) as info:
            await c.send_message(PNID, TextMessage(body="x").to_graph_body("1"))
    assert info.value.maybe_delivered is False


async def test_dns_failure_was_not_delivered() -> None:
    async with GraphClient("http://graph.invalid", "v23.0", TOKEN, 2.0) as c:
        with pytest.raises(E.GraphTransportError) as info:
            await c.send_message(PNID, TextMessage(body="x").to_graph_body("1"))
    assert info.value.maybe_delivered is False


async def test_timeout_before_sending_was_not_delivered(meta: Meta) -> None:
    # One connection only, held by a slow call: the next request times out waiting for the
    # connection, so it was never sent.
    meta.slow_seconds = 1.5
    async with GraphClient(meta.url, "v23.0", TOKEN, timeout=0.5, max_connections=1) as c:

        async def hold_the_connection() -> int:
            async with c.session.post(
                f"{meta.url}/v23.0/{PNID}/messages",
                json={"to": "slow"},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=aiohttp.ClientTimeout(total=5),
            ) as resp:
                return resp.status

        holder = asyncio.create_task(hold_the_connection())
        await asyncio.sleep(0.1)
        with pytest.raises(E.GraphTransportError) as info:
            await c.send_message(PNID, TextMessage(body="x").to_graph_body("queued"))
        assert info.value.maybe_delivered is False
        assert "before sending" in str(info.value)
        assert await holder == 200
    sent_to = [r.get("json", {}).get("to") for r in meta.requests]
    assert "queued" not in sent_to


async def test_foreign_session_is_conservative(meta: Meta) -> None:
    async with aiohttp.ClientSession() as session:
        c = GraphClient(f"http://127.0.0.1:{closed_port()}", "v23.0", TOKEN, 1.0, session)
        with pytest.raises(E.GraphTransportError) as info:
            await c.send_message(PNID, {"to": "1"})
        assert info.value.maybe_delivered is False  # refused is certain either way
        c2 = GraphClient(meta.url, "v23.0", TOKEN, 0.5, session)
        with pytest.raises(E.GraphTransportError) as info:
            await c2.send_message(PNID, TextMessage(body="x").to_graph_body("slow"))
        assert info.value.maybe_delivered is True
        await c2.close()
        assert not session.closed  # not ours to close


# ----------------------------------------------------------------- media


async def test_upload_media_multipart(client: GraphClient, meta: Meta) -> None:
    media_id = await client.upload_media(PNID, b"%PDF-1.4 data", "application/pdf", "katalog.pdf")
    assert media_id == "4490709327384033"
    up = meta.uploads[-1]
    assert up["content_type"] == "multipart/form-data"
    assert up["messaging_product"] == "whatsapp"
    assert up["type"] == "application/pdf"
    assert up["filename"] == "katalog.pdf" and up["file_content_type"] == "application/pdf"
    assert up["data"] == b"%PDF-1.4 data"
    assert meta.requests[-1]["auth"] == f"Bearer {TOKEN}"


async def test_get_download_delete_media(client: GraphClient, meta: Meta) -> None:
    info = await client.get_media("998877")
    assert info == MediaInfo(
        id="998877",
        url=f"{meta.url}/files/998877",
        mime_type="image/png",
        sha256="abc",
        file_size=10,
    )
    assert await client.download_media(info.url) == b"\x89PNG-bytes"
    assert meta.requests[-1]["auth"] == f"Bearer {TOKEN}"
    with pytest.raises(E.GraphTransportError, match="larger than 4 bytes"):
        await client.download_media(info.url, max_bytes=4)
    await client.delete_media("998877")
    assert meta.requests[-1]["method"] == "DELETE"
    assert meta.requests[-1]["path"] == "/v23.0/998877"
    with pytest.raises(E.InvalidRequestError):
        await client.get_media("missing")


# ----------------------------------------------------------------- templates and profile


async def test_list_templates_follows_cursors(client: GraphClient, meta: Meta) -> None:
    items = await client.list_templates(WABA, limit=2, status="APPROVED")
    assert [t["name"] for t in items] == [f"tpl_{i}" for i in range(5)]
    pages = [r for r in meta.requests if r["path"].endswith("/message_templates")]
    assert [p["query"].get("after") for p in pages] == [None, "2", "4"]
    assert all(p["query"]["status"] == "APPROVED" and p["query"]["limit"] == "2" for p in pages)
    assert all(r["auth"] == f"Bearer {TOKEN}" for r in pages)


async def test_list_templates_follows_next_url(client: GraphClient, meta: Meta) -> None:
    items = await client.list_templates("nextonly", limit=2)
    assert len(items) == 5
    assert len([r for r in meta.requests if r["path"].endswith("/message_templates")]) == 3


async def test_create_and_delete_template(client: GraphClient, meta: Meta) -> None:
    tpl = {
        "name": "konfirmasi_pesanan",
        "category": "UTILITY",
        "language": "id",
        "components": [{"type": "BODY", "text": "Halo {{1}}, pesanan {{2}} kami terima."}],
    }
    assert (await client.create_template(WABA, tpl))["status"] == "PENDING"
    assert meta.requests[-1]["json"] == tpl
    await client.delete_template(WABA, "konfirmasi_pesanan", hsm_id="123")
    assert meta.requests[-1]["method"] == "DELETE"
    assert meta.requests[-1]["query"] == {"name": "konfirmasi_pesanan", "hsm_id": "123"}
    await client.delete_template(WABA, "promo")
    assert meta.requests[-1]["query"] == {"name": "promo"}


async def test_phone_number_and_business_profile(client: GraphClient, meta: Meta) -> None:
    phone = await client.get_phone_number(PNID, fields=("verified_name", "quality_rating"))
    assert phone["verified_name"] == "Toko Sari"
    assert meta.requests[-1]["query"] == {"fields": "verified_name,quality_rating"}
    profile = await client.get_business_profile(PNID)
    assert profile["about"] == "Toko Sari"
    await client.update_business_profile(PNID, {"about": "Buka 08.00-21.00"})
    assert meta.requests[-1]["json"] == {
        "messaging_product": "whatsapp",
        "about": "Buka 08.00-21.00",
    }


async def test_whatsapp_channel_implements_the_protocol(meta: Meta) -> None:
    async with WhatsAppChannel(GraphClient(meta.url, "v23.0", TOKEN, 1.0)) as channel:
        assert isinstance(channel, Channel)
        sent = await channel.send(PNID, TextMessage(body="x").to_graph_body("62811"))
        assert sent.wamid == WAMID
        await channel.mark_read(PNID, WAMID)
        assert meta.requests[-1]["json"]["status"] == "read"
        assert len(await channel.list_templates(WABA)) == 5
    assert channel.client._session is None  # closed


async def test_session_is_shared_and_recreated_after_close(meta: Meta) -> None:
    c = GraphClient(meta.url + "/", "v23.0", TOKEN, 1.0)
    await c.send_message(PNID, TextMessage(body="x").to_graph_body("1"))
    first = c.session
    await c.send_message(PNID, TextMessage(body="x").to_graph_body("2"))
    assert c.session is first
    await c.close()
    assert first.closed
    await c.send_message(PNID, TextMessage(body="x").to_graph_body("3"))
    assert c.session is not first
    await c.close()
