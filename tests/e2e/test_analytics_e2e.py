"""The owner reads the dashboard in real headless Chromium: this week's figures with their
bands and formulas, then another period, then this week against a chosen earlier week."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page, expect

from niaga.analytics import rollups
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, Message
from tests.conftest import LiveServer
from tests.e2e.test_inbox_e2e import screenshot, sign_in
from tests.web.web_helpers import make_user


def messages(
    factory: Any, ago: timedelta, statuses: list[str], said: tuple[str, ...] = (), n: int = 1
) -> None:
    """A chat with the business's messages in ``statuses`` and the customer's ``said``."""
    at = clock.now() - ago
    with transaction(factory) as s:
        contact = Contact(phone=f"+62812345{len(statuses):02d}{ago.days:03d}{n}", wa_id=None)
        s.add(contact)
        s.flush()
        chat = Conversation(contact_id=contact.id, phone_number_id="1", status="open")
        s.add(chat)
        s.flush()
        for status in statuses:
            s.add(
                Message(
                    conversation_id=chat.id,
                    contact_id=contact.id,
                    direction="out",
                    type="text",
                    status=status,
                    origin="agent",
                    created_at=at,
                    received_at=at,
                )
            )
        for text in said:
            s.add(
                Message(
                    conversation_id=chat.id,
                    contact_id=contact.id,
                    direction="in",
                    type="text",
                    status="received",
                    origin="customer",
                    text=text,
                    created_at=at,
                    received_at=at,
                )
            )
    rollups.refresh(factory, "Asia/Jakarta")  # as the worker does every few seconds


def test_owner_reads_the_week_switches_period_and_compares(
    niaga: LiveServer, factory: Any, page: Page
) -> None:
    make_user(factory, "owner", email="sari@toko.test", name="Sari")
    messages(factory, timedelta(0), ["read"] * 8 + ["delivered"] * 2)  # this week: 80 % read
    messages(factory, timedelta(0), [], ("Sudah transfer ya kak 🙏", "Barangnya bagus banget"), n=2)
    messages(factory, timedelta(0), [], ("Kok lama banget sih, kecewa",), n=3)
    messages(factory, timedelta(days=14), ["read"] * 2 + ["delivered"] * 8)  # 20 % read
    sign_in(page, niaga.url, "sari@toko.test")
    page.get_by_role("link", name="Analitik").click()
    expect(page).to_have_url(re.compile(r"/analytics"))
    opened = page.locator('[data-figure="open_rate"]')
    expect(opened).to_contain_text("80.0%")
    expect(opened).to_contain_text("Baik")
    expect(opened.locator(".formula")).to_contain_text("Dibaca ÷ terkirim × 100 %. (8 / 10)")
    expect(opened.locator("[data-change]")).to_have_count(0)  # nothing the week before

    page.locator("select[name=period]").select_option("month")
    page.locator("#period-form").get_by_role("button", name="Tampilkan").click()
    expect(page).to_have_url(re.compile(r"period=month"))
    expect(page.locator("#period-label")).to_contain_text(clock.now().strftime("%Y-%m")[:4])

    # This week against the chosen earlier week (a strategy change in between).
    earlier = (clock.now() - timedelta(days=14)).date().isoformat()
    page.locator("select[name=period]").select_option("week")
    page.get_by_label("Bandingkan dengan periode yang memuat").fill(earlier)
    page.locator("#period-form").get_by_role("button", name="Tampilkan").click()
    change = page.locator('[data-figure="open_rate"] [data-change]')
    expect(change).to_contain_text("+60.0 poin")
    expect(change).to_contain_text("(+300.0%)")
    expect(change).to_contain_text("lebih dari kebetulan")

    # A goal of the owner's own: customers who say they paid.
    page.locator("#goals summary").click()
    form = page.locator("#goal-form")
    form.get_by_label("Nama").fill("Sudah bayar")
    form.get_by_label("Tercapai saat").select_option("phrase")
    form.get_by_label("Frasa (satu per baris)").fill("sudah transfer")
    form.get_by_role("button", name="Tambah sasaran").click()
    expect(page.locator("#goal-list")).to_contain_text("Sudah bayar")
    goal = page.locator("[data-goal].figure")
    for _ in range(50):  # the server's worker counts the goal's days
        if goal.count() and "50.0%" in goal.inner_text():
            break
        page.wait_for_timeout(200)
        page.reload()
    expect(goal).to_contain_text("Konversi ke Sudah bayar")
    expect(goal).to_contain_text("50.0%")  # one of the two chats the customers wrote in
    expect(goal.locator(".formula")).to_contain_text("(1 / 2)")
    screenshot(page, "analytics.png", full_page=True)
