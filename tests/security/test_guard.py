"""The sensitive-data guard: what counts as a card number, NIK, bank account or password and
what does not; the composer warns, blocks or lets the shop's own account through; customers'
values masked when stored; suspicious links marked in the inbox."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from niaga.inbox.models import Conversation, Message
from niaga.security import guard
from niaga.security.models import AuditEntry
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.security.test_two_factor import set_policy
from tests.web.web_helpers import csrf, login, make_user

SENSITIVE = [
    ("Nomor kartu saya 4111 1111 1111 1111 exp 12/27", "card"),
    ("cc 5500-0000-0000-0004", "card"),
    ("visa 4012888888881881 ya", "card"),
    ("NIK 3174095512900001 atas nama Sari", "nik"),
    ("ktp: 3273014108950003", "nik"),
    ("Transfer ke rek BCA 1234567890 a/n Budi", "bank_account"),
    ("no rekening mandiri: 137-00-1234567-8", "bank_account"),
    ("norek 0987654321 bri", "bank_account"),
    ("password: rahasia123", "password"),
    ("Kata sandinya adalah Melati2024!", "password"),
    ("kode OTP: 482913 jangan kasih siapa2", "password"),
    ("pin nya adalah 1234", "password"),
]
HARMLESS = [
    "Halo kak, nomor saya 081234567890",
    "Total Rp150.000 ya kak, ongkir Rp20.000",
    "Pesanan #10023 sudah dikirim, resi JP1234567890",
    "Saya pesan 2 gamis ukuran L tanggal 12/12/2026",
    "nomor 4111 1111 1111 1112 salah ketik",  # fails the Luhn check
    "kode promo HEMAT10 berlaku sampai besok",
    "1234567890123456",  # 16 digits that are not shaped like an NIK (province 12, month 90)
]


@pytest.mark.parametrize(("text", "kind"), SENSITIVE)
def test_sensitive_values_are_found(text: str, kind: str) -> None:
    assert [f.kind for f in guard.findings(text)] == [kind]
    hidden = guard.masked(text)
    found = guard.findings(text)[0]
    assert text[found.start : found.end] not in hidden and "••••" in hidden


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_messages_are_left_alone(text: str) -> None:
    assert guard.findings(text) == [] and guard.masked(text) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("cek http://103.21.44.9/login kak", "ip_address"),
        ("klik bit.ly/promo-murah", "shortener"),
        ("https://s.id/hadiah", "shortener"),
        ("https://whatsaap.com/verifikasi", "lookalike"),
        ("https://bca-secure-login.com/akun", "lookalike"),
        ("https://promo-shopee.xyz/klaim", "lookalike"),
        ("https://sh0pee.co/voucher", "lookalike"),
        ("https://xn--80ak6aa92e.com", "punycode"),
    ],
)
def test_suspicious_links_are_named(text: str, reason: str) -> None:
    assert [link.reason for link in guard.suspicious_links(text)] == [reason]


@pytest.mark.parametrize(
    "text",
    [
        "https://www.tokopedia.com/tokosari",
        "https://shopee.co.id/product/123",
        "https://wa.me/6281234567890",
        "https://www.bca.co.id/id/promo",
        "lihat katalog kami di https://tokosari.id/katalog",
        "https://instagram.com/tokosari",
    ],
)
def test_ordinary_links_are_not_marked(text: str) -> None:
    assert guard.suspicious_links(text) == []


def conversation(niaga: LiveServer, factory: Any, phone: str, text: str) -> int:
    sb = SandboxControl(niaga.url)
    sb.customer(phone, "Siti")
    sb.send(phone, type="text", text=text)

    def found() -> int | None:
        with factory() as s:
            return s.scalars(select(Conversation.id)).first()

    return wait_for(found)


def kinds(factory: Any) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(AuditEntry.kind).order_by(AuditEntry.id)))


def test_the_composer_warns_blocks_and_lets_the_shops_account_through(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "agent")
    conv = conversation(niaga, factory, "6281234500777", "mau bayar kak")
    agent = login(niaga.url, "agent@toko.test")
    headers = {"X-CSRF-Token": csrf(agent), "Accept": "application/json"}

    def send(body: str, **extra: Any) -> Any:
        message = {"type": "text", "body": body}
        return agent.post(
            f"/inbox/c/{conv}/send", json={"message": message, **extra}, headers=headers
        )

    card = "Kartu ibu 4111 1111 1111 1111 ya"
    warned = send(card)
    assert warned.status_code == 409 and warned.json()["code"] == "sensitive_warn"
    assert warned.json()["kinds"] == ["card"] and "Tetap kirim" in warned.json()["detail"]
    assert send(card, confirm_sensitive=True).status_code == 200
    assert "guard.sent_anyway" in kinds(factory)
    set_policy(factory, guard_outgoing="block", guard_allowed=["BCA 123-456-7890"])
    blocked = send("NIK 3174095512900001", confirm_sensitive=True)
    assert blocked.status_code == 422 and blocked.json()["code"] == "sensitive_blocked"
    assert "guard.blocked" in kinds(factory)  # kept although the send was refused
    ours = send("Silakan transfer ke rek BCA 1234567890 a/n Toko Sari")
    assert ours.status_code == 200  # the shop's own account
    set_policy(factory, guard_outgoing="off")
    assert send("password: rahasia123").status_code == 200


def test_customers_values_are_masked_when_stored_and_links_marked(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "agent")
    set_policy(factory, guard_mask_inbound=True)
    conv = conversation(
        niaga, factory, "6281234500888", "Ini kartu saya 4111 1111 1111 1111, cek bit.ly/abc"
    )
    with factory() as s:
        stored = s.scalars(select(Message.text).where(Message.direction == "in")).one()
        preview = s.get(Conversation, conv).last_message_preview
    assert "4111 1111 1111 1111" not in stored and "••••1111" in stored
    assert "4111 1111 1111 1111" not in (preview or "")
    page = login(niaga.url, "agent@toko.test").get(f"/inbox/c/{conv}").text
    assert 'data-suspicious="shortener"' in page and "Tautan mencurigakan" in page
