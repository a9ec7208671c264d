"""Meta's payload keys stay at the edge: only the WhatsApp adapter (and the sandbox, which
plays Meta) reads them; every other module sees Niaga's typed content (issue 22, item 1)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

NIAGA = Path(__file__).resolve().parents[2] / "niaga"
EDGE = ("channels/whatsapp/", "channels/sandbox/")

# Keys of Meta's webhook and Graph payloads that Niaga's own model never uses.
META_KEYS = (
    "product_items",
    "product_retailer_id",
    "item_price",
    "catalog_id",
    "referred_product",
    "new_wa_id",
    "button_reply",
    "list_reply",
    "nfm_reply",
    "response_json",
    "formatted_name",
    "ctwa_clid",
    "source_url",
    "source_type",
    "source_id",
    "mime_type",
    "biz_opaque_callback_data",
    "messaging_product",
    "recipient_type",
)
QUOTED = re.compile("[\"'](" + "|".join(META_KEYS) + ")[\"']")
# Stored JSON that used to be Meta's and is read through typed structs now.
JSON_FIELDS = {"content", "referral", "last_referral", "raw"}


def _beyond_the_edge() -> list[Path]:
    return [
        p
        for p in NIAGA.rglob("*")
        if p.suffix in (".py", ".html", ".js") and not str(p.relative_to(NIAGA)).startswith(EDGE)
    ]


def _raw_reads(tree: ast.AST) -> list[int]:
    """Lines reading a key of stored JSON: ``x.content.get("…")`` or ``x.referral["…"]``."""
    found = []
    for node in ast.walk(tree):
        target = None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            target = node.func.value
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            target = node.value
        while isinstance(target, ast.BoolOp):  # (m.content or {}).get(...)
            target = target.values[0]
        if isinstance(target, ast.Attribute) and target.attr in JSON_FIELDS:
            found.append(node.lineno)
    return found


def test_no_module_beyond_the_adapter_names_a_meta_key() -> None:
    offenders = {
        str(p.relative_to(NIAGA)): sorted(set(QUOTED.findall(p.read_text(encoding="utf-8"))))
        for p in _beyond_the_edge()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_module_beyond_the_adapter_reads_stored_payload_keys() -> None:
    offenders = {
        str(p.relative_to(NIAGA)): lines
        for p in _beyond_the_edge()
        if p.suffix == ".py" and (lines := _raw_reads(ast.parse(p.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def test_the_checks_can_fail() -> None:
    assert QUOTED.search('lines = cart.get("product_items")')
    assert _raw_reads(ast.parse('x = (message.content or {}).get("id")')) == [1]
    assert _raw_reads(ast.parse('x = message.referral["source_type"]')) == [1]
    assert _raw_reads(ast.parse("x = message.inbound.choice_id")) == []
