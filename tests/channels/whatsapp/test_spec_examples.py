"""Every webhook example in Meta's OpenAPI spec parses (extracted by
tests/fixtures/whatsapp/extract_spec_examples.py into spec_examples.json)."""

from __future__ import annotations

import json

import pytest

from niaga.channels.whatsapp.parse import parse_webhook
from niaga.channels.whatsapp.types import InboundMessage, UnknownChange
from tests.conftest import FIXTURES

EXAMPLES: dict[str, object] = json.loads((FIXTURES / "spec_examples.json").read_text())
GROUP_FIELDS = {"group_lifecycle_update", "group_participants_update", "group_settings_update"}


def test_the_spec_has_examples() -> None:
    assert len(EXAMPLES) >= 16


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_spec_example_parses(name: str) -> None:
    parsed = parse_webhook(json.dumps(EXAMPLES[name]).encode())
    assert parsed.items, name
    for item in parsed.items:
        if isinstance(item, UnknownChange):
            # Groups are not modelled yet: kept whole, never an error.
            assert item.field in GROUP_FIELDS, (name, item.reason)
            assert item.value
        else:
            assert isinstance(item, InboundMessage), (name, item)
            assert item.wamid and item.from_wa_id and item.type


def test_spec_examples_cover_the_main_message_types() -> None:
    types = set()
    for payload in EXAMPLES.values():
        for item in parse_webhook(json.dumps(payload).encode()).items:
            if isinstance(item, InboundMessage):
                types.add(item.type)
    assert {
        "text",
        "image",
        "location",
        "contacts",
        "interactive",
        "button",
        "order",
        "reaction",
        "system",
        "unsupported",
    } <= types
