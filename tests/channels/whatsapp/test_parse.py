"""The webhook parser on real-shaped payloads (tests/fixtures/whatsapp)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from niaga.channels.whatsapp.parse import WebhookPayloadError, parse_webhook
from niaga.channels.whatsapp.types import (
    AccountUpdate,
    ChangeError,
    InboundMessage,
    StatusUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    UnknownChange,
    UserPreference,
)
from tests.conftest import FIXTURES


def load(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def one(name: str) -> Any:
    items = parse_webhook(load(name)).items
    assert len(items) == 1, items
    return items[0]


def test_text_from_metas_own_example() -> None:
    m = one("text")
    assert isinstance(m, InboundMessage)
    assert m.wamid == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    assert (m.type, m.text, m.from_wa_id, m.profile_name) == (
        "text",
        "Does it come in another color?",
        "16505551234",
        "Sheena Nelson",
    )
    assert m.timestamp == datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC)
    assert (m.phone_number_id, m.display_phone_number, m.waba_id) == (
        "106540352242922",
        "15550783881",
        "102290129340398",
    )
    assert m.context is None and m.referral is None


@pytest.mark.parametrize(
    ("name", "type_", "subtype", "text"),
    [
        ("image", "image", None, "Warna navy"),
        ("video", "video", None, None),
        ("audio", "audio", None, None),
        ("voice", "audio", "voice", None),
        ("document", "document", None, "Invoice"),
        ("sticker", "sticker", None, None),
        ("location", "location", None, "Toko Sari"),
        ("contacts", "contacts", None, "Rina Wulandari"),
        ("button_reply", "interactive", "button_reply", "L"),
        ("list_reply", "interactive", "list_reply", "Gamis"),
        ("flow_reply", "interactive", "nfm_reply", "Sent"),
        ("template_button", "button", None, "Lihat promo"),
        ("order", "order", None, "Saya pesan ini ya kak"),
        ("reaction", "reaction", None, "❤️"),
        ("unreaction", "reaction", "unreact", None),
        (
            "changed_number",
            "system",
            "user_changed_number",
            "User Sheena Nelson changed from 16505551234 to 16505559999",
        ),
        ("unsupported", "unsupported", "poll", None),
    ],
)
def test_every_inbound_type(name: str, type_: str, subtype: str | None, text: str | None) -> None:
    m = one(name)
    assert isinstance(m, InboundMessage)
    assert (m.type, m.subtype) == (type_, subtype)
    assert m.text == text
    assert m.raw["id"] == m.wamid


def test_media_carries_id_and_mime() -> None:
    m = one("document")
    assert m.media_id and m.mime_type == "application/pdf"
    assert m.content["filename"] == "invoice.pdf"


def test_interactive_replies_keep_id_title_and_context() -> None:
    b = one("button_reply")
    assert b.content == {"type": "button_reply", "id": "size_l", "title": "L"}
    assert b.context is not None and b.context.reply_to_wamid == "wamid.CTX1"
    li = one("list_reply")
    assert li.content["description"] == "Busana"
    flow = one("flow_reply")
    assert flow.content["response"] == {"flow_token": "abc", "ukuran": "L"}


def test_order_items() -> None:
    o = one("order")
    items = o.content["product_items"]
    assert [(i["product_retailer_id"], i["quantity"], i["item_price"]) for i in items] == [
        ("gamis-navy-l", 2, 150000),
        ("hijab-abu", 1, 45000),
    ]
    assert o.content["catalog_id"]


def test_reaction_and_unreaction_point_at_their_target() -> None:
    assert one("reaction").target_wamid == "wamid.TARGET1"
    un = one("unreaction")
    assert un.target_wamid == "wamid.TARGET1" and un.text is None


def test_contexts_reply_forward_product() -> None:
    assert one("reply").context.reply_to_wamid == "wamid.CTX4"
    assert one("forwarded").context.forwarded is True
    assert one("frequently_forwarded").context.frequently_forwarded is True
    p = one("product_inquiry").context.referred_product
    assert p == {"catalog_id": "194836987003835", "product_retailer_id": "gamis-navy-l"}


def test_referral_from_click_to_whatsapp_ad() -> None:
    m = one("referral")
    assert m.referral["source_type"] == "ad"
    assert m.referral["ctwa_clid"].startswith("Aff-n8ZT")
    assert m.text == "Hello! Can I get more info on this?"


def test_system_changed_number_names_the_new_number() -> None:
    m = one("changed_number")
    assert m.content["wa_id"] == "16505559999"


def test_unsupported_keeps_metas_error() -> None:
    m = one("unsupported")
    assert [e.code for e in m.errors] == [131051]


def test_edit_and_revoke() -> None:
    e = one("edit")
    assert e.is_edit and e.target_wamid == "wamid.ORIG1" and e.text == "Ukuran M saja"
    r = one("revoke")
    assert r.is_revoke and r.target_wamid == "wamid.ORIG2"


def test_username_user_without_phone() -> None:
    m = one("bsuid_username")
    assert m.from_wa_id is None
    assert m.from_user_id == "ID.13491208655302741918"
    assert (m.username, m.parent_user_id) == ("@dewilestari", "ID.ENT.9988776655")


def test_status_sent_with_pricing() -> None:
    s = one("status_sent_pmp")
    assert isinstance(s, StatusUpdate)
    assert (s.status, s.recipient_id) == ("sent", "16505551234")
    assert s.pricing is not None
    assert (s.pricing.pricing_model, s.pricing.type, s.pricing.category) == (
        "PMP",
        "regular",
        "marketing",
    )
    assert s.conversation["origin"]["type"] == "marketing"


def test_status_failed_with_error_details() -> None:
    s = one("status_failed")
    assert s.status == "failed"
    err = s.errors[0]
    assert err.code == 131049
    assert err.details.startswith("In order to maintain a healthy ecosystem")


def test_several_statuses_and_callback_data() -> None:
    items = parse_webhook(load("statuses_delivered_read_played")).items
    assert [(i.wamid, i.status) for i in items] == [
        ("wamid.OUT1", "delivered"),
        ("wamid.OUT1", "read"),
        ("wamid.OUT2", "played"),
    ]
    assert items[1].pricing.type == "free_customer_service"
    assert items[2].biz_opaque_callback_data == "msg-abc"


def test_group_status() -> None:
    s = one("status_group")
    assert (s.recipient_type, s.recipient_participant_id) == ("group", "16505551234")


def test_change_level_errors() -> None:
    e = one("change_errors")
    assert isinstance(e, ChangeError) and e.errors[0].code == 130429


def test_template_updates() -> None:
    t = one("template_status_update")
    assert isinstance(t, TemplateStatusUpdate)
    assert (t.event, t.name, t.language, t.reason, t.template_id) == (
        "REJECTED",
        "promo_bulanan",
        "id",
        "INVALID_FORMAT",
        "1234567890123",
    )
    assert t.rejection_info["reason"] == "Template has adjacent parameters"
    assert t.timestamp is not None
    q = one("template_quality_update")
    assert isinstance(q, TemplateQualityUpdate)
    assert (q.previous_quality, q.new_quality) == ("GREEN", "YELLOW")


def test_user_preferences_and_account_updates() -> None:
    p = one("user_preferences")
    assert isinstance(p, UserPreference)
    assert (p.wa_id, p.category, p.value) == ("16505551234", "marketing_messages", "stop")
    a = one("account_update")
    assert isinstance(a, AccountUpdate) and a.event == "ACCOUNT_RESTRICTION"
    assert (
        a.payload["restriction_info"][0]["restriction_type"] == "RESTRICTED_BIZ_INITIATED_MESSAGING"
    )
    q = one("phone_number_quality_update")
    assert isinstance(q, AccountUpdate) and q.field == "phone_number_quality_update"


def test_unknown_field_is_kept_whole() -> None:
    u = one("unknown_field")
    assert isinstance(u, UnknownChange)
    assert u.field == "some_future_field" and u.value == {"something_new": {"x": 1}}


def test_every_entry_change_and_message_in_order() -> None:
    items = parse_webhook(load("multiple_entries")).items
    assert [getattr(i, "wamid", None) for i in items] == [
        "wamid.MULTI1",
        "wamid.MULTI2",
        "wamid.OUT9",
        "wamid.MULTI3",
    ]
    assert items[1].profile_name == "Budi"  # each sender matched to its own contact


def test_a_malformed_item_degrades_alone() -> None:
    payload = json.loads(load("multiple_entries"))
    del payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    items = parse_webhook(json.dumps(payload).encode()).items
    assert isinstance(items[0], UnknownChange) and "KeyError" in (items[0].reason or "")
    assert [getattr(i, "wamid", None) for i in items[1:]] == [
        "wamid.MULTI2",
        "wamid.OUT9",
        "wamid.MULTI3",
    ]


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"[]", b'"x"', b'{"entry": []}', b'{"object": "x", "entry": {}}', b"\xff\xfe"],
)
def test_not_an_envelope_raises_a_clear_error(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        parse_webhook(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
fields = st.sampled_from(
    ["messages", "message_template_status_update", "user_preferences", "account_update", "x"]
)
message_keys = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "from": json_values,
        "type": json_values,
        "timestamp": json_values,
        "text": json_values,
        "context": json_values,
        "interactive": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(
    field=fields,
    value=json_values,
    messages=st.lists(message_keys, max_size=3),
    statuses=st.lists(json_values, max_size=2),
)
def test_nothing_inside_an_envelope_raises(
    field: str, value: Any, messages: list[Any], statuses: list[Any]
) -> None:
    values = [value, {"messages": messages, "statuses": statuses, "contacts": value}]
    for v in values:
        body = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": field, "value": v}]}],
        }
        parsed = parse_webhook(json.dumps(body).encode())
        assert isinstance(parsed.items, tuple)
