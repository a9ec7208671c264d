"""Meta's product catalog as the sandbox plays it: the Catalog Batch API.

``POST /{catalog_id}/items_batch`` takes CREATE, UPDATE and DELETE requests for product items
(keyed by ``id``, the retailer id = the SKU) and answers with a handle; the items are checked
as Meta does — required fields, a price like ``150000 IDR`` above zero, an availability and
condition Meta knows, an image it can download — and
``GET /{catalog_id}/check_batch_request_status?handle=…`` reports each refused item by its id.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import aiohttp

PRICE = re.compile(r"^(\d+(?:\.\d{1,2})?) ([A-Z]{3})$")
AVAILABILITY = {"in stock", "out of stock", "available for order", "preorder", "discontinued"}
CONDITION = {"new", "refurbished", "used"}
REQUIRED = ("title", "description", "availability", "condition", "price", "link", "image_link")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")


@dataclass
class Catalog:
    """Items by retailer id, and what each batch handle found."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def apply(self, requests: list[Any], session: aiohttp.ClientSession | None) -> str:
        """Apply one batch; its handle (errors are kept for the status check)."""
        errors: list[dict[str, Any]] = []
        for line, request in enumerate(requests):
            problem = await self._one(request, session)
            if problem is not None:
                data = request.get("data") if isinstance(request, dict) else None
                rid = data.get("id") if isinstance(data, dict) else None
                errors.append({"line": line, "id": rid, "message": problem})
        handle = f"AcX{secrets.token_hex(12)}"
        self.batches[handle] = {
            "handle": handle,
            "status": "finished",
            "errors_total_count": len(errors),
            "errors": errors,
            "warnings": [],
        }
        return handle

    async def _one(self, request: Any, session: aiohttp.ClientSession | None) -> str | None:
        if not isinstance(request, dict) or not isinstance(request.get("data"), dict):
            return "Each request needs a method and a data object"
        method, data = str(request.get("method") or "").upper(), request["data"]
        rid = str(data.get("id") or "")
        if not rid or len(rid) > 100:
            return "Missing or too long field: id"
        if method == "DELETE":
            if self.items.pop(rid, None) is None:
                return f"Item {rid} does not exist in the catalog"
            return None
        if method not in ("CREATE", "UPDATE"):
            return f"Unknown method: {method}"
        if method == "UPDATE" and rid not in self.items:
            return f"Item {rid} does not exist in the catalog"
        merged = {**self.items.get(rid, {}), **data} if method == "UPDATE" else dict(data)
        missing = [f for f in REQUIRED if not str(merged.get(f) or "").strip()]
        if missing:
            return f"Missing required field: {', '.join(missing)}"
        price = PRICE.match(str(merged["price"]))
        if price is None:
            return "Invalid price: write the amount and an ISO 4217 currency, e.g. 150000 IDR"
        if float(price.group(1)) <= 0:
            return "Invalid price: the price must be greater than 0"
        if len(str(merged["title"])) > 200:
            return "Invalid title: at most 200 characters"
        if merged["availability"] not in AVAILABILITY:
            return f"Invalid availability: {merged['availability']}"
        if merged["condition"] not in CONDITION:
            return f"Invalid condition: {merged['condition']}"
        problem = await _image_problem(str(merged["image_link"]), session)
        if problem:
            return problem
        self.items[rid] = merged
        return None


async def _image_problem(url: str, session: aiohttp.ClientSession | None) -> str | None:
    """Meta downloads every image: one it cannot fetch, or that is not an image, is refused."""
    if not url.startswith(("http://", "https://")):
        return "Invalid image_link: not an http(s) URL"
    if session is None:
        return None
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
            kind = resp.headers.get("content-type", "").split(";")[0].strip()
            await resp.read()
            if resp.status != 200:
                return f"Image download failed: HTTP {resp.status} for {url}"
            if kind not in IMAGE_TYPES:
                return f"Image download failed: {url} is not an image ({kind or 'unknown'})"
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"Image download failed: {type(exc).__name__} for {url}"
    return None
