"""Files from outside can never run as a page of Niaga's: what customers send, agents' uploads
and links stored in messages (HTML, SVG, an HTML/JPEG polyglot, ``javascript:`` links)."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from niaga.core.db import transaction
from niaga.inbox.models import Conversation, Message
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import csrf, login, make_user

PHONE = "6281234567822"
HTML = b"<html><body><script>fetch('/api/v1/contacts').then(r=>r.text())</script></body></html>"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
    b"<script>alert(1)</script></svg>"
)


def polyglot_jpeg() -> bytes:
    """A valid JPEG whose comment segment holds an HTML page with script."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 120, 200)).save(out, "JPEG")
    data = out.getvalue()
    comment = b"<html><script>alert(document.domain)</script></html>"
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:2] + segment + data[2:]


def inbound(
    niaga: LiveServer, factory: Any, kind: str, data: bytes, mime: str, **extra: Any
) -> int:
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Penyusup")
    sb.send(
        PHONE,
        type=kind,
        mime_type=mime,
        data_base64=base64.b64encode(data).decode(),
        **extra,
    )

    def found() -> int | None:
        with factory() as s:
            return s.scalars(
                select(Message.id).where(Message.type == kind).order_by(Message.id.desc())
            ).first()

    return wait_for(found)


def assert_cannot_run(r: httpx.Response) -> None:
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"].startswith("sandbox")
    assert "text/html" not in r.headers["content-type"]
    assert "svg" not in r.headers["content-type"]


@pytest.mark.parametrize(
    ("kind", "data", "mime"),
    [
        ("document", HTML, "text/html"),
        ("document", SVG, "image/svg+xml"),
        ("image", SVG, "image/svg+xml"),
        ("image", HTML, "image/jpeg"),  # lies about its type
        ("sticker", HTML, "image/webp"),
    ],
)
def test_customer_files_are_downloads_never_pages(
    niaga: LiveServer, factory: Any, kind: str, data: bytes, mime: str
) -> None:
    make_user(factory, "agent")
    message_id = inbound(niaga, factory, kind, data, mime, filename="invoice.html")
    agent = login(niaga.url, "agent@toko.test")
    r = agent.get(f"/inbox/media/{message_id}")
    assert_cannot_run(r)
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment;")


def test_polyglot_image_is_shown_only_as_niagas_reencoding(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    message_id = inbound(niaga, factory, "image", polyglot_jpeg(), "image/jpeg")
    agent = login(niaga.url, "agent@toko.test")
    r = agent.get(f"/inbox/media/{message_id}")
    assert_cannot_run(r)
    assert r.headers["content-type"] == "image/jpeg"
    assert b"<script" not in r.content and b"<html" not in r.content
    assert Image.open(io.BytesIO(r.content)).size == (16, 16)


def test_stored_javascript_link_is_never_followed_or_rendered(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "agent")
    inbound(niaga, factory, "image", polyglot_jpeg(), "image/jpeg")
    with transaction(factory) as s:
        conv = s.scalars(select(Conversation)).one()
        bad = []
        for link in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>"):
            m = Message(
                conversation_id=conv.id,
                contact_id=conv.contact_id,
                origin="agent",
                direction="out",
                type="document",
                status="sent",
                content={"link": link, "filename": "x.pdf"},
            )
            s.add(m)
            s.flush()
            bad.append(m.id)
        good = Message(
            conversation_id=conv.id,
            contact_id=conv.contact_id,
            origin="agent",
            direction="out",
            type="document",
            status="sent",
            content={"link": "https://example.com/katalog.pdf", "filename": "katalog.pdf"},
        )
        s.add(good)
        s.flush()
        good_id = good.id
        conv_id = conv.id
    agent = login(niaga.url, "agent@toko.test")
    for message_id in bad:
        assert agent.get(f"/inbox/media/{message_id}").status_code == 404
    r = agent.get(f"/inbox/media/{good_id}")
    assert r.status_code == 303 and r.headers["location"] == "https://example.com/katalog.pdf"
    page = agent.get(f"/inbox/c/{conv_id}").text
    assert "javascript:" not in page.lower() and "data:text/html" not in page


def test_agent_uploads_are_checked_reencoded_and_behind_a_signed_link(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "agent")
    inbound(niaga, factory, "image", polyglot_jpeg(), "image/jpeg")
    agent = login(niaga.url, "agent@toko.test")
    with factory() as s:
        conv_id = s.scalars(select(Conversation.id)).one()
    token = csrf(agent)

    def upload(name: str, data: bytes, mime: str) -> httpx.Response:
        return agent.post(
            f"/inbox/c/{conv_id}/media",
            files={"file": (name, data, mime)},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )

    assert upload("x.html", HTML, "text/html").status_code == 422
    assert upload("x.svg", SVG, "image/svg+xml").status_code == 422
    assert upload("x.png", HTML, "image/png").status_code == 422  # not a readable image
    assert upload("foto.jpg", polyglot_jpeg(), "image/jpeg").status_code == 200
    assert upload("harga.pdf", b"%PDF-1.4 daftar harga", "application/pdf").status_code == 200
    sb = SandboxControl(niaga.url)
    sent = wait_for(lambda: len(sb.messages(to=PHONE)) >= 2 and sb.messages(to=PHONE))
    links = {m["type"]: m["body"][m["type"]]["link"] for m in sent}
    image = httpx.get(links["image"])
    assert_cannot_run(image)
    assert b"<script" not in image.content
    doc = httpx.get(links["document"])
    assert_cannot_run(doc)
    assert doc.headers["content-type"] == "application/pdf"  # Meta checks the type
    assert doc.headers["content-disposition"].startswith("attachment;")
    assert links["image"].split("/media/out/")[1].split("?")[0].endswith(".jpg")
    # Without the signature, or with a forged or widened one, strangers get nothing.
    bare = links["image"].split("?")[0]
    assert httpx.get(bare).status_code == 404
    assert httpx.get(bare + "?exp=99999999999&sig=" + "0" * 32).status_code == 404
    exp = links["image"].split("exp=")[1].split("&")[0]
    sig = links["image"].split("sig=")[1]
    assert httpx.get(f"{bare}?exp={int(exp) + 1}&sig={sig}").status_code == 404
