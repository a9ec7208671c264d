"""The webhook edge parser on real-shaped payloads (tests/fixtures/whatsapp/*.json).

No database needed: these tests only import the parser and its types.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from niaga.channels import content
from niaga.channels.content import (
    Cart,
    CartItem,
    ChangeNotice,
    Choice,
    Contacts,
    IdentityChange,
    Location,
    Media,
    NumberChange,
    ProductRef,
    Text,
    Unsupported,
)
from niaga.channels.whatsapp.parse import WebhookPayloadError, parse_webhook
from niaga.channels.whatsapp.types import (
    AccountUpdate,
    ChangeError,
    ErrorInfo,
    InboundMessage,
    MessageContext,
    ParsedWebhook,
    Pricing,
    StatusUpdate,
    TemplateQualityUpdate,
    TemplateStatusUpdate,
    UnknownChange,
    UserPreference,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "whatsapp"
WABA, PHONE_ID, DISPLAY = "102290129340398", "106540352242922", "15550783881"
SHEENA = "16505551234"


def load(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def parse(name: str) -> ParsedWebhook:
    return parse_webhook(load(name))


def one(name: str) -> Any:
    items = parse(name).items
    assert len(items) == 1, items
    return items[0]


def at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def envelope(*changes: dict[str, Any], entry_time: int | None = None) -> bytes:
    entry: dict[str, Any] = {"id": WABA, "changes": list(changes)}
    if entry_time is not None:
        entry["time"] = entry_time
    return json.dumps({"object": "whatsapp_business_account", "entry": [entry]}).encode()


def messages_change(**value: Any) -> dict[str, Any]:
    meta = {"display_phone_number": DISPLAY, "phone_number_id": PHONE_ID}
    return {
        "field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": meta, **value},
    }


# --------------------------------------------------------------------------------------------
# Inbound messages
# --------------------------------------------------------------------------------------------


def test_text_from_metas_own_example() -> None:
    m = one("text")
    assert m == InboundMessage(
        field="messages",
        waba_id=WABA,
        phone_number_id=PHONE_ID,
        display_phone_number=DISPLAY,
        wamid="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        from_wa_id=SHEENA,
        profile_name="Sheena Nelson",
        timestamp=datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC),
        type="text",
        text="Does it come in another color?",
        content=Text(body="Does it come in another color?"),
        raw=json.loads(load("text"))["entry"][0]["changes"][0]["value"]["messages"][0],
    )
    assert m.timestamp.tzinfo is UTC


# name, type, subtype, text, media_id, mime_type, timestamp
INBOUND = [
    ("image", "image", None, "Warna navy", "1000000000000000", "image/jpeg", 1764300000),
    ("video", "video", None, None, "1000000000000001", "video/mp4", 1764300001),
    ("audio", "audio", None, None, "1000000000000002", "audio/ogg", 1764300002),
    ("voice", "audio", "voice", None, "1000000000000003", "audio/ogg; codecs=opus", 1764300003),
    ("document", "document", None, "Invoice", "1000000000000004", "application/pdf", 1764300004),
    ("sticker", "sticker", None, None, "1000000000000005", "image/webp", 1764300005),
    ("location", "location", None, "Toko Sari, Jl. Melati 5", None, None, 1764300006),
    ("contacts", "contacts", None, "Rina Wulandari", None, None, 1764300007),
    ("button_reply", "interactive", "button_reply", "L", None, None, 1764300008),
    ("list_reply", "interactive", "list_reply", "Gamis", None, None, 1764300009),
    ("flow_reply", "interactive", "nfm_reply", "Sent", None, None, 1764300010),
    ("template_button", "button", None, "Lihat promo", None, None, 1764300011),
    ("order", "order", None, "Saya pesan ini ya kak", None, None, 1764300012),
    ("reaction", "reaction", None, "❤️", None, None, 1764300013),
    ("unreaction", "reaction", "unreact", None, None, None, 1764300014),
    ("reply", "text", None, "Yang ini kak", None, None, 1764300015),
    ("forwarded", "text", None, "Info promo", None, None, 1764300016),
    ("frequently_forwarded", "text", None, "Info promo", None, None, 1764300017),
    ("product_inquiry", "text", None, "Masih ada?", None, None, 1764300018),
    (
        "changed_number",
        "system",
        "user_changed_number",
        "User Sheena Nelson changed from 16505551234 to 16505559999",
        None,
        None,
        1764300019,
    ),
    ("unsupported", "unsupported", "poll", None, None, None, 1764300020),
    ("edit", "edit", "text", "Ukuran M saja", None, None, 1764300021),
    ("revoke", "revoke", None, None, None, None, 1764300022),
    (
        "customer_identity_changed",
        "system",
        "customer_identity_changed",
        "Sheena Nelson's security code changed.",
        None,
        None,
        1764300030,
    ),
]


@pytest.mark.parametrize(
    ("name", "type_", "subtype", "text", "media_id", "mime", "ts"),
    INBOUND,
    ids=[row[0] for row in INBOUND],
)
def test_every_inbound_type(
    name: str,
    type_: str,
    subtype: str | None,
    text: str | None,
    media_id: str | None,
    mime: str | None,
    ts: int,
) -> None:
    m = one(name)
    assert isinstance(m, InboundMessage)
    assert (m.type, m.subtype, m.text) == (type_, subtype, text)
    assert (m.media_id, m.mime_type) == (media_id, mime)
    assert m.timestamp == at(ts)
    assert (m.field, m.waba_id, m.phone_number_id, m.display_phone_number) == (
        "messages",
        WABA,
        PHONE_ID,
        DISPLAY,
    )
    assert m.from_wa_id == SHEENA
    assert m.raw == json.loads(load(name))["entry"][0]["changes"][0]["value"]["messages"][0]
    assert m.wamid == m.raw["id"]
    assert (m.is_edit, m.is_revoke) == (type_ == "edit", type_ == "revoke")


def test_media_content_is_typed() -> None:
    d = one("document")
    assert d.content == Media(
        media_kind="document",
        media_id="1000000000000004",
        mime="application/pdf",
        sha256="184d270e9d31682a4d0773380a5da93d6981576c97660a333f40a2eb340f8c9c",
        caption="Invoice",
        filename="invoice.pdf",
    )
    voice = one("voice").content
    assert isinstance(voice, Media) and voice.voice is True and voice.media_kind == "audio"
    sticker = one("sticker").content
    assert isinstance(sticker, Media) and sticker.animated is False


def test_content_round_trips_through_the_codec() -> None:
    for name in ("image", "order", "contacts", "flow_reply", "product_inquiry", "edit"):
        m = one(name)
        assert content.load(json.loads(json.dumps(content.dump(m.content)))) == m.content


def test_location_and_contacts_content() -> None:
    loc = one("location").content
    assert isinstance(loc, Location) and (loc.latitude, loc.longitude) == (-6.9175, 107.6191)
    cards = one("contacts").content
    assert isinstance(cards, Contacts) and cards.cards[0].phones[0] == "+62 813-9876-5405"


def test_interactive_replies_keep_id_title_and_context() -> None:
    b = one("button_reply")
    assert b.content == Choice(via="button", choice_id="size_l", title="L")
    assert b.context == MessageContext(reply_to_wamid="wamid.CTX1", reply_to_from=DISPLAY)
    li = one("list_reply")
    assert li.content == Choice(via="list", choice_id="gamis", title="Gamis", description="Busana")
    flow = one("flow_reply").content
    assert isinstance(flow, Choice) and (flow.via, flow.choice_id) == ("flow", "flow")
    assert flow.answers == {"flow_token": "abc", "ukuran": "L"}


def test_template_button_press() -> None:
    b = one("template_button")
    assert b.content == Choice(via="template_button", choice_id="Lihat promo", title="Lihat promo")
    assert b.context is not None and b.context.reply_to_wamid == "wamid.CTX3"


def test_order_items() -> None:
    o = one("order").content
    assert isinstance(o, Cart) and o.catalog == "194836987003835"
    assert o.items == (
        CartItem(sku="gamis-navy-l", quantity=2, unit_price=150000),
        CartItem(sku="hijab-abu", quantity=1, unit_price=45000),
    )


def test_reaction_and_unreaction_point_at_their_target() -> None:
    r = one("reaction")
    assert (r.target_wamid, r.text, r.subtype) == ("wamid.TARGET1", "❤️", None)
    un = one("unreaction")
    assert (un.target_wamid, un.text, un.subtype) == ("wamid.TARGET1", None, "unreact")


def test_empty_emoji_is_an_unreaction_too() -> None:
    msg = {"from": SHEENA, "id": "wamid.R", "timestamp": "1764300000", "type": "reaction"}
    msg["reaction"] = {"message_id": "wamid.T", "emoji": ""}
    (m,) = parse_webhook(envelope(messages_change(messages=[msg]))).items
    assert (m.subtype, m.text, m.target_wamid) == ("unreact", None, "wamid.T")


def test_contexts_reply_forward_product() -> None:
    assert one("reply").context == MessageContext(
        reply_to_wamid="wamid.CTX4", reply_to_from=DISPLAY
    )
    assert one("forwarded").context == MessageContext(forwarded=True)
    assert one("frequently_forwarded").context == MessageContext(frequently_forwarded=True)
    inquiry = one("product_inquiry")
    assert inquiry.content.asked_about == ProductRef(sku="gamis-navy-l", catalog="194836987003835")
    assert inquiry.context is not None
    assert inquiry.context.reply_to_wamid == "wamid.FQIAERjkEE0wIa++laVYoNFy7SIf77k="


def test_referral_from_click_to_whatsapp_ad() -> None:
    m = one("referral")
    assert m.referral is not None
    assert (m.referral.source_kind, m.referral.media_kind) == ("ad", "image")
    assert m.referral.click_id is not None and m.referral.click_id.startswith("Aff-n8ZT")
    assert m.text == "Hello! Can I get more info on this?"
    assert m.context is None


def test_system_messages() -> None:
    changed = one("changed_number")
    assert isinstance(changed.content, NumberChange)
    assert changed.content.new_number == "16505559999"
    identity = one("customer_identity_changed")
    assert isinstance(identity.content, IdentityChange)
    assert identity.content.identity_hash == "Sjvjlx8G6Z0="
    assert identity.profile_name is None  # system messages come without contacts


def test_unsupported_keeps_metas_error() -> None:
    m = one("unsupported")
    assert m.errors == (
        ErrorInfo(
            code=131051,
            title="Message type unknown",
            message="Message type unknown",
            details="Message type is currently not supported.",
        ),
    )


def test_edit_and_revoke() -> None:
    e = one("edit")
    assert (e.is_edit, e.target_wamid, e.text) == (True, "wamid.ORIG1", "Ukuran M saja")
    assert e.content == ChangeNotice(target_wamid="wamid.ORIG1", text="Ukuran M saja")
    r = one("revoke")
    assert (r.is_revoke, r.target_wamid, r.text) == (True, "wamid.ORIG2", None)


def test_username_user_without_phone() -> None:
    m = one("bsuid_username")
    assert m.from_wa_id is None
    assert m.from_user_id == "ID.13491208655302741918"
    assert (m.profile_name, m.username, m.parent_user_id) == (
        "Dewi",
        "@dewilestari",
        "ID.ENT.9988776655",
    )
    assert m.text == "Halo, saya pakai username"


def test_sender_matched_by_user_id_among_several_contacts() -> None:
    contacts = [
        {"profile": {"name": "Other"}, "wa_id": "6281111"},
        {
            "profile": {"name": "Dewi", "username": "@dewi"},
            "user_id": "ID.1",
            "parent_user_id": "P",
        },
    ]
    msg = {"from_user_id": "ID.1", "id": "wamid.U", "timestamp": "1764300000", "type": "text"}
    (m,) = parse_webhook(envelope(messages_change(contacts=contacts, messages=[msg]))).items
    assert (m.profile_name, m.username, m.parent_user_id, m.from_wa_id) == (
        "Dewi",
        "@dewi",
        "P",
        None,
    )


def test_unknown_message_type_is_kept_as_given() -> None:
    msg = {
        "from": SHEENA,
        "id": "wamid.NEW",
        "timestamp": "1764300000",
        "type": "hologram",
        "hologram": {"shape": "cube"},
    }
    (m,) = parse_webhook(envelope(messages_change(messages=[msg]))).items
    assert isinstance(m, InboundMessage)
    assert (m.type, m.subtype, m.text, m.content, m.raw) == (
        "hologram",
        None,
        None,
        Unsupported(what="hologram"),
        msg,
    )


def test_numeric_ids_and_timestamps_are_tolerated() -> None:
    msg = {"from": 16505551234, "id": "wamid.N", "timestamp": 1764300000, "type": "text"}
    msg["text"] = {"body": "angka"}
    change = messages_change(messages=[msg])
    change["value"]["metadata"] = {"display_phone_number": 15550783881, "phone_number_id": 1065}
    (m,) = parse_webhook(envelope(change)).items
    assert (m.from_wa_id, m.timestamp, m.phone_number_id) == (SHEENA, at(1764300000), "1065")


# --------------------------------------------------------------------------------------------
# Statuses and change-level errors
# --------------------------------------------------------------------------------------------


def test_status_sent_with_pricing() -> None:
    s = one("status_sent_pmp")
    assert isinstance(s, StatusUpdate)
    assert (s.wamid, s.status, s.timestamp, s.recipient_id) == (
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
        "sent",
        at(1750030073),
        SHEENA,
    )
    assert s.pricing == Pricing(
        billable=True, pricing_model="PMP", type="regular", category="marketing"
    )
    assert s.conversation == {
        "id": "72b14d6bd5407799e66f64d1b338e567",
        "expiration_timestamp": "1750116480",
        "origin": {"type": "marketing"},
    }
    assert (s.phone_number_id, s.waba_id, s.errors) == (PHONE_ID, WABA, ())


def test_status_failed_with_error_details() -> None:
    s = one("status_failed")
    assert s.status == "failed" and s.pricing is None
    assert s.errors == (
        ErrorInfo(
            code=131049,
            title="This message was not delivered to maintain healthy ecosystem engagement.",
            message="This message was not delivered to maintain healthy ecosystem engagement.",
            details="In order to maintain a healthy ecosystem engagement, the message failed to "
            "be delivered.",
            href="/documentation/business-messaging/whatsapp/support/error-codes",
        ),
    )


def test_several_statuses_and_callback_data() -> None:
    items = parse("statuses_delivered_read_played").items
    assert [(i.wamid, i.status, i.timestamp) for i in items] == [
        ("wamid.OUT1", "delivered", at(1764300100)),
        ("wamid.OUT1", "read", at(1764300200)),
        ("wamid.OUT2", "played", at(1764300300)),
    ]
    assert items[0].pricing is None
    assert items[1].pricing == Pricing(
        billable=False, pricing_model="PMP", type="free_customer_service", category="service"
    )
    assert items[2].biz_opaque_callback_data == "msg-abc"


def test_group_status() -> None:
    s = one("status_group")
    assert (s.recipient_id, s.recipient_type, s.recipient_participant_id) == (
        "120363025246125486@g.us",
        "group",
        SHEENA,
    )


def test_status_to_a_username_user() -> None:
    st_ = {"id": "wamid.O", "status": "delivered", "timestamp": "1764300000"}
    st_["recipient_user_id"] = "ID.77"
    (s,) = parse_webhook(envelope(messages_change(statuses=[st_]))).items
    assert (s.recipient_id, s.recipient_user_id) == (None, "ID.77")


def test_change_level_errors() -> None:
    e = one("change_errors")
    assert isinstance(e, ChangeError)
    assert (e.field, e.phone_number_id) == ("messages", PHONE_ID)
    assert e.errors == (
        ErrorInfo(
            code=130429,
            title="Rate limit hit",
            message="(#130429) Rate limit hit",
            details="Cloud API message throughput has been reached.",
        ),
    )


# --------------------------------------------------------------------------------------------
# Other fields
# --------------------------------------------------------------------------------------------


def test_template_status_update() -> None:
    t = one("template_status_update")
    assert t == TemplateStatusUpdate(
        field="message_template_status_update",
        waba_id=WABA,
        event="REJECTED",
        template_id="1234567890123",
        name="promo_bulanan",
        language="id",
        reason="INVALID_FORMAT",
        category="MARKETING",
        rejection_info={
            "reason": "Template has adjacent parameters",
            "recommendation": "Add words between parameters",
        },
        timestamp=at(1795897662),
    )


def test_template_quality_update() -> None:
    assert one("template_quality_update") == TemplateQualityUpdate(
        field="message_template_quality_update",
        waba_id=WABA,
        template_id="1234567890123",
        name="promo_bulanan",
        language="id",
        previous_quality="GREEN",
        new_quality="YELLOW",
    )


def test_user_preferences() -> None:
    assert one("user_preferences") == UserPreference(
        field="user_preferences",
        waba_id=WABA,
        phone_number_id=PHONE_ID,
        display_phone_number=DISPLAY,
        wa_id=SHEENA,
        category="marketing_messages",
        value="stop",
        detail="User requested to stop marketing messages",
        timestamp=at(1764300600),
    )


def test_account_update() -> None:
    a = one("account_update")
    assert isinstance(a, AccountUpdate)
    assert (a.field, a.event, a.timestamp, a.waba_id) == (
        "account_update",
        "ACCOUNT_RESTRICTION",
        at(1795897662),
        WABA,
    )
    assert a.payload["restriction_info"] == [
        {"restriction_type": "RESTRICTED_BIZ_INITIATED_MESSAGING", "expiration": 1764900000}
    ]


def test_phone_number_quality_update() -> None:
    q = one("phone_number_quality_update")
    assert isinstance(q, AccountUpdate)
    assert (q.field, q.event, q.display_phone_number) == (
        "phone_number_quality_update",
        "THROUGHPUT_UPGRADE",
        DISPLAY,
    )
    assert q.payload["max_daily_conversations_per_business"] == 10000


def test_other_account_fields() -> None:
    items = parse("account_fields").items
    assert all(isinstance(i, AccountUpdate) for i in items)
    assert [(i.field, i.event) for i in items] == [
        ("business_capability_update", None),
        ("account_review_update", None),
        ("account_alerts", None),
    ]
    assert items[0].payload["max_daily_conversations_per_business"] == 2000
    assert items[1].payload == {"decision": "APPROVED"}
    assert items[2].payload["alert_type"] == "PHONE_NUMBER_QUALITY_LOW"


def test_unknown_field_is_kept_whole() -> None:
    assert one("unknown_field") == UnknownChange(
        field="some_future_field",
        waba_id=WABA,
        value={"something_new": {"x": 1}},
        reason="field 'some_future_field' is not modelled",
    )


# --------------------------------------------------------------------------------------------
# Batches, degradation and envelope errors
# --------------------------------------------------------------------------------------------


def test_every_entry_change_and_message_in_order() -> None:
    items = parse("multiple_entries").items
    assert [(type(i).__name__, i.wamid) for i in items] == [
        ("InboundMessage", "wamid.MULTI1"),
        ("InboundMessage", "wamid.MULTI2"),
        ("StatusUpdate", "wamid.OUT9"),
        ("InboundMessage", "wamid.MULTI3"),
    ]
    # each sender is matched to its own contacts[] entry
    assert [i.profile_name for i in items if isinstance(i, InboundMessage)] == [
        "Sheena Nelson",
        "Budi",
        "Sheena Nelson",
    ]
    assert items[1].from_wa_id == "6281234567802"


def test_malformed_items_degrade_alone() -> None:
    items = parse("malformed_items").items
    kinds = [type(i).__name__ for i in items]
    assert kinds == [
        "UnknownChange",  # "text" is a string, not an object
        "InboundMessage",
        "UnknownChange",  # no id
        "UnknownChange",  # status without id
        "StatusUpdate",
    ]
    bad = items[0]
    assert bad.value["id"] == "wamid.BAD1" and "WireMessage" in (bad.reason or "")
    assert (bad.field, bad.waba_id, bad.phone_number_id) == ("messages", WABA, PHONE_ID)
    good = items[1]
    assert (good.wamid, good.text, good.profile_name) == (
        "wamid.GOOD1",
        "masih bisa dibaca",
        "Sheena Nelson",
    )
    assert items[2].reason == "message has no id"
    assert items[3].reason == "status has no id or status"
    assert items[4].wamid == "wamid.OUT5"


def test_a_missing_message_id_in_a_batch_degrades_alone() -> None:
    payload = json.loads(load("multiple_entries"))
    del payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    items = parse_webhook(json.dumps(payload).encode()).items
    assert isinstance(items[0], UnknownChange)
    assert [getattr(i, "wamid", None) for i in items[1:]] == [
        "wamid.MULTI2",
        "wamid.OUT9",
        "wamid.MULTI3",
    ]


def test_bad_entries_and_changes_become_unknown_changes() -> None:
    good = messages_change(statuses=[{"id": "w", "status": "sent", "timestamp": "1"}])
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            "not an entry",
            {"id": "1"},
            {"id": "2", "changes": [5, {"field": "messages", "value": [1]}, good]},
        ],
    }
    items = parse_webhook(json.dumps(body).encode()).items
    reasons = [i.reason if isinstance(i, UnknownChange) else None for i in items]
    assert list(zip((type(i).__name__ for i in items), reasons, strict=True)) == [
        ("UnknownChange", "entry is not an object"),
        ("UnknownChange", "entry has no changes list"),
        ("UnknownChange", "change is not an object"),
        ("UnknownChange", "value is not an object"),
        ("StatusUpdate", None),
    ]
    assert items[4].timestamp == at(1)


def test_a_value_without_anything_known_is_unknown() -> None:
    (u,) = parse_webhook(envelope(messages_change(contacts=[]))).items
    assert isinstance(u, UnknownChange) and u.phone_number_id == PHONE_ID


def test_odd_error_codes_do_not_lose_the_message() -> None:
    msg = {"from": SHEENA, "id": "wamid.E", "timestamp": "1764300000", "type": "unknown"}
    msg["errors"] = [{"code": "131051", "title": "t"}, {"title": "no code"}]
    (m,) = parse_webhook(envelope(messages_change(messages=[msg]))).items
    assert [e.code for e in m.errors] == [131051, 0]


def test_missing_timestamp_falls_back_to_now() -> None:
    msg = {"from": SHEENA, "id": "wamid.T", "type": "text", "text": {"body": "x"}}
    before = datetime.now(UTC)
    (m,) = parse_webhook(envelope(messages_change(messages=[msg]))).items
    assert before <= m.timestamp <= datetime.now(UTC)


def test_items_are_frozen() -> None:
    m = one("text")
    with pytest.raises(AttributeError):
        m.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[]",
        b'"x"',
        b"null",
        b'{"entry": []}',
        b'{"object": 1, "entry": []}',
        b'{"object": "x", "entry": {}}',
        b'{"object": "x"}',
        b"\xff\xfe",
    ],
)
def test_not_an_envelope_raises_a_clear_error(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError) as info:
        parse_webhook(body)
    assert isinstance(info.value, ValueError)
    assert "webhook" in str(info.value)


def test_an_empty_envelope_has_no_items() -> None:
    assert parse_webhook(b'{"object":"whatsapp_business_account","entry":[]}') == ParsedWebhook(
        object="whatsapp_business_account", items=()
    )


def test_items_encode_to_json() -> None:
    """Domain items are plain msgspec structs: they serialise for logs and events."""
    for name in ("text", "status_failed", "template_status_update", "unknown_field"):
        assert msgspec.json.decode(msgspec.json.encode(parse(name).items))


# --------------------------------------------------------------------------------------------
# Property: nothing inside an envelope raises
# --------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["1764300000", "wamid.X", "text", "interactive", "reaction", ""]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
fields = st.sampled_from(
    [
        "messages",
        "message_template_status_update",
        "message_template_quality_update",
        "user_preferences",
        "account_update",
        "phone_number_quality_update",
        "",
        "x",
    ]
)
message_types = st.sampled_from(
    [
        *("text", "image", "audio", "location", "contacts", "interactive", "button", "order"),
        *("reaction", "system", "unsupported", "edit", "revoke", "zzz"),
    ]
)


@st.composite
def messages(draw: st.DrawFn) -> dict[str, Any]:
    msg = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "id": json_values,
                "from": json_values,
                "from_user_id": json_values,
                "timestamp": json_values,
                "context": json_values,
                "referral": json_values,
                "errors": json_values,
                "identity": json_values,
            },
        )
    )
    kind = draw(message_types)
    msg["type"] = kind
    msg[kind] = draw(json_values)
    return msg


@settings(max_examples=300, deadline=None)
@given(
    field=fields,
    value=json_values,
    msgs=st.lists(messages(), max_size=3),
    statuses=st.lists(json_values, max_size=2),
    extra=st.dictionaries(
        st.sampled_from(["contacts", "metadata", "errors", "user_preferences", "event"]),
        json_values,
        max_size=3,
    ),
)
def test_nothing_inside_an_envelope_raises(
    field: str, value: Any, msgs: list[Any], statuses: list[Any], extra: dict[str, Any]
) -> None:
    for v in (value, {"messages": msgs, "statuses": statuses, **extra}):
        body = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "time": value, "changes": [{"field": field, "value": v}]}],
        }
        parsed = parse_webhook(json.dumps(body).encode())
        assert isinstance(parsed.items, tuple) and parsed.items
        for item in parsed.items:
            assert msgspec.json.encode(item)  # every item is well-formed and serialisable
