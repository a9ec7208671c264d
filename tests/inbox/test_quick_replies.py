"""Quick replies: shortcuts, placeholders, search."""

from __future__ import annotations

from typing import Any

import pytest

from niaga.contacts.models import Contact
from niaga.core.db import transaction
from niaga.inbox.quick_replies import (
    QuickReplyError,
    do_save_quick_reply,
    normalise_shortcut,
    render,
    search,
)


def test_placeholders_are_filled_and_unknown_ones_kept() -> None:
    contact = Contact(
        phone="+6281234567890", profile_name="Siti Rahmawati", attributes={"kota": "Bekasi"}
    )
    body = (
        "Halo {{nama_depan}} ({{ nama }}, {{telepon}}) dari {{kota}}: "
        "saya {{agen}} di {{toko}} {{resi}}"
    )
    assert render(body, contact, "Rina", "Toko Sari") == (
        "Halo Siti (Siti Rahmawati, +6281234567890) dari Bekasi: saya Rina di Toko Sari {{resi}}"
    )
    nameless = Contact(phone="+6281234567890")
    assert render("Halo kak {{nama}}", nameless) == "Halo kak {{nama}}"


@pytest.mark.parametrize("raw", ["/Ongkir", "ongkir", " /ongkir "])
def test_shortcuts_are_normalised(raw: str) -> None:
    assert normalise_shortcut(raw) == "ongkir"


@pytest.mark.parametrize("raw", ["", "/", "ada spasi", "x" * 65, "/émoji"])
def test_bad_shortcuts_are_refused(raw: str) -> None:
    with pytest.raises(QuickReplyError):
        normalise_shortcut(raw)


def test_no_limit_unique_shortcuts_and_search(factory: Any) -> None:
    with transaction(factory) as s:
        for i in range(120):  # the phone app stops at 50
            do_save_quick_reply(s, shortcut=f"jawab{i:03d}", body=f"Jawaban {i}")
        do_save_quick_reply(s, shortcut="ongkir", title="Ongkos kirim", body="Rp10.000")
    with transaction(factory) as s, pytest.raises(QuickReplyError, match="already exists"):
        do_save_quick_reply(s, shortcut="/ONGKIR", body="lain")
    with factory() as s:
        assert [q.shortcut for q in search(s, "/ong")] == ["ongkir"]
        assert [q.shortcut for q in search(s, "kirim")] == ["ongkir"]  # by title
        assert len(search(s, "jawab", limit=500)) == 120
