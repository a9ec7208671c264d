"""A person chats as a customer on /sandbox/phone while the business answers through Niaga."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from niaga.core.db import transaction
from niaga.security.tokens import do_create_token
from tests.channels.sandbox.test_phone import png
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl

# The README's screenshot is rewritten only on request (NIAGA_UPDATE_SCREENSHOTS=1).
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "sandbox-phone.png"


class Api:
    """Niaga's /api/v1, as the agent's side would call it."""

    def __init__(self, niaga: LiveServer, factory: Any) -> None:
        with transaction(factory) as s:
            _, secret = do_create_token(s, name="e2e-phone", role="agent")
        self.base = f"{niaga.url}/api/v1"
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **params: Any) -> Any:
        r = httpx.get(f"{self.base}{path}", headers=self.headers, params=params, timeout=30)
        r.raise_for_status()
        return r.json()

    def conversation(self, phone: str) -> dict[str, Any] | None:
        return next((c for c in self.get("/conversations") if c["contact"]["phone"] == phone), None)

    def inbound(self, conversation_id: int) -> list[dict[str, Any]]:
        items = self.get(f"/conversations/{conversation_id}/messages", limit=100)["items"]
        return [m for m in items if m["direction"] == "in"]

    def send(self, conversation_id: int, message: dict[str, Any]) -> str:
        """The business sends; returns the wamid once the dispatcher sent it."""
        r = httpx.post(
            f"{self.base}/conversations/{conversation_id}/messages",
            headers=self.headers,
            json={"message": message},
            timeout=30,
        )
        assert r.status_code == 202, r.text
        message_id = r.json()["id"]

        def wamid() -> str | None:
            items = self.get(f"/conversations/{conversation_id}/messages", limit=100)["items"]
            return next((m["wamid"] for m in items if m["id"] == message_id), None)

        return wait_for(wamid)


def test_customer_chats_on_the_phone(
    niaga: LiveServer, factory: Any, page: Page, tmp_path: Path
) -> None:
    # The phone alone decides when the customer reads (no random automatic reads).
    SandboxControl(niaga.url).configure(read_probability=0.0)
    api = Api(niaga, factory)
    page.goto(f"{niaga.url}/sandbox/phone")
    expect(page.get_by_text("Pilih pelanggan di sebelah kiri")).to_be_visible()

    # Create a customer; a bad number is refused first, with nothing lost.
    page.get_by_placeholder("Nama").fill("Siti Rahmawati")
    page.get_by_placeholder("0812-3456-7890").fill("0812")
    page.get_by_role("button", name="Buat").click()
    expect(page.locator("#nc-error")).to_contain_text("Nomor telepon tidak valid")
    expect(page.get_by_placeholder("Nama")).to_have_value("Siti Rahmawati")
    page.get_by_placeholder("0812-3456-7890").fill("0812-3456-7890")
    page.get_by_role("button", name="Buat").click()
    expect(page.locator("#chat-number")).to_have_text("+6281234567890")

    # The customer writes; Niaga records it.
    page.get_by_placeholder("Ketik pesan").fill("Halo kak, gamis L masih ada?")
    page.get_by_placeholder("Ketik pesan").press("Enter")
    expect(page.locator(".row.out .text")).to_have_text("Halo kak, gamis L masih ada?")
    conversation = wait_for(lambda: api.conversation("+6281234567890"))
    assert conversation["contact"]["name"] == "Siti Rahmawati"
    conv = conversation["id"]
    assert [m["text"] for m in wait_for(lambda: api.inbound(conv))] == [
        "Halo kak, gamis L masih ada?"
    ]

    # The business answers with text, reply buttons and a list: they appear without reload.
    text_wamid = api.send(conv, {"type": "text", "body": "Masih ada kak, mau warna apa?"})
    api.send(
        conv,
        {
            "type": "reply_buttons",
            "body": "Mau dikirim kapan?",
            "buttons": [
                {"id": "kirim_hari_ini", "title": "Hari ini"},
                {"id": "besok", "title": "Besok"},
            ],
        },
    )
    api.send(
        conv,
        {
            "type": "list",
            "header": "Warna gamis",
            "body": "Pilih warna yang kakak suka",
            "button": "Pilih warna",
            "sections": [
                {
                    "title": "Warna",
                    "rows": [
                        {"id": "navy", "title": "Navy", "description": "Paling laris"},
                        {"id": "hitam", "title": "Hitam"},
                    ],
                }
            ],
        },
    )
    chat = page.locator("#messages")
    expect(chat.get_by_text("Masih ada kak, mau warna apa?")).to_be_visible()
    expect(chat.get_by_role("button", name="Besok", exact=True)).to_be_visible()
    expect(chat.get_by_role("button", name="☰ Pilih warna", exact=True)).to_be_visible()

    # The chat is on screen, so the customer read it: the agent's ticks turn blue.
    wait_for(lambda: api.get(f"/messages/{text_wamid}")["status"] == "read")

    # Tap a reply button, then choose a list row.
    chat.get_by_role("button", name="Besok", exact=True).click()
    expect(page.locator(".row.out .text", has_text="Besok")).to_be_visible()
    chat.get_by_role("button", name="☰ Pilih warna", exact=True).click()
    page.locator("#list-dialog").get_by_text("Navy").click()
    page.locator("#list-send").click()
    expect(page.locator("#list-dialog")).to_be_hidden()

    # Share a location (Monas by default).
    page.get_by_role("button", name="Kirim lokasi").click()
    expect(page.locator("#loc-name")).to_have_value("Monumen Nasional (Monas)")
    page.locator("#loc-send").click()
    expect(page.locator(".row.out .loc-name")).to_have_text("Monumen Nasional (Monas)")

    def recorded() -> dict[str, dict[str, Any]] | None:
        rows = {m["type"]: m for m in api.inbound(conv)}
        return rows if len(rows) >= 4 else None

    rows = wait_for(recorded)
    button = next(m for t, m in rows.items() if "button_reply" in t)
    assert button["content"]["choice_id"] == "besok"
    row = next(m for t, m in rows.items() if "list_reply" in t)
    assert row["content"]["choice_id"] == "navy"
    assert rows["location"]["content"]["latitude"] == -6.175392

    # A quoted reply from the business and a product list, for the screenshot.
    api.send(
        conv,
        {
            "type": "product_list",
            "catalog_id": "194836987003835",
            "header": "Gamis navy",
            "body": "Ini pilihan gamis navy kami",
            "sections": [
                {
                    "title": "Gamis",
                    "product_items": [
                        {"product_retailer_id": "gamis-navy-l"},
                        {"product_retailer_id": "gamis-navy-xl"},
                    ],
                }
            ],
        },
    )
    expect(chat.get_by_role("button", name="🛍 Lihat produk", exact=True)).to_be_visible()
    # A photo from the device (in a screenshot-sized window).
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator("#photo").set_input_files(
        files=[{"name": "gamis.png", "mimeType": "image/png", "buffer": png(96)}]
    )
    expect(page.locator(".row.out .media img")).to_be_visible()
    wait_for(lambda: any(m["type"] == "image" for m in api.inbound(conv)))

    shot = SCREENSHOT if os.environ.get("NIAGA_UPDATE_SCREENSHOTS") == "1" else tmp_path / "p.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


def test_phone_page_in_english(niaga: LiveServer, page: Page) -> None:
    SandboxControl(niaga.url).customer("6281234567801", "Budi Santoso")
    page.goto(f"{niaga.url}/sandbox/phone?lang=en&chat=6281234567801")
    expect(page.get_by_placeholder("Type a message")).to_be_visible()
    expect(page.locator("#chat-name")).to_have_text("Budi Santoso")
    page.get_by_placeholder("Type a message").fill("   ")
    page.locator("#send").click()
    page.get_by_placeholder("Type a message").fill("<b>not bold</b>")
    page.locator("#send").click()
    expect(page.locator(".row.out .text")).to_have_text("<b>not bold</b>")
    assert page.locator(".row.out .text b").count() == 0
