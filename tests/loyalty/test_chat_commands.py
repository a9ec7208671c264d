"""Which messages are loyalty commands: short ones, typos tolerated, and not a size swap."""

from __future__ import annotations

import pytest

from niaga.loyalty.chat import command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("POIN", "points"),
        ("poin", "points"),
        ("cek poinn", "points"),
        ("Poin saya berapa", None),  # "saya" is not a filler: a question for an agent
        ("berapa poin ku", None),
        ("cek poin dong", "points"),
        ("point", "points"),
        ("TUKAR", "redeem"),
        ("tukr", "redeem"),
        ("tukar poin", "redeem"),
        ("mau tukar hadiah", "redeem"),
        ("tukar ukuran", None),  # swapping a size is not redeeming points
        ("kak mau tukar barang yang rusak", None),
        ("halo", None),
        ("", None),
        (None, None),
        ("poin " * 20, None),
    ],
)
def test_commands(text: str | None, expected: str | None) -> None:
    assert command(text) == expected
