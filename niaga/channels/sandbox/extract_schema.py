"""Extract the request and webhook schemas the sandbox needs from Meta's OpenAPI spec.

Run once when the spec changes (the output JSON files are committed)::

    python -m niaga.channels.sandbox.extract_schema path/to/business-messaging-api_v23.0.yaml

Writes ``message_schema.json`` (one JSON Schema per outbound message ``type``, the spec's
``Message`` discriminator resolved, plus ``MarkMessageRequestPayload``) and
``webhook_schema.json`` (``WebhookPayload``) next to this file. The spec is MIT-licensed by
Meta; its notice is in ``SPEC_LICENSE``.

The spec is written for documentation, not validation, so a few fix-ups are applied (each one
listed in ``FIXUPS`` and recorded in the output):

* ``allOf: [BaseMessageProperties, {additionalProperties: false, ...}]`` would reject every
  real body (JSON Schema's ``additionalProperties`` only sees its own branch), so the base
  properties are merged into the branch.
* Interactive types Meta documents elsewhere and Niaga sends (``cta_url``,
  ``location_request_message``) are missing from ``InteractiveObject.type``'s enum.
* ``format: url`` and OpenAPI-only keywords (``discriminator``, ``example``) are dropped.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SPEC_DEFAULT = Path("/work/shared/whatsapp/business-messaging-api_v23.0.yaml")
DROP_KEYS = {"discriminator", "example", "examples", "xml", "externalDocs", "deprecated"}
FIXUPS = [
    "allOf(BaseMessageProperties, closed branch) flattened into one closed object",
    "recipient_type and type optional (Meta defaults them; its own examples omit them)",
    "InteractiveObject.type enum += cta_url, location_request_message, order_details, order_status",
    "ActionObject oneOf → one branch per interactive type (if/then on interactive.type)",
    "LanguageObject.policy optional (the spec marks it required; no example sends it)",
    "LocationMessage latitude/longitude: number or string (the spec says string only)",
    "TemplateComponent.index: string or integer, no pattern; sub_type: any string, "
    "checked against the template instead",
    "OpenAPI-only keywords (discriminator, example, format: url) removed",
    "webhooks: inbound messages built on inbound common keys (from, id, timestamp, context, "
    "referral, errors), not on the outbound BaseMessageProperties",
]
EXTRA_INTERACTIVE = ["cta_url", "location_request_message", "order_details", "order_status"]
# Which ActionObject oneOf branch belongs to which interactive type (by a key it requires).
ACTION_BRANCHES = {
    "list": "button",
    "button": "buttons",
    "product": "catalog_id",
    "product_list": "catalog_id",
    "catalog_message": "catalog_message",
    "flow": "flow",
}


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            out.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)


def _closure(schemas: dict[str, Any], roots: list[str]) -> dict[str, Any]:
    """The named schemas reachable from ``roots``."""
    seen: dict[str, Any] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen[name] = copy.deepcopy(schemas[name])
        found: set[str] = set()
        _refs(seen[name], found)
        todo.extend(found - seen.keys())
    return seen


def _clean(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _clean(v) for k, v in node.items() if k not in DROP_KEYS}
        if out.get("format") in ("url", "uri"):
            out.pop("format")
        return out
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return node


def _flatten_base(schema: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """Merge ``BaseMessageProperties`` into an ``allOf`` message branch."""
    parts = schema.get("allOf")
    if not parts or parts[0].get("$ref") != "#/components/schemas/BaseMessageProperties":
        return schema
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in [base, *parts[1:]]:
        merged["properties"].update(part.get("properties", {}))
        merged["required"] += [r for r in part.get("required", []) if r not in merged["required"]]
        if part.get("additionalProperties") is False:
            merged["additionalProperties"] = False
    # ``biz_opaque_callback_data`` is a documented top-level field (status webhooks echo it).
    if "to" in base.get("properties", {}):
        merged["properties"].setdefault(
            "biz_opaque_callback_data", {"type": "string", "maxLength": 512}
        )
    return merged


def extract(spec_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(message schema document, webhook schema document) from the spec at ``spec_path``."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = yaml.load(spec_path.read_text(encoding="utf-8"), Loader=loader)
    schemas = spec["components"]["schemas"]
    mapping = {
        kind: ref.rsplit("/", 1)[1]
        for kind, ref in schemas["Message"]["discriminator"]["mapping"].items()
    }
    defs = _closure(schemas, [*mapping.values(), "MarkMessageRequestPayload"])
    base = defs["BaseMessageProperties"]
    for name in mapping.values():
        defs[name] = _flatten_base(defs[name], base)
    for name in mapping.values():
        req = defs[name]["required"]
        defs[name]["required"] = [r for r in req if r not in ("recipient_type", "type")]
    _fix_interactive(defs)
    defs["LanguageObject"]["required"] = ["code"]
    loc = defs["LocationMessage"]["properties"]["location"]["properties"]
    for key in ("latitude", "longitude"):
        loc[key]["type"] = ["number", "string"]
    comp = defs["TemplateComponent"]["properties"]
    comp["index"] = {"type": ["string", "integer"]}
    comp["sub_type"] = {"type": "string"}
    message_doc = {
        "$comment": "Extracted from Meta's business-messaging-api_v23.0.yaml (MIT, see "
        "SPEC_LICENSE) by extract_schema.py; do not edit by hand.",
        "fixups": FIXUPS,
        "mapping": mapping,
        "$defs": _clean(_rewrite(defs)),
    }
    webhook_defs = _closure(schemas, ["WebhookPayload"])
    # The spec builds inbound messages on the *outbound* base (messaging_product, to, ...):
    # give them the inbound common keys instead (FACTS.md §1.5).
    inbound_base = {
        "type": "object",
        "required": ["id", "timestamp", "type"],
        "properties": {
            "from": {"type": "string"},
            "from_user_id": {"type": "string"},
            "id": {"type": "string"},
            "timestamp": {"type": "string"},
            "type": {"type": "string"},
            "context": {"type": "object"},
            "referral": {"type": "object"},
            "errors": {"type": "array"},
        },
    }
    for name in list(webhook_defs):
        flat = _flatten_base(webhook_defs[name], inbound_base)
        if flat is not webhook_defs[name]:
            webhook_defs[name] = flat
    webhook_doc = {
        "$comment": message_doc["$comment"],
        "$ref": "#/$defs/WebhookPayload",
        "$defs": _clean(_rewrite(webhook_defs)),
    }
    return message_doc, webhook_doc


def _fix_interactive(defs: dict[str, Any]) -> None:
    """Extra interactive types; the action checked by the branch of the message's type."""
    obj = defs["InteractiveObject"]
    kinds = obj["properties"]["type"]
    kinds["enum"] = [*kinds["enum"], *[t for t in EXTRA_INTERACTIVE if t not in kinds["enum"]]]
    branches = defs["ActionObject"].pop("oneOf")
    defs["ActionObject"]["type"] = "object"
    rules = []
    for itype, marker in ACTION_BRANCHES.items():
        branch = next(
            b
            for b in branches
            if marker in b.get("required", [])
            or marker in (b.get("properties", {}).get("name", {}).get("enum") or [])
        )
        rules.append(
            {
                "if": {"properties": {"type": {"const": itype}}},
                "then": {"properties": {"action": branch}},
            }
        )
    obj["allOf"] = rules


def _rewrite(node: Any) -> Any:
    """``#/components/schemas/X`` → ``#/$defs/X``."""
    if isinstance(node, dict):
        return {
            k: (
                v.replace("#/components/schemas/", "#/$defs/")
                if k == "$ref" and isinstance(v, str)
                else _rewrite(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite(v) for v in node]
    return node


def main(argv: list[str]) -> None:
    spec_path = Path(argv[1]) if len(argv) > 1 else SPEC_DEFAULT
    message_doc, webhook_doc = extract(spec_path)
    for name, doc in (("message_schema.json", message_doc), ("webhook_schema.json", webhook_doc)):
        (HERE / name).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", "utf-8")
        print(f"wrote {HERE / name} ({len(doc['$defs'])} schemas)")


if __name__ == "__main__":
    main(sys.argv)
