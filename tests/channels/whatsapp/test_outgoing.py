"""Outgoing message models: exact Meta bodies (spec examples) and every limit."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from niaga.channels.whatsapp import outgoing as out

TO = "{{Recipient-Phone-Number}}"
REPLY = "<MSGID_OF_PREV_MSG>"


def body(msg: Any, to: str = TO, **kw: Any) -> dict[str, Any]:
    return msg.to_graph_body(to, **kw)


def rejects(model: type, match: str, **fields: Any) -> None:
    with pytest.raises(ValidationError, match=match):
        model(**fields)


# ----------------------------------------------------------------- spec examples, literally
# From business-messaging-api_v23.0.yaml, /{Version}/{Phone-Number-ID}/messages examples.


def test_spec_send_text_message() -> None:
    assert body(out.TextMessage(body="text-message-content")) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "text": {"body": "text-message-content", "preview_url": False},
        "to": "{{Recipient-Phone-Number}}",
        "type": "text",
    }


def test_spec_send_reply_to_text_message() -> None:
    msg = out.TextMessage(body="<TEXT_MSG_CONTENT>")
    assert body(msg, context_wamid="<MSGID_OF_PREV_MSG>") == {
        "context": {"message_id": "<MSGID_OF_PREV_MSG>"},
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "text": {"body": "<TEXT_MSG_CONTENT>", "preview_url": False},
        "to": "{{Recipient-Phone-Number}}",
        "type": "text",
    }


def test_spec_send_image_by_id_and_reply_to_image_by_url() -> None:
    assert body(out.ImageMessage(media_id="<IMAGE_OBJECT_ID>")) == {
        "image": {"id": "<IMAGE_OBJECT_ID>"},
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "image",
    }
    msg = out.ImageMessage(link="http://image-url")
    assert body(msg, context_wamid=REPLY) == {
        "context": {"message_id": "<MSGID_OF_PREV_MSG>"},
        "image": {"link": "http://image-url"},
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "image",
    }


def test_spec_send_document_by_id() -> None:
    msg = out.DocumentMessage(
        media_id="<DOCUMENT_OBJECT_ID>",
        caption="<DOCUMENT_CAPTION_TO_SEND>",
        filename="<DOCUMENT_FILENAME>",
    )
    assert body(msg) == {
        "document": {
            "caption": "<DOCUMENT_CAPTION_TO_SEND>",
            "filename": "<DOCUMENT_FILENAME>",
            "id": "<DOCUMENT_OBJECT_ID>",
        },
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "document",
    }


def test_spec_audio_video_sticker() -> None:
    assert body(out.AudioMessage(link="https://audio-url")) == {
        "audio": {"link": "https://audio-url"},
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "audio",
    }
    video = out.VideoMessage(media_id="<VIDEO_OBJECT_ID>", caption="<VIDEO_CAPTION_TEXT>")
    assert body(video) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "video",
        "video": {"caption": "<VIDEO_CAPTION_TEXT>", "id": "<VIDEO_OBJECT_ID>"},
    }
    assert body(out.StickerMessage(media_id="<MEDIA_OBJECT_ID>")) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "sticker": {"id": "<MEDIA_OBJECT_ID>"},
        "to": "{{Recipient-Phone-Number}}",
        "type": "sticker",
    }


def test_spec_send_location_message() -> None:
    msg = out.LocationMessage(
        latitude=37.758056,
        longitude=-122.425332,
        name="META HQ",
        address="1 Hacker Way, Menlo Park, CA 94025",
    )
    assert body(msg) == {
        "location": {
            "address": "1 Hacker Way, Menlo Park, CA 94025",
            "latitude": 37.758056,
            "longitude": -122.425332,
            "name": "META HQ",
        },
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "location",
    }
    assert msg.summary_text() == "📍 META HQ"


SPEC_CONTACT = {
    "addresses": [
        {
            "city": "Menlo Park",
            "country": "United States",
            "country_code": "us",
            "state": "CA",
            "street": "1 Hacker Way",
            "type": "HOME",
            "zip": "94025",
        }
    ],
    "birthday": "2012-08-18",
    "emails": [{"email": "test@fb.com", "type": "WORK"}],
    "name": {
        "first_name": "John",
        "formatted_name": "John Smith",
        "last_name": "Smith",
        "middle_name": "D.",
        "prefix": "Dr",
        "suffix": "Jr",
    },
    "org": {"company": "WhatsApp", "department": "Design", "title": "Manager"},
    "phones": [
        {"phone": "+1 (940) 555-1234", "type": "HOME"},
        {"phone": "+1 (650) 555-1234", "type": "WORK", "wa_id": "16505551234"},
    ],
    "urls": [{"type": "WORK", "url": "https://www.facebook.com"}],
}


def test_spec_send_contact_message() -> None:
    msg = out.ContactsMessage(contacts=[SPEC_CONTACT])
    b = body(msg)
    assert b["contacts"] == [SPEC_CONTACT] and b["type"] == "contacts"
    assert msg.summary_text() == "👤 John Smith"


def test_spec_send_reaction() -> None:
    msg = out.ReactionMessage(message_id="wamid.HBgLM...", emoji="😀")
    assert body(msg) == {
        "messaging_product": "whatsapp",
        "reaction": {"emoji": "😀", "message_id": "wamid.HBgLM..."},
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "reaction",
    }
    removal = out.ReactionMessage(message_id="wamid.X", emoji="")
    assert body(removal)["reaction"]["emoji"] == ""


def test_spec_send_test_message_hello_world() -> None:
    b = body(out.TemplateMessage(name="hello_world", language="en_US"))
    assert b == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "template": {"language": {"code": "en_US"}, "name": "hello_world"},
        "to": "{{Recipient-Phone-Number}}",
        "type": "template",
    }


def test_spec_send_message_template_interactive() -> None:
    msg = out.TemplateMessage(
        name="template_name",
        language="en_US",
        header={"type": "image", "link": "https://the-image-url"},
        body_params=[
            "text-string",
            {"fallback_value": "$100.99", "code": "USD", "amount_1000": 100990},
            {
                "calendar": "GREGORIAN",
                "day_of_month": 25,
                "day_of_week": 5,
                "fallback_value": "February 25, 1977",
                "hour": 15,
                "minute": 33,
                "month": 2,
                "year": 1977,
            },
        ],
        buttons=[
            {"sub_type": "quick_reply", "index": 0, "payload": "aGlzIHRoaXMgaXMgY29v"},
            {"sub_type": "quick_reply", "index": 1, "payload": "9rwnB8RbYmPF5t2Mn09x4h"},
        ],
    )
    assert body(msg) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "template": {
            "components": [
                {
                    "parameters": [{"image": {"link": "https://the-image-url"}, "type": "image"}],
                    "type": "header",
                },
                {
                    "parameters": [
                        {"text": "text-string", "type": "text"},
                        {
                            "currency": {
                                "amount_1000": 100990,
                                "code": "USD",
                                "fallback_value": "$100.99",
                            },
                            "type": "currency",
                        },
                        {
                            "date_time": {
                                "calendar": "GREGORIAN",
                                "day_of_month": 25,
                                "day_of_week": 5,
                                "fallback_value": "February 25, 1977",
                                "hour": 15,
                                "minute": 33,
                                "month": 2,
                                "year": 1977,
                            },
                            "type": "date_time",
                        },
                    ],
                    "type": "body",
                },
                {
                    "index": "0",
                    "parameters": [{"payload": "aGlzIHRoaXMgaXMgY29v", "type": "payload"}],
                    "sub_type": "quick_reply",
                    "type": "button",
                },
                {
                    "index": "1",
                    "parameters": [{"payload": "9rwnB8RbYmPF5t2Mn09x4h", "type": "payload"}],
                    "sub_type": "quick_reply",
                    "type": "button",
                },
            ],
            "language": {"code": "en_US"},
            "name": "template_name",
        },
        "to": "{{Recipient-Phone-Number}}",
        "type": "template",
    }
    assert msg.is_template and msg.message_type == "template"
    assert msg.summary_text() == "template_name: text-string, $100.99, February 25, 1977"


def test_spec_send_list_message() -> None:
    msg = out.ListMessage(
        header="<HEADER_TEXT>",
        body="<BODY_TEXT>",
        footer="<FOOTER_TEXT>",
        button="<BUTTON_TEXT>",
        sections=[
            {
                "title": "<SECTION_1_TITLE>",
                "rows": [
                    {"id": "<S1_ROW_1_ID>", "title": "<S1_ROW_1_TITLE>", "description": "<D11>"},
                    {"id": "<S1_ROW_2_ID>", "title": "<S1_ROW_2_TITLE>", "description": "<D12>"},
                ],
            },
            {
                "title": "<SECTION_2_TITLE>",
                "rows": [
                    {"id": "<S2_ROW_1_ID>", "title": "<S2_ROW_1_TITLE>", "description": "<D21>"},
                    {"id": "<S2_ROW_2_ID>", "title": "<S2_ROW_2_TITLE>", "description": "<D22>"},
                ],
            },
        ],
    )
    assert body(msg) == {
        "interactive": {
            "action": {
                "button": "<BUTTON_TEXT>",
                "sections": [
                    {
                        "rows": [
                            {
                                "description": "<D11>",
                                "id": "<S1_ROW_1_ID>",
                                "title": "<S1_ROW_1_TITLE>",
                            },
                            {
                                "description": "<D12>",
                                "id": "<S1_ROW_2_ID>",
                                "title": "<S1_ROW_2_TITLE>",
                            },
                        ],
                        "title": "<SECTION_1_TITLE>",
                    },
                    {
                        "rows": [
                            {
                                "description": "<D21>",
                                "id": "<S2_ROW_1_ID>",
                                "title": "<S2_ROW_1_TITLE>",
                            },
                            {
                                "description": "<D22>",
                                "id": "<S2_ROW_2_ID>",
                                "title": "<S2_ROW_2_TITLE>",
                            },
                        ],
                        "title": "<SECTION_2_TITLE>",
                    },
                ],
            },
            "body": {"text": "<BODY_TEXT>"},
            "footer": {"text": "<FOOTER_TEXT>"},
            "header": {"text": "<HEADER_TEXT>", "type": "text"},
            "type": "list",
        },
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "interactive",
    }
    assert msg.message_type == "interactive" and not msg.is_template


def test_spec_send_reply_button() -> None:
    msg = out.ReplyButtonsMessage(
        body="<BUTTON_TEXT>",
        buttons=[
            {"id": "<UNIQUE_BUTTON_ID_1>", "title": "<BUTTON_TITLE_1>"},
            {"id": "<UNIQUE_BUTTON_ID_2>", "title": "<BUTTON_TITLE_2>"},
        ],
    )
    assert body(msg) == {
        "interactive": {
            "action": {
                "buttons": [
                    {
                        "reply": {"id": "<UNIQUE_BUTTON_ID_1>", "title": "<BUTTON_TITLE_1>"},
                        "type": "reply",
                    },
                    {
                        "reply": {"id": "<UNIQUE_BUTTON_ID_2>", "title": "<BUTTON_TITLE_2>"},
                        "type": "reply",
                    },
                ]
            },
            "body": {"text": "<BUTTON_TEXT>"},
            "type": "button",
        },
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "interactive",
    }


def test_spec_send_catalog_message() -> None:
    msg = out.CatalogMessage(
        body="Hello! Thanks for your interest. Ordering is easy. Just visit our catalog and add "
        "items to purchase.",
        footer="Best grocery deals on WhatsApp!",
        thumbnail_product_retailer_id="2lc20305pt",
    )
    assert body(msg, to="+16505551234") == {
        "interactive": {
            "action": {
                "name": "catalog_message",
                "parameters": {"thumbnail_product_retailer_id": "2lc20305pt"},
            },
            "body": {
                "text": "Hello! Thanks for your interest. Ordering is easy. Just visit our "
                "catalog and add items to purchase."
            },
            "footer": {"text": "Best grocery deals on WhatsApp!"},
            "type": "catalog_message",
        },
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+16505551234",
        "type": "interactive",
    }
    no_thumb = body(out.CatalogMessage(body="Katalog"))["interactive"]["action"]
    assert no_thumb == {"name": "catalog_message"}


def test_spec_send_single_product_message() -> None:
    msg = out.ProductMessage(
        catalog_id="367025965434465",
        product_retailer_id="<ID_TEST_ITEM_1>",
        body="<OPTIONAL_BODY_TEXT>",
        footer="<OPTIONAL_FOOTER_TEXT>",
    )
    assert body(msg) == {
        "interactive": {
            "action": {
                "catalog_id": "367025965434465",
                "product_retailer_id": "<ID_TEST_ITEM_1>",
            },
            "body": {"text": "<OPTIONAL_BODY_TEXT>"},
            "footer": {"text": "<OPTIONAL_FOOTER_TEXT>"},
            "type": "product",
        },
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "interactive",
    }
    bare = body(out.ProductMessage(catalog_id="1", product_retailer_id="sku"))["interactive"]
    assert bare == {"type": "product", "action": {"catalog_id": "1", "product_retailer_id": "sku"}}


def test_spec_send_multi_product_message() -> None:
    msg = out.ProductListMessage(
        catalog_id="146265584024623",
        header="<YOUR_TEXT_HEADER_CONTENT>",
        body="<YOUR_TEXT_BODY_CONTENT>",
        footer="<YOUR_TEXT_FOOTER_CONTENT>",
        sections=[
            {"title": "<SECTION1_TITLE>", "product_items": ["<P1_SKU>", "<P1_SKU_2>"]},
            {
                "title": "<SECTION2_TITLE>",
                "product_items": [
                    {"product_retailer_id": "<P2_SKU>"},
                    {"product_retailer_id": "<P2_SKU_2>"},
                ],
            },
        ],
    )
    assert body(msg) == {
        "interactive": {
            "action": {
                "catalog_id": "146265584024623",
                "sections": [
                    {
                        "product_items": [
                            {"product_retailer_id": "<P1_SKU>"},
                            {"product_retailer_id": "<P1_SKU_2>"},
                        ],
                        "title": "<SECTION1_TITLE>",
                    },
                    {
                        "product_items": [
                            {"product_retailer_id": "<P2_SKU>"},
                            {"product_retailer_id": "<P2_SKU_2>"},
                        ],
                        "title": "<SECTION2_TITLE>",
                    },
                ],
            },
            "body": {"text": "<YOUR_TEXT_BODY_CONTENT>"},
            "footer": {"text": "<YOUR_TEXT_FOOTER_CONTENT>"},
            "header": {"text": "<YOUR_TEXT_HEADER_CONTENT>", "type": "text"},
            "type": "product_list",
        },
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "{{Recipient-Phone-Number}}",
        "type": "interactive",
    }


def test_spec_mark_read_with_typing_indicator() -> None:
    wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA="
    assert out.mark_read_body(wamid, typing=True) == {
        "message_id": wamid,
        "messaging_product": "whatsapp",
        "status": "read",
        "typing_indicator": {"type": "text"},
    }
    assert out.mark_read_body(wamid) == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": wamid,
    }


# ----------------------------------------------------------------- other builders


def test_cta_url_and_location_request() -> None:
    cta = out.CtaUrlMessage(
        body="Lihat katalog",
        display_text="Buka",
        url="https://tokosari.id/k",
        header={"type": "image", "media_id": "123"},
        footer="Toko Sari",
    )
    assert body(cta)["interactive"] == {
        "type": "cta_url",
        "header": {"type": "image", "image": {"id": "123"}},
        "body": {"text": "Lihat katalog"},
        "footer": {"text": "Toko Sari"},
        "action": {
            "name": "cta_url",
            "parameters": {"display_text": "Buka", "url": "https://tokosari.id/k"},
        },
    }
    req = out.LocationRequestMessage(body="Kirim lokasi ya kak")
    assert body(req)["interactive"] == {
        "type": "location_request_message",
        "body": {"text": "Kirim lokasi ya kak"},
        "action": {"name": "send_location"},
    }


def test_reply_buttons_with_text_and_document_headers() -> None:
    msg = out.ReplyButtonsMessage(
        body="Ukuran?", buttons=[{"id": "s", "title": "S"}], header="Pilih", footer="Terima kasih"
    )
    inter = body(msg)["interactive"]
    assert inter["header"] == {"type": "text", "text": "Pilih"}
    assert inter["footer"] == {"text": "Terima kasih"}
    doc = out.ReplyButtonsMessage(
        body="Invoice",
        buttons=[{"id": "ok", "title": "OK"}],
        header={"type": "document", "link": "https://x.id/i.pdf", "filename": "i.pdf"},
    )
    assert body(doc)["interactive"]["header"] == {
        "type": "document",
        "document": {"link": "https://x.id/i.pdf", "filename": "i.pdf"},
    }


def test_common_envelope_options() -> None:
    b = body(
        out.TextMessage(body="hi"),
        to="120363000000000000@g.us",
        callback_data="msg-1",
        recipient_type="group",
    )
    assert b["recipient_type"] == "group"
    assert b["biz_opaque_callback_data"] == "msg-1"
    assert "context" not in b
    with pytest.raises(ValueError, match="512"):
        body(out.TextMessage(body="hi"), callback_data="x" * 513)
    with pytest.raises(ValueError, match="empty"):
        out.TextMessage(body="hi").to_graph_body("")


def test_template_named_parameters() -> None:
    msg = out.TemplateMessage(
        name="order_confirmation",
        language="id",
        header={"type": "text", "text": "Siti", "parameter_name": "customer"},
        body_params={
            "first_name": "Pablo",
            "total": {"fallback_value": "Rp150.000", "code": "IDR", "amount_1000": 150000000},
        },
        buttons=[{"sub_type": "url", "index": 0, "text": "10023"}],
    )
    comps = body(msg)["template"]["components"]
    assert comps == [
        {
            "type": "header",
            "parameters": [{"type": "text", "parameter_name": "customer", "text": "Siti"}],
        },
        {
            "type": "body",
            "parameters": [
                {"type": "text", "parameter_name": "first_name", "text": "Pablo"},
                {
                    "type": "currency",
                    "parameter_name": "total",
                    "currency": {
                        "fallback_value": "Rp150.000",
                        "code": "IDR",
                        "amount_1000": 150000000,
                    },
                },
            ],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "0",
            "parameters": [{"type": "text", "text": "10023"}],
        },
    ]
    assert msg.summary_text() == "order_confirmation: first_name=Pablo, total=Rp150.000"


def test_template_positional_never_carries_parameter_names() -> None:
    msg = out.TemplateMessage(name="t", language="id", body_params=["a", "b"], header="Hdr")
    comps = body(msg)["template"]["components"]
    assert comps[0] == {"type": "header", "parameters": [{"type": "text", "text": "Hdr"}]}
    assert all("parameter_name" not in p for p in comps[1]["parameters"])


def test_template_cannot_mix_named_and_positional() -> None:
    rejects(
        out.TemplateMessage,
        "cannot mix named and positional",
        name="t",
        language="id",
        body_params=["a"],
        header={"type": "text", "text": "x", "parameter_name": "n"},
    )
    rejects(
        out.TemplateMessage,
        "named templates need parameter_name",
        name="t",
        language="id",
        body_params={"n": "a"},
        header="x",
    )


def test_template_headers_and_buttons() -> None:
    msg = out.TemplateMessage(
        name="promo",
        language="en_US",
        header={"type": "location", "latitude": -6.2, "longitude": 106.8, "name": "Toko"},
        buttons=[
            {"sub_type": "copy_code", "index": 0, "coupon_code": "LEBARAN25"},
            {"sub_type": "catalog", "index": 1, "thumbnail_product_retailer_id": "sku1"},
            {
                "sub_type": "mpm",
                "index": 2,
                "thumbnail_product_retailer_id": "sku1",
                "sections": [{"title": "Gamis", "product_items": ["sku1", "sku2"]}],
            },
            {"sub_type": "flow", "index": 3, "flow_token": "tok", "flow_action_data": {"a": 1}},
        ],
    )
    comps = body(msg)["template"]["components"]
    assert comps[0] == {
        "type": "header",
        "parameters": [
            {"type": "location", "location": {"latitude": -6.2, "longitude": 106.8, "name": "Toko"}}
        ],
    }
    assert comps[1]["parameters"] == [{"type": "coupon_code", "coupon_code": "LEBARAN25"}]
    assert comps[1]["sub_type"] == "copy_code" and comps[1]["index"] == "0"
    assert comps[2]["parameters"] == [
        {"type": "action", "action": {"thumbnail_product_retailer_id": "sku1"}}
    ]
    assert comps[3]["parameters"][0]["action"] == {
        "thumbnail_product_retailer_id": "sku1",
        "sections": [
            {
                "title": "Gamis",
                "product_items": [{"product_retailer_id": "sku1"}, {"product_retailer_id": "sku2"}],
            }
        ],
    }
    assert comps[4]["parameters"] == [
        {"type": "action", "action": {"flow_token": "tok", "flow_action_data": {"a": 1}}}
    ]
    doc = out.TemplateMessage(
        name="invoice",
        language="id",
        header={"type": "document", "media_id": "77", "filename": "inv.pdf"},
    )
    assert body(doc)["template"]["components"][0]["parameters"] == [
        {"type": "document", "document": {"id": "77", "filename": "inv.pdf"}}
    ]


def test_template_limits() -> None:
    base = {"name": "t", "language": "id"}
    rejects(out.TemplateMessage, "pattern", name="Bad Name", language="id")
    rejects(out.TemplateMessage, "pattern", name="t", language="Indonesian")
    rejects(out.TemplateMessage, "new lines", **base, body_params=["a\nb"])
    rejects(out.TemplateMessage, "4 consecutive spaces", **base, body_params=["a     b"])
    rejects(out.TemplateMessage, "at least 1 character", **base, body_params=[""])
    rejects(out.TemplateMessage, "blank", **base, body_params=["  "])
    rejects(out.TemplateMessage, "pattern", **base, body_params={"Bad-Name": "x"})
    rejects(
        out.TemplateMessage,
        "indexes must be unique",
        **base,
        buttons=[
            {"sub_type": "quick_reply", "index": 0, "payload": "a"},
            {"sub_type": "url", "index": 0, "text": "b"},
        ],
    )
    rejects(
        out.TemplateMessage,
        "less than or equal to 9",
        **base,
        buttons=[{"sub_type": "url", "index": 10, "text": "b"}],
    )
    rejects(
        out.TemplateMessage,
        "at most 15 characters",
        **base,
        buttons=[{"sub_type": "copy_code", "index": 0, "coupon_code": "X" * 16}],
    )
    rejects(
        out.TemplateMessage,
        "sub_type",
        **base,
        buttons=[{"sub_type": "phone", "index": 0, "text": "b"}],
    )
    rejects(
        out.TemplateMessage,
        "pattern",
        **base,
        body_params=[{"fallback_value": "x", "code": "idr", "amount_1000": 1}],
    )
    rejects(
        out.TemplateMessage,
        "only allowed for document",
        **base,
        header={"type": "image", "link": "https://x.id/a.jpg", "filename": "a.jpg"},
    )


def test_media_rules() -> None:
    rejects(out.ImageMessage, "exactly one of media_id or link")
    rejects(out.ImageMessage, "exactly one of media_id or link", media_id="1", link="https://a.b")
    rejects(out.ImageMessage, "http:// or https://", link="ftp://a.b/x.jpg")
    rejects(out.ImageMessage, "at most 1024 characters", link="https://a.b", caption="x" * 1025)
    rejects(out.AudioMessage, "cannot have a caption", link="https://a.b", caption="hi")
    rejects(out.StickerMessage, "cannot have a caption", media_id="1", caption="hi")
    rejects(out.VideoMessage, "Extra inputs", link="https://a.b", filename="v.mp4")
    assert out.ImageMessage(link="https://a.b", caption="x" * 1024).summary_text() == "x" * 1024
    assert out.DocumentMessage(media_id="1", filename="a.pdf").summary_text() == "a.pdf"
    assert out.AudioMessage(media_id="1").summary_text() is None


def test_text_limits() -> None:
    assert out.TextMessage(body="x" * 4096).summary_text() == "x" * 4096
    rejects(out.TextMessage, "at most 4096 characters", body="x" * 4097)
    rejects(out.TextMessage, "at least 1 character", body="")
    rejects(out.TextMessage, "blank", body="   ")


def test_reply_buttons_limits() -> None:
    ok = [{"id": "a", "title": "A"}]
    rejects(out.ReplyButtonsMessage, "at least 1 item", body="x", buttons=[])
    four = [{"id": str(i), "title": str(i)} for i in range(4)]
    rejects(out.ReplyButtonsMessage, "at most 3 items", body="x", buttons=four)
    rejects(
        out.ReplyButtonsMessage,
        "at most 20 characters",
        body="x",
        buttons=[{"id": "a", "title": "T" * 21}],
    )
    rejects(
        out.ReplyButtonsMessage,
        "at most 256 characters",
        body="x",
        buttons=[{"id": "i" * 257, "title": "T"}],
    )
    rejects(
        out.ReplyButtonsMessage,
        "ids must be unique",
        body="x",
        buttons=[{"id": "a", "title": "A"}, {"id": "a", "title": "B"}],
    )
    rejects(
        out.ReplyButtonsMessage,
        "titles must be unique",
        body="x",
        buttons=[{"id": "a", "title": "A"}, {"id": "b", "title": "A"}],
    )
    rejects(out.ReplyButtonsMessage, "at most 1024 characters", body="x" * 1025, buttons=ok)
    rejects(out.ReplyButtonsMessage, "at most 60 characters", body="x", buttons=ok, header="h" * 61)
    rejects(out.ReplyButtonsMessage, "at most 60 characters", body="x", buttons=ok, footer="f" * 61)


def _rows(n: int, prefix: str = "r") -> list[dict[str, str]]:
    return [{"id": f"{prefix}{i}", "title": f"Row {i}"} for i in range(n)]


def test_list_limits() -> None:
    kw: dict[str, Any] = {"body": "b", "button": "Lihat"}
    out.ListMessage(**kw, sections=[{"rows": _rows(10)}])  # one untitled section is fine
    rejects(
        out.ListMessage,
        "at most 10 rows in total",
        **kw,
        sections=[{"title": "A", "rows": _rows(6, "a")}, {"title": "B", "rows": _rows(5, "b")}],
    )
    rejects(out.ListMessage, "at most 10 items", **kw, sections=[{"rows": _rows(11)}])
    rejects(
        out.ListMessage,
        "needs a title",
        **kw,
        sections=[{"title": "A", "rows": _rows(1, "a")}, {"rows": _rows(1, "b")}],
    )
    rejects(
        out.ListMessage,
        "row ids must be unique",
        **kw,
        sections=[{"title": "A", "rows": _rows(2)}, {"title": "B", "rows": _rows(1)}],
    )
    rejects(
        out.ListMessage,
        "at most 10 items",
        **kw,
        sections=[{"title": f"S{i}", "rows": _rows(1, f"s{i}-")} for i in range(11)],
    )
    rejects(out.ListMessage, "at least 1 item", **kw, sections=[])
    rejects(
        out.ListMessage,
        "at most 20 characters",
        body="b",
        button="B" * 21,
        sections=[{"rows": _rows(1)}],
    )
    rejects(
        out.ListMessage,
        "at most 24 characters",
        **kw,
        sections=[{"title": "T" * 25, "rows": _rows(1)}],
    )
    rejects(
        out.ListMessage,
        "at most 200 characters",
        **kw,
        sections=[{"rows": [{"id": "i" * 201, "title": "t"}]}],
    )
    rejects(
        out.ListMessage,
        "at most 24 characters",
        **kw,
        sections=[{"rows": [{"id": "i", "title": "t" * 25}]}],
    )
    rejects(
        out.ListMessage,
        "at most 72 characters",
        **kw,
        sections=[{"rows": [{"id": "i", "title": "t", "description": "d" * 73}]}],
    )
    rejects(
        out.ListMessage,
        "at most 1024 characters",
        body="b" * 1025,
        button="B",
        sections=[{"rows": _rows(1)}],
    )
    rejects(
        out.ListMessage,
        "at most 60 characters",
        **kw,
        header="h" * 61,
        sections=[{"rows": _rows(1)}],
    )
    rejects(
        out.ListMessage,
        "Input should be a valid string",
        **kw,
        header={"type": "image", "link": "https://a.b"},
        sections=[{"rows": _rows(1)}],
    )


def test_product_list_limits() -> None:
    kw: dict[str, Any] = {"catalog_id": "1", "header": "Promo", "body": "b"}
    skus = [f"sku{i}" for i in range(31)]
    out.ProductListMessage(**kw, sections=[{"title": "A", "product_items": skus[:30]}])
    rejects(
        out.ProductListMessage,
        "at most 30 items",
        **kw,
        sections=[{"title": "A", "product_items": skus}],
    )
    rejects(
        out.ProductListMessage,
        "at most 30 products in total",
        **kw,
        sections=[
            {"title": "A", "product_items": skus[:20]},
            {"title": "B", "product_items": skus[20:]},
        ],
    )
    rejects(
        out.ProductListMessage,
        "at most 10 items",
        **kw,
        sections=[{"title": f"S{i}", "product_items": [f"p{i}"]} for i in range(11)],
    )
    rejects(
        out.ProductListMessage,
        "Field required",
        catalog_id="1",
        body="b",
        sections=[{"title": "A", "product_items": ["x"]}],
    )
    rejects(
        out.ProductListMessage,
        r"sections\.0\.title\n  Field required",
        **kw,
        sections=[{"product_items": ["y"]}],
    )
    rejects(
        out.ProductListMessage,
        "at least 1 item",
        **kw,
        sections=[{"title": "A", "product_items": []}],
    )


def test_other_limits() -> None:
    rejects(
        out.CtaUrlMessage,
        "at most 20 characters",
        body="b",
        display_text="d" * 21,
        url="https://a.b",
    )
    rejects(
        out.CtaUrlMessage,
        "http:// or https://",
        body="b",
        display_text="d",
        url="javascript:alert(1)",
    )
    rejects(out.LocationMessage, "less than or equal to 90", latitude=91, longitude=0)
    rejects(out.LocationMessage, "greater than or equal to -180", latitude=0, longitude=-181)
    rejects(out.ContactsMessage, "formatted_name is required", contacts=[{"name": {}}])
    rejects(out.ContactsMessage, "formatted_name is required", contacts=[{"phones": []}])
    rejects(
        out.ContactsMessage,
        "unknown keys",
        contacts=[{"name": {"formatted_name": "A"}, "nickname": "x"}],
    )
    rejects(out.ContactsMessage, "at least 1 item", contacts=[])
    rejects(out.ReactionMessage, "at least 1 character", message_id="", emoji="👍")
    rejects(
        out.ProductMessage,
        "Extra inputs",
        catalog_id="1",
        product_retailer_id="p",
        header="no headers on single product",
    )
    rejects(out.TextMessage, "Extra inputs", body="x", bogus=1)


def test_summaries() -> None:
    assert out.LocationMessage(latitude=1.5, longitude=2.5).summary_text() == "📍 1.5, 2.5"
    assert out.LocationMessage(latitude=1, longitude=2, address="Jl. Melati").summary_text() == (
        "📍 Jl. Melati"
    )
    assert out.ReactionMessage(message_id="w", emoji="").summary_text() is None
    assert out.ReactionMessage(message_id="w", emoji="👍").summary_text() == "👍"
    assert out.TemplateMessage(name="hello_world", language="en_US").summary_text() == (
        "hello_world"
    )
    assert out.ProductMessage(catalog_id="1", product_retailer_id="p").summary_text() == "🛍 p"
    assert out.CatalogMessage(body="Lihat").summary_text() == "Lihat"


EVERY_MESSAGE: list[Any] = [
    out.TextMessage(body="hi"),
    out.ImageMessage(media_id="1", caption="c"),
    out.VideoMessage(link="https://a.b/v.mp4"),
    out.AudioMessage(media_id="1"),
    out.DocumentMessage(media_id="1", filename="f.pdf"),
    out.StickerMessage(media_id="1"),
    out.LocationMessage(latitude=1, longitude=2),
    out.ContactsMessage(contacts=[{"name": {"formatted_name": "A"}}]),
    out.ReactionMessage(message_id="w", emoji="👍"),
    out.TemplateMessage(
        name="t",
        language="id",
        body_params=[{"fallback_value": "Rp1", "code": "IDR", "amount_1000": 1000}, "x"],
        header={"type": "video", "link": "https://a.b/v.mp4"},
    ),
    out.TemplateMessage(name="t", language="id", body_params={"a": {"fallback_value": "1 Jan"}}),
    out.ReplyButtonsMessage(body="b", buttons=[{"id": "a", "title": "A"}], header="H"),
    out.ListMessage(body="b", button="B", sections=[{"rows": [{"id": "r", "title": "R"}]}]),
    out.CtaUrlMessage(body="b", display_text="d", url="https://a.b"),
    out.LocationRequestMessage(body="b"),
    out.ProductMessage(catalog_id="1", product_retailer_id="p"),
    out.ProductListMessage(
        catalog_id="1", header="h", body="b", sections=[{"title": "t", "product_items": ["p"]}]
    ),
    out.CatalogMessage(body="b"),
]

META_TYPES = {
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "reaction",
    "template",
    "interactive",
}


@pytest.mark.parametrize("msg", EVERY_MESSAGE, ids=lambda m: m.type)
def test_union_round_trip_and_envelope(msg: Any) -> None:
    stored = msg.model_dump(mode="json")
    again = out.parse_outgoing(stored)
    assert again == msg and type(again) is type(msg)
    b = body(again, context_wamid="wamid.Q", callback_data="key")
    assert b["messaging_product"] == "whatsapp" and b["to"] == TO
    assert b["type"] == msg.message_type in META_TYPES
    assert msg.message_type in b
    assert b["context"] == {"message_id": "wamid.Q"}
    assert b["biz_opaque_callback_data"] == "key"
    assert msg.is_template == (msg.type == "template")
    assert msg.summary_text() is None or isinstance(msg.summary_text(), str)


def test_union_rejects_unknown_type_and_documents_all() -> None:
    with pytest.raises(ValidationError, match=r"union_tag_invalid|does not match any"):
        out.parse_outgoing({"type": "carousel", "body": "x"})
    schema = TypeAdapter(out.OutgoingMessage).json_schema()
    assert set(schema["discriminator"]["mapping"]) == {m.type for m in EVERY_MESSAGE}
