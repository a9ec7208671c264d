"""Meta's rules for ``POST /{phone-number-id}/messages`` bodies (FACTS.md §2.1).

Two layers, like Meta: the body must match the spec's request schema for its ``type``
(``message_schema.json``, extracted from Meta's OpenAPI spec by ``extract_schema.py``), then
the semantic rules the schema cannot say (limits across sections, headers per interactive type,
media that must exist, ...).
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from niaga.channels.sandbox.errors import SandboxError

SCHEMA_FILE = Path(__file__).with_name("message_schema.json")

PHONE_RE = re.compile(r"^\+?[1-9]\d{6,14}$")
BSUID_RE = re.compile(r"^[A-Z]{2}\.(ENT\.)?\d{5,}$")
MESSAGE_TYPES = {
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
}
MEDIA = {"image", "video", "audio", "document", "sticker"}


def _missing(what: str) -> SandboxError:
    return SandboxError(131008, f"The parameter {what} is required.")


def _invalid(what: str) -> SandboxError:
    return SandboxError(131009, what)


def _text(obj: Any, key: str, limit: int, where: str, required: bool = True) -> None:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None:
        if required:
            raise _missing(f"{where}.{key}")
        return
    if not isinstance(value, str) or (required and not value):
        raise _invalid(f"{where}.{key} must be a non-empty string")
    if len(value) > limit:
        raise _invalid(f"{where}.{key} is longer than {limit} characters")


def normalise_recipient(to: Any) -> str:
    """``wa_id`` of a valid recipient, or a 100 error for something that is not one."""
    if not isinstance(to, str) or not to:
        raise _missing("to")
    digits = re.sub(r"[\s\-()]", "", to)
    if PHONE_RE.match(digits):
        return digits.lstrip("+")
    if BSUID_RE.match(to):
        return to
    raise SandboxError(100, f"Invalid parameter: to ({to!r}) is not a phone number or user id")


@cache
def _schema_doc() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Resolve ``$ref``s in place: jsonschema's reference lookups cost more than the checks."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return _inline(defs[ref.rsplit("/", 1)[1]], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


@cache
def spec_validator(kind: str, interactive_type: str | None = None) -> Draft202012Validator:
    """The spec's schema for one message type (and interactive subtype), built once."""
    doc = _schema_doc()
    schema = _inline(doc["$defs"][doc["mapping"][kind]], doc["$defs"])
    if kind == "interactive" and interactive_type is not None:
        # Keep only the action rule for this subtype: one branch instead of every if/then.
        obj = copy.deepcopy(schema["properties"]["interactive"])
        obj["allOf"] = [
            r
            for r in obj.get("allOf", [])
            if r["if"]["properties"]["type"]["const"] == interactive_type
        ]
        schema["properties"]["interactive"] = obj
    return Draft202012Validator(schema)


def check_schema(body: dict[str, Any], kind: str) -> None:
    """Refuse a body that does not match Meta's request schema, naming the first problem."""
    if kind not in _schema_doc()["mapping"]:
        return
    itype = body.get("interactive", {}).get("type") if kind == "interactive" else None
    known = _schema_doc()["$defs"]["InteractiveObject"]["properties"]["type"]["enum"]
    validator = spec_validator(kind, itype if itype in known else None)
    if validator.is_valid(body):
        return
    err = best_match(validator.iter_errors(body))
    where = err.json_path.removeprefix("$.") if err.absolute_path else "body"
    if err.validator == "required":
        raise SandboxError(131008, f"Required parameter is missing: {where}: {err.message}")
    if err.validator == "additionalProperties":
        raise SandboxError(100, f"Invalid parameter: {where}: {err.message}")
    raise SandboxError(131009, f"Parameter value is not valid: {where}: {err.message[:300]}")


def validate_message(body: dict[str, Any], media_exists: Any) -> str:
    """Check a send body; returns its type. ``media_exists(id)`` says if a media id is known."""
    if body.get("messaging_product") != "whatsapp":
        raise SandboxError(100, "messaging_product must be 'whatsapp'")
    rtype = body.get("recipient_type", "individual")
    if rtype not in ("individual", "group"):
        raise _invalid("recipient_type must be individual or group")
    # ``type`` defaults to text; Meta's own examples sometimes leave it out next to the object.
    kind = body.get("type") or next((k for k in MESSAGE_TYPES if k in body), "text")
    if kind not in MESSAGE_TYPES:
        raise SandboxError(131051, f"Unsupported message type: {kind}")
    obj = body.get(kind)
    if obj is None:
        raise _missing(kind)
    check_schema(body, kind)
    ctx = body.get("context")
    if ctx is not None and not (isinstance(ctx, dict) and isinstance(ctx.get("message_id"), str)):
        raise _invalid("context.message_id must be a message id")
    if kind == "text":
        _text(obj, "body", 4096, "text")
    elif kind in MEDIA:
        _media(kind, obj, media_exists)
    elif kind == "location":
        for key, bound in (("latitude", 90), ("longitude", 180)):
            v = obj.get(key)
            if not isinstance(v, int | float) or not -bound <= v <= bound:
                raise _invalid(f"location.{key} must be a number within ±{bound}")
    elif kind == "contacts":
        if not isinstance(obj, list) or not obj:
            raise _invalid("contacts must be a non-empty list")
        for card in obj:
            if not isinstance(card, dict) or not (card.get("name") or {}).get("formatted_name"):
                raise _missing("contacts[].name.formatted_name")
    elif kind == "reaction":
        if not isinstance(obj.get("message_id"), str):
            raise _missing("reaction.message_id")
        if not isinstance(obj.get("emoji", ""), str):
            raise _invalid("reaction.emoji must be a string")
    elif kind == "interactive":
        _interactive(obj, media_exists)
    elif kind == "template":
        _text(obj, "name", 512, "template")
        lang = obj.get("language")
        if not isinstance(lang, dict) or not lang.get("code"):
            raise _missing("template.language.code")
        if not isinstance(obj.get("components", []), list):
            raise _invalid("template.components must be a list")
    return kind


def _media(kind: str, obj: dict[str, Any], media_exists: Any) -> None:
    has_id, has_link = "id" in obj, "link" in obj
    if has_id == has_link:
        raise _invalid(f"{kind} needs exactly one of id or link")
    if has_id and not media_exists(obj["id"]):
        raise SandboxError(131053, f"media id {obj['id']} was not found")
    if has_link and not str(obj["link"]).startswith(("http://", "https://")):
        raise _invalid(f"{kind}.link must be an http(s) URL")
    if "caption" in obj:
        if kind in ("audio", "sticker"):
            raise _invalid(f"{kind} messages cannot have a caption")
        _text(obj, "caption", 1024, kind)


def _interactive(obj: dict[str, Any], media_exists: Any) -> None:
    itype = obj.get("type")
    action = obj.get("action")
    if not isinstance(action, dict):
        raise _missing("interactive.action")
    header = obj.get("header")
    if header is not None:
        htype = header.get("type")
        if htype == "text":
            _text(header, "text", 60, "interactive.header")
        elif htype in ("image", "video", "document"):
            _media(htype, header.get(htype) or {}, media_exists)
        else:
            raise _invalid("interactive.header.type must be text, image, video or document")
    if obj.get("footer") is not None:
        _text(obj["footer"], "text", 60, "interactive.footer")
    body_limit = 4096 if itype == "list" else 1024
    needs_body = itype not in ("product",)
    if needs_body or obj.get("body") is not None:
        _text(obj.get("body") or {}, "text", body_limit, "interactive.body", required=needs_body)
    if itype == "button":
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise _invalid("interactive button messages need 1 to 3 buttons")
        ids, titles = set(), set()
        for b in buttons:
            reply = b.get("reply") if isinstance(b, dict) else None
            if not isinstance(reply, dict) or b.get("type") != "reply":
                raise _invalid("each button must be {type: reply, reply: {id, title}}")
            _text(reply, "id", 256, "button.reply")
            _text(reply, "title", 20, "button.reply")
            ids.add(reply["id"])
            titles.add(reply["title"])
        if len(ids) != len(buttons) or len(titles) != len(buttons):
            raise _invalid("button ids and titles must be unique")
    elif itype == "list":
        if header is not None and header.get("type") != "text":
            raise _invalid("a list header must be text")
        _text(action, "button", 20, "interactive.action")
        sections = action.get("sections")
        if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
            raise _invalid("a list needs 1 to 10 sections")
        rows = [r for s in sections for r in (s.get("rows") or [])]
        if not rows or len(rows) > 10:
            raise _invalid("a list needs 1 to 10 rows in total")
        if len(sections) > 1 and any(not s.get("title") for s in sections):
            raise _missing("sections[].title (required with several sections)")
        for s in sections:
            if s.get("title"):
                _text(s, "title", 24, "section")
        for r in rows:
            _text(r, "id", 200, "row")
            _text(r, "title", 24, "row")
            _text(r, "description", 72, "row", required=False)
        if len({r["id"] for r in rows}) != len(rows):
            raise _invalid("row ids must be unique")
    elif itype == "cta_url":
        params = action.get("parameters") or {}
        if action.get("name") != "cta_url":
            raise _invalid("cta_url action.name must be cta_url")
        _text(params, "display_text", 20, "cta_url.parameters")
        if not str(params.get("url", "")).startswith(("http://", "https://")):
            raise _invalid("cta_url.parameters.url must be an http(s) URL")
    elif itype == "location_request_message":
        if action.get("name") != "send_location":
            raise _invalid("location_request_message action.name must be send_location")
    elif itype == "product":
        if header is not None:
            raise _invalid("single product messages cannot have a header")
        _text(action, "catalog_id", 64, "product.action")
        _text(action, "product_retailer_id", 100, "product.action")
    elif itype == "product_list":
        if header is None or header.get("type") != "text":
            raise _missing("interactive.header (text) for product_list")
        _text(action, "catalog_id", 64, "product_list.action")
        sections = action.get("sections")
        if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
            raise _invalid("a product list needs 1 to 10 sections")
        items = [i for s in sections for i in (s.get("product_items") or [])]
        if not items or len(items) > 30:
            raise _invalid("a product list needs 1 to 30 products in total")
        for s in sections:
            _text(s, "title", 24, "product_list.section")
        for i in items:
            _text(i, "product_retailer_id", 100, "product_items[]")
    elif itype == "catalog_message":
        if action.get("name") != "catalog_message":
            raise _invalid("catalog_message action.name must be catalog_message")
    elif itype == "flow":
        if action.get("name") != "flow":
            raise _invalid("flow action.name must be flow")
    elif itype in ("order_details", "order_status"):
        if action.get("name") not in ("review_and_pay", "review_order"):
            raise _invalid(f"{itype} action.name must be review_and_pay or review_order")
        if not isinstance(action.get("parameters"), dict):
            raise _missing(f"{itype}.action.parameters")
    else:
        raise _invalid(f"unsupported interactive type {itype!r}")
