"""The control API under ``/_control``: knobs, simulated customers and what the sandbox saw.

Guarded three ways: it answers only clients on this machine (loopback), only requests whose
Host is a loopback name or the sandbox's own host (no DNS rebinding from a web page), and only
with the control token (``X-Sandbox-Token`` or ``Authorization: Bearer``). It never returns a
secret, and where webhooks go and where state is written are fixed at start.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from niaga.channels.sandbox.config import FIXED_KNOBS, SandboxConfig
from niaga.channels.sandbox.customers import InboundRequest
from niaga.channels.sandbox.ports import SandboxPort
from niaga.channels.sandbox.state import Customer
from niaga.channels.sandbox.validation import normalise_recipient
from niaga.core.hosts import LOOPBACK_NAMES, host_of, is_loopback
from niaga.core.tokens import tokens_equal

STAT_KEYS = (
    "requests",
    "accepted",
    "inbound",
    "marked_read",
    "webhooks_delivered",
    "webhook_failures",
    "webhooks_duplicated",
    "webhooks_dropped",
    "timeouts",
)
TEMPLATE_EVENTS = {"APPROVED", "REJECTED", "PAUSED", "DISABLED", "PENDING", "REINSTATED"}


class CustomerIn(BaseModel):
    """A simulated customer to create or update."""

    phone: str
    name: str | None = None
    user_id: str | None = None
    username: str | None = None
    autoreply: bool | None = None


class TemplateStatusIn(BaseModel):
    """Move a template to a new status (as Meta's review or quality system would)."""

    status: str
    language: str | None = None


def _unprocessable(detail: Any) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=422)


def _fields(payload: dict[str, Any]) -> set[str]:
    return {c["field"] for e in payload.get("entry", []) for c in e.get("changes", [])}


def control_guard(sandbox: SandboxPort) -> Any:
    """The dependency that lets only the token holder on this machine through."""
    own_host = (urlsplit(sandbox.config.public_url).hostname or "").lower()

    def guard(request: Request) -> None:
        client = request.client.host if request.client else None
        if not is_loopback(client):
            raise HTTPException(404, "Not Found")  # does not exist for other machines
        host = host_of(request.headers.get("host", ""))
        if host not in LOOPBACK_NAMES and host != own_host:
            raise HTTPException(403, "The sandbox control API answers only on this machine.")
        expected = sandbox.config.control_token
        auth = request.headers.get("authorization", "")
        given = request.headers.get("x-sandbox-token") or (
            auth[7:] if auth[:7].lower() == "bearer " else ""
        )
        if not tokens_equal(given, expected):
            raise HTTPException(
                401,
                "The sandbox control API needs its token (X-Sandbox-Token); "
                "see var/sandbox-control-token or NIAGA_SANDBOX_CONTROL_TOKEN.",
            )

    return guard


def control_router(sandbox: SandboxPort) -> APIRouter:
    """Routes that drive ``sandbox``."""
    router = APIRouter(
        prefix="/_control", tags=["control"], dependencies=[Depends(control_guard(sandbox))]
    )
    state = sandbox.state

    @router.get("/config")
    async def get_config() -> dict[str, Any]:
        """Every knob and its current value (secrets left out)."""
        return sandbox.config.public()

    @router.patch("/config")
    async def patch_config(changes: dict[str, Any]) -> Any:
        """Change any knobs at once (validated together; nothing changes on an error)."""
        unknown = sorted(set(changes) - set(SandboxConfig.model_fields))
        if unknown:
            return _unprocessable(f"unknown knobs: {unknown}")
        fixed = sorted(set(changes) & FIXED_KNOBS)
        if fixed:
            return _unprocessable(f"fixed at start, not changeable here: {fixed}")
        try:
            checked = SandboxConfig.model_validate({**sandbox.config.model_dump(), **changes})
        except ValidationError as exc:
            return _unprocessable(exc.errors(include_url=False, include_context=False))
        for key in changes:
            setattr(sandbox.config, key, getattr(checked, key))
        sandbox.state.max_log = sandbox.config.max_log  # the logs shrink at their next entry
        return sandbox.config.public()

    @router.post("/reset")
    async def reset() -> dict[str, str]:
        """Customers, messages, media, faults and counters back to the start."""
        sandbox.reset()
        return {"status": "reset"}

    @router.post("/customers")
    async def add_customer(data: CustomerIn) -> dict[str, Any]:
        """Create (or update) a simulated customer."""
        phone = normalise_recipient(data.phone)
        customer = state.customers.get(phone) or Customer(phone=phone, name=data.name or phone)
        for key, value in data.model_dump(exclude_unset=True, exclude={"phone"}).items():
            setattr(customer, key, value)
        state.customers[phone] = customer
        state.save_customers(sandbox.config.state_file)
        return customer.public()

    @router.get("/customers")
    async def list_customers() -> list[dict[str, Any]]:
        return [c.public() for c in state.customers.values()]

    @router.post("/customers/{phone}/send")
    async def customer_send(phone: str, req: InboundRequest) -> Any:
        """The customer sends a message; answers after Niaga answered the webhook.

        Returns ``{wamid, status (Niaga's HTTP status, None if dropped), payload}``.
        """
        wa_id = normalise_recipient(phone)
        customer = state.customers.get(wa_id)
        if customer is None:
            customer = state.customers[wa_id] = Customer(phone=wa_id, name=wa_id)
        try:
            return await sandbox.customer_sends(customer, req)
        except ValueError as exc:
            return _unprocessable(str(exc))

    @router.get("/messages")
    async def list_messages(
        to: str | None = None,
        callback_data: str | None = None,
        type: str | None = None,
        since_id: int | None = None,
        since_seq: int = 0,
        limit: int = 1000,
    ) -> dict[str, Any]:
        """Accepted sends (oldest first); ``seq`` is each one's id for ``since_id``."""
        after = since_id if since_id is not None else since_seq
        out = [
            m
            for m in state.messages
            if m["seq"] > after
            and (to is None or m["to"] == to)
            and (type is None or m["type"] == type)
            and (callback_data is None or m["biz_opaque_callback_data"] == callback_data)
        ]
        return {
            "count": len(out),
            "counts": dict(Counter(m["type"] for m in out)),
            "total_accepted": state.stats.get("accepted", 0),
            "messages": out[:limit],
        }

    @router.get("/webhooks")
    async def list_webhooks(limit: int = 200, field: str | None = None) -> list[dict[str, Any]]:
        """The latest webhook delivery attempts (payload, HTTP status, attempt number)."""
        log = list(state.webhook_log)
        if field is not None:
            log = [
                w
                for w in log
                if any(c["field"] == field for c in w["payload"]["entry"][0]["changes"])
            ]
        return log[-limit:]

    @router.get("/stats")
    async def stats() -> dict[str, Any]:
        """Counters: requests, accepted, errors by code, webhooks sent/failed/pending."""
        return {
            **{k: state.stats.get(k, 0) for k in STAT_KEYS},
            "errors": dict(state.errors),
            "webhooks_pending": sandbox.webhooks.pending,
            "customers": len(state.customers),
            "templates": len(state.templates),
            "media": len(state.media),
        }

    @router.get("/catalog")
    async def catalog_items() -> dict[str, Any]:
        """The products the catalog holds (what the Batch API made of Niaga's)."""
        return sandbox.state.catalog.items

    @router.get("/templates")
    async def list_templates() -> list[dict[str, Any]]:
        return [t.public() for t in state.templates]

    @router.patch("/templates/{name}")
    async def set_template_status(name: str, change: TemplateStatusIn) -> Any:
        """E.g. ``{"status": "PAUSED"}`` → sends then give 132015, and a status webhook."""
        status = change.status.upper()
        if status not in TEMPLATE_EVENTS:
            return _unprocessable(f"status must be one of {sorted(TEMPLATE_EVENTS)}")
        found = [
            t
            for t in state.templates
            if t.name == name and (change.language is None or t.language == change.language)
        ]
        if not found:
            return JSONResponse({"detail": f"no template {name}"}, status_code=404)
        for template in found:
            template.status = status
            sandbox.template_event(template, status, None)
        return [t.public() for t in found]

    return router
