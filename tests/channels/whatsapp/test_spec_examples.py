"""Every webhook example in Meta's OpenAPI spec (``/whatsapp/webhooks``) parses.

The examples are extracted once from the 1 MB YAML by
``tests/fixtures/whatsapp/extract_spec_examples.py`` into ``spec_examples.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from niaga.channels.content import Cart, NumberChange
from niaga.channels.whatsapp.parse import parse_webhook
from niaga.channels.whatsapp.types import AccountUpdate, InboundMessage, UnknownChange

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "whatsapp"
EXAMPLES: dict[str, Any] = json.loads((FIXTURES / "spec_examples.json").read_text())

# Meta's Groups API webhooks: kept whole as account-level updates (niaga.community.whatsapp
# reads the groups they name).
GROUP_FIELDS = {"group_lifecycle_update", "group_participants_update", "group_settings_update"}

# example name -> (type, subtype, text) of its single inbound message
EXPECTED: dict[str, tuple[str, str | None, str | None]] = {
    "post Text Message": ("text", None, "Does it come in another color?"),
    "post Text Message with Context (Product Inquiry)": ("text", None, "Is this still available?"),
    "post Text Message from Click to WhatsApp Ad": (
        "text",
        None,
        "Hello! Can I get more info on this?",
    ),
    "post Reaction Message": ("reaction", None, "👍"),
    "post Image Message": ("image", None, "Taj Mahal"),
    "post Location Message": (
        "location",
        None,
        "Philz Coffee, 101 Forest Ave, Palo Alto, CA 94301",
    ),
    "post Contact Sharing Message": ("contacts", None, "Lucía Gómez"),
    "post Unsupported Message": ("unsupported", None, None),
    "post Button Message": ("button", None, "Unsubscribe"),
    "post Interactive List Reply Message": ("interactive", "list_reply", "Priority Mail Express"),
    "post Interactive Button Reply Message": ("interactive", "button_reply", "Cancel"),
    "post Order Message": ("order", None, None),
    "post System Message": (
        "system",
        "user_changed_number",
        "User Sheena Nelson changed from 16505551234 to 12195555358",
    ),
}


def test_the_spec_has_examples() -> None:
    assert len(EXAMPLES) >= 16
    assert set(EXPECTED) <= set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_spec_example_parses(name: str) -> None:
    parsed = parse_webhook(json.dumps(EXAMPLES[name]).encode())
    assert parsed.object == "whatsapp_business_account"
    assert parsed.items, name
    for item in parsed.items:
        assert not isinstance(item, UnknownChange), (name, item.reason)
        if isinstance(item, AccountUpdate):
            assert item.field in GROUP_FIELDS, name
            assert item.payload["groups"][0]["group_id"] and item.waba_id
            continue
        assert isinstance(item, InboundMessage), (name, item)
        assert item.wamid.startswith("wamid.") and item.from_wa_id and item.phone_number_id
        assert (item.type, item.subtype, item.text) == EXPECTED[name]
        assert item.timestamp.tzinfo is not None


def test_spec_examples_details() -> None:
    def msg(name: str) -> InboundMessage:
        (item,) = parse_webhook(json.dumps(EXAMPLES[name]).encode()).items
        assert isinstance(item, InboundMessage)
        return item

    inquiry = msg("post Text Message with Context (Product Inquiry)")
    ref = inquiry.content.asked_about
    assert ref is not None and ref.sku and ref.catalog
    ad = msg("post Text Message from Click to WhatsApp Ad")
    assert ad.referral is not None and ad.referral.source_kind == "ad"
    reaction = msg("post Reaction Message")
    assert reaction.target_wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA"
    image = msg("post Image Message")
    assert (image.media_id, image.mime_type) == ("1003383421387256", "image/jpeg")
    unsupported = msg("post Unsupported Message")
    assert [e.code for e in unsupported.errors] == [131051]
    order = msg("post Order Message")
    assert isinstance(order.content, Cart) and order.content.items
    system = msg("post System Message")
    assert isinstance(system.content, NumberChange)
    assert system.content.new_number == "12195555358"
