"""The team inbox over real HTTP: sign-in, list, thread, composer actions, organising."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, ConversationActivity, Message
from niaga.inbox.quick_replies import do_save_quick_reply
from niaga.security.models import User, WebSession
from niaga.templates.models import MessageTemplate
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import PASSWORD, act, csrf, login, make_user

PHONE = "6281234567811"


def customer_writes(niaga: LiveServer, factory: Any, text: str = "Halo kak, gamis L ada?") -> int:
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Dewi Lestari")
    sb.send(PHONE, type="text", text=text)

    def conv_id() -> int | None:
        with factory() as s:
            return s.scalars(select(Conversation.id)).first()

    return wait_for(conv_id)


def test_login_wrong_password_and_redirects(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    anon = httpx.Client(base_url=niaga.url, headers={"Accept": "text/html"})
    r = anon.get("/inbox?view=mine")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/inbox%3Fview%3Dmine"
    assert anon.post(
        "/inbox/c/1/send", json={}, headers={"Accept": "application/json"}
    ).status_code in (
        401,
        403,
    )
    page = anon.get("/login")
    assert "Masuk" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    bad = anon.post(
        "/login",
        data={"email": "agent@toko.test", "password": "salah-salah-1", "csrf_token": token},
    )
    assert bad.status_code == 401 and "Email atau kata sandi salah" in bad.text
    forged = httpx.post(
        f"{niaga.url}/login", data={"email": "agent@toko.test", "password": PASSWORD}
    )
    assert forged.status_code == 403
    client = login(niaga.url, "agent@toko.test")
    cookie = client.cookies.get("niaga_session")
    assert cookie
    raw = [h for h in [client.get("/login")] if h]  # still reachable while signed in
    assert raw
    with factory() as s:
        stored = s.scalars(select(WebSession.token_hash)).one()
    assert stored != cookie and len(stored) == 64  # only the hash is stored


def test_session_cookie_flags(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    anon = httpx.Client(base_url=niaga.url)
    page = anon.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = anon.post(
        "/login", data={"email": "agent@toko.test", "password": PASSWORD, "csrf_token": token}
    )
    set_cookie = [
        v for k, v in r.headers.multi_items() if k == "set-cookie" and "niaga_session" in v
    ]
    assert set_cookie and "HttpOnly" in set_cookie[0] and "SameSite=lax" in set_cookie[0]


def test_csrf_is_required_for_actions(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    conv = customer_writes(niaga, factory)
    client = login(niaga.url, "agent@toko.test")
    r = client.post(
        f"/inbox/c/{conv}/status",
        json={"status": "resolved"},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 403
    r = client.post(
        f"/inbox/c/{conv}/status",
        json={"status": "resolved"},
        headers={"X-CSRF-Token": "wrong", "Accept": "application/json"},
    )
    assert r.status_code == 403
    assert act(client, f"/inbox/c/{conv}/status", {"status": "resolved"}).status_code == 200


def test_inbox_lists_and_opens_a_conversation(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    conv = customer_writes(niaga, factory)
    client = login(niaga.url, "agent@toko.test")
    page = client.get("/inbox")
    assert page.status_code == 200
    assert "Dewi Lestari" in page.text and "Halo kak, gamis L ada?" in page.text
    thread = client.get(f"/inbox/c/{conv}")
    assert thread.status_code == 200 and "Halo kak, gamis L ada?" in thread.text
    assert "+6281234567811" in thread.text
    # A link to the page with the conversation open renders list and thread together.
    both = client.get(f"/inbox?c={conv}")
    assert both.status_code == 200
    assert both.text.count("Halo kak, gamis L ada?") >= 2 and 'id="composer"' in both.text
    # Opening marks it read at Meta.
    assert act(client, f"/inbox/c/{conv}/read").json() == {"unread": 0}
    sb = SandboxControl(niaga.url)
    wait_for(lambda: sb.stats().get("marked_read", 0) >= 1)
    # Search by name, by phone digits and by message text; an unrelated term finds nothing.
    for q in ("dewi", "4567811", "gamis"):
        assert "Dewi Lestari" in client.get("/inbox/list", params={"q": q}).text
    assert "Dewi Lestari" not in client.get("/inbox/list", params={"q": "sepatu"}).text


def test_reply_with_quick_reply_note_label_assign_resolve(niaga: LiveServer, factory: Any) -> None:
    agent_id = make_user(factory, "agent", name="Rina")
    conv = customer_writes(niaga, factory)
    with transaction(factory) as s:
        do_save_quick_reply(
            s, shortcut="salam", body="Halo kak {{nama}}, saya {{agen}} siap membantu 🙏"
        )
    client = login(niaga.url, "agent@toko.test")
    found = client.get("/inbox/quick-replies", params={"q": "/sa", "conversation_id": conv}).json()[
        "items"
    ]
    assert found == [
        {
            "shortcut": "salam",
            "title": None,
            "body": "Halo kak Dewi Lestari, saya Rina siap membantu 🙏",
        }
    ]
    r = act(
        client,
        f"/inbox/c/{conv}/send",
        {"message": {"type": "text", "body": found[0]["body"]}, "idempotency_key": "k1"},
    )
    assert r.status_code == 200, r.text
    again = act(
        client,
        f"/inbox/c/{conv}/send",
        {"message": {"type": "text", "body": found[0]["body"]}, "idempotency_key": "k1"},
    )
    assert again.json()["id"] == r.json()["id"]  # a double click sends once
    sb = SandboxControl(niaga.url)
    got = wait_for(lambda: [m for m in sb.messages(to=PHONE) if m["body"].get("type") == "text"])
    assert len(got) == 1 and got[0]["body"]["text"]["body"].startswith("Halo kak Dewi")
    # Replying assigned the chat to the agent.
    with factory() as s:
        assert s.get(Conversation, conv).assigned_user_id == agent_id

    assert (
        act(client, f"/inbox/c/{conv}/note", {"body": "Pelanggan lama, kasih diskon"}).status_code
        == 200
    )
    assert (
        act(client, f"/inbox/c/{conv}/labels", {"name": "Keluhan"}).status_code == 404
    )  # agents cannot create labels
    owner = make_user(factory, "owner")
    assert owner
    boss = login(niaga.url, "owner@toko.test")
    label_id = act(boss, f"/inbox/c/{conv}/labels", {"name": "Pesanan Baru"}).json()["label_id"]
    assert act(
        client, f"/inbox/c/{conv}/labels", {"label_id": label_id, "action": "remove"}
    ).json() == {
        "changed": True,
        "label_id": label_id,
    }
    assert act(client, f"/inbox/c/{conv}/labels", {"label_id": label_id}).json()["changed"] is True
    assert act(
        client, f"/inbox/c/{conv}/labels", {"label_id": label_id, "target": "contact"}
    ).json()["changed"]
    assert act(client, f"/inbox/c/{conv}/assign", {"user_id": None, "team_id": None}).json() == {
        "changed": True
    }
    assert (
        act(client, f"/inbox/c/{conv}/status", {"status": "resolved"}).json()["status"]
        == "resolved"
    )
    # The note never left Niaga; the thread and the list show everything.
    assert not [m for m in sb.messages(to=PHONE) if "diskon" in str(m["body"])]
    view = client.get(f"/inbox/c/{conv}").text
    assert "Pelanggan lama, kasih diskon" in view and "Catatan internal" in view
    assert "Pesanan Baru" in client.get("/inbox/list", params={"status": "resolved"}).text
    with factory() as s:
        kinds = [
            a.kind
            for a in s.scalars(select(ConversationActivity).order_by(ConversationActivity.id))
        ]
        note = s.scalars(select(Message).where(Message.direction == "note")).one()
    assert kinds == [
        "assigned",
        "label_added",
        "label_removed",
        "label_added",
        "assigned",
        "status",
    ]
    assert note.status == "note" and note.wamid is None


def test_closed_window_offers_templates_and_refuses_free_form(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "agent")
    conv = customer_writes(niaga, factory)
    with transaction(factory) as s:
        s.add(
            MessageTemplate(
                name="pesanan_dikirim",
                language="id",
                category="UTILITY",
                status="APPROVED",
                parameter_format="POSITIONAL",
                components=[{"type": "BODY", "text": "Halo {{1}}, pesanan {{2}} sudah dikirim."}],
            )
        )
    clock.advance(timedelta(hours=25))
    try:
        client = login(niaga.url, "agent@toko.test")
        page = client.get(f"/inbox/c/{conv}")
        view = page.text
        assert "Jendela 24 jam sudah tertutup" in view, (page.status_code, page.headers)
        assert "pesanan_dikirim" in view
        r = act(client, f"/inbox/c/{conv}/send", {"message": {"type": "text", "body": "Halo"}})
        assert r.status_code == 409 and r.json()["window_closed"] is True
        templates = client.get("/inbox/templates").json()["items"]
        assert [t["body_params"] for t in templates if t["name"] == "pesanan_dikirim"] == [
            ["1", "2"]
        ]
    finally:
        clock.reset()


def test_language_switch_per_user(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    client = login(niaga.url, "agent@toko.test")
    assert "Kotak masuk" in client.get("/inbox").text
    token = csrf(client)
    r = client.post("/me/locale", data={"locale": "en", "back": "/inbox", "csrf_token": token})
    assert r.status_code == 303
    page = client.get("/inbox").text
    assert "Inbox" in page and "Kotak masuk" not in page
    with factory() as s:
        assert s.scalars(select(User.locale)).one() == "en"


def test_invite_flow(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    token = csrf(owner)
    r = owner.post(
        "/settings/users/invite",
        data={"email": "budi@toko.test", "name": "Budi", "role": "agent", "csrf_token": token},
    )
    assert r.status_code == 303
    page = owner.get(r.headers["location"]).text
    link = re.search(r'id="invite-link"[^>]*|value="(http[^"]+/invite/[^"]+)"', page)
    url = re.search(r'value="(http[^"]+/invite/[^"]+)"', page).group(1)
    assert link
    invitee = httpx.Client(headers={"Accept": "text/html"})
    assert "Budi" in invitee.get(url).text
    short = invitee.post(url, data={"password": "pendek", "password2": "pendek"})
    assert short.status_code == 400
    ok = invitee.post(url, data={"password": PASSWORD, "password2": PASSWORD})
    assert ok.status_code == 303
    assert invitee.get(url).status_code == 404  # used once
    login(niaga.url, "budi@toko.test")


def test_media_in_and_out(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Dewi Lestari")
    sb.send(PHONE, type="image", caption="Yang ini ready kak?")

    def image_id() -> int | None:
        with factory() as s:
            return s.scalars(select(Message.id).where(Message.type == "image")).first()

    message_id = wait_for(image_id)
    client = login(niaga.url, "agent@toko.test")
    assert httpx.get(f"{niaga.url}/inbox/media/{message_id}").status_code == 401
    first = client.get(f"/inbox/media/{message_id}")
    assert first.status_code == 200 and first.content.startswith(b"\xff\xd8\xff")
    assert first.headers["content-type"] == "image/jpeg"
    assert client.get(f"/inbox/media/{message_id}").content == first.content  # from the cache
    view = client.get(f"/inbox/c/{image_id_conv(factory)}").text
    assert f'src="/inbox/media/{message_id}"' in view and "Yang ini ready kak?" in view

    png = png_bytes()
    r = client.post(
        f"/inbox/c/{image_id_conv(factory)}/media",
        files={"file": ("katalog.png", png, "image/png")},
        data={"caption": "Ini katalognya kak", "idempotency_key": "m1"},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert r.status_code == 200, r.text
    sent = wait_for(lambda: [m for m in sb.messages(to=PHONE) if m["type"] == "image"])
    link = sent[0]["body"]["image"]["link"]
    assert sent[0]["body"]["image"]["caption"] == "Ini katalognya kak"
    assert link.startswith(f"{niaga.url}/media/out/") and "&sig=" in link
    fetched = httpx.get(link)  # Meta downloads it from there: Niaga's re-encoding
    assert fetched.status_code == 200 and fetched.content.startswith(b"\x89PNG")
    assert fetched.headers["content-type"] == "image/png"
    assert httpx.get(link.split("?")[0]).status_code == 404  # unsigned: not for strangers
    assert client.get(link.split("?")[0]).status_code == 200  # a signed-in colleague may
    assert httpx.get(f"{niaga.url}/media/out/..%2Fniaga.db").status_code == 404
    too_big = client.post(
        f"/inbox/c/{image_id_conv(factory)}/media",
        files={"file": ("besar.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 1), "image/png")},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert too_big.status_code == 422 and "lebih besar" in too_big.json()["detail"]


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", size, (200, 30, 30, 128)).save(out, "PNG")
    return out.getvalue()


def image_id_conv(factory: Any) -> int:
    with factory() as s:
        return s.scalars(select(Conversation.id)).one()


def test_quick_replies_fill_the_latest_order_and_mask_the_number(
    niaga: LiveServer, factory: Any
) -> None:
    from niaga.contacts.models import Contact
    from niaga.orders.models import Order
    from niaga.security import permissions
    from niaga.security.models import User

    agent_id = make_user(factory, "agent", name="Rina")
    conv = customer_writes(niaga, factory)
    with transaction(factory) as s:
        do_save_quick_reply(
            s,
            shortcut="lacak",
            body="Pesanan {{no_pesanan}} ({{status_pesanan}}, {{total}}) dikirim {{kurir}} "
            "resi {{resi}}: {{link_lacak}}. Nomor kakak {{telepon}}",
        )
        contact = s.scalars(select(Contact)).one()
        for number, total in ((10001, 150_000), (10002, 320_000)):
            s.add(
                Order(
                    number=number,
                    contact_id=contact.id,
                    conversation_id=conv,
                    status="dikirim",
                    total=total,
                    courier="JNE",
                    tracking_number=f"JNE{number}",
                    tracking_url=f"https://cekresi.example/JNE{number}",
                )
            )
    client = login(niaga.url, "agent@toko.test")

    def body() -> str:
        found = client.get("/inbox/quick-replies", params={"q": "/la", "conversation_id": conv})
        return found.json()["items"][0]["body"]

    assert body() == (
        "Pesanan #10002 (Dikirim, Rp320.000) dikirim JNE resi JNE10002: "
        "https://cekresi.example/JNE10002. Nomor kakak +6281234567811"
    )
    with transaction(factory) as s:
        permissions.do_set(s, s.get(User, agent_id), {"see_phone_numbers": False})
    assert body().endswith("Nomor kakak +62812****7811")
