"""Status webhooks for accepted sends: sent → delivered → read, or failed (FACTS.md §1.6)."""

from __future__ import annotations

import time
from typing import Any

from niaga.channels.sandbox.config import SandboxConfig
from niaga.channels.sandbox.errors import webhook_error
from niaga.channels.sandbox.faults import Faults
from niaga.channels.sandbox.state import SandboxState, bsuid_for
from niaga.channels.sandbox.webhooks import WebhookSender


class StatusPlanner:
    """Decides each accepted message's fate and schedules its status webhooks.

    Pricing is per-message (PMP): ``free_customer_service`` for service messages and utility
    templates inside the customer's 24-hour window, ``regular`` otherwise; it rides on ``sent``
    and on the last of delivered/read. A ``failed`` status carries Meta's errors object.
    """

    def __init__(
        self,
        config: SandboxConfig,
        state: SandboxState,
        faults: Faults,
        webhooks: WebhookSender,
    ) -> None:
        self.config = config
        self.state = state
        self.faults = faults
        self.webhooks = webhooks

    def plan(self, wamid: str, to: str, body: dict[str, Any], kind: str) -> None:
        """Schedule the statuses of an accepted send (or its ``failed`` status)."""
        c = self.config
        if not c.statuses_enabled:
            return
        customer = self.state.customer(to)
        base: dict[str, Any] = {
            "id": wamid,
            "recipient_id": to,
            "recipient_user_id": customer.user_id if customer else bsuid_for(to),
        }
        if body.get("biz_opaque_callback_data"):
            base["biz_opaque_callback_data"] = body["biz_opaque_callback_data"]
        now = int(time.time())
        failure: tuple[int, str] | None = None
        async_code = self.faults.async_failure()
        if to.isdigit() and (
            (c.not_on_whatsapp_suffix and to.endswith(c.not_on_whatsapp_suffix))
            or to in c.not_on_whatsapp
        ):
            failure = (131026, "Message Undeliverable: the recipient is not a WhatsApp user.")
        elif kind != "template" and not self.state.window_open(to, c.window_hours):
            failure = (
                131047,
                "Message failed to send because more than 24 hours have passed since the "
                "customer last replied to this number.",
            )
        elif async_code is not None:
            failure = (async_code, "Injected asynchronous failure.")
        if failure is not None:
            status = {
                **base,
                "status": "failed",
                "timestamp": str(now),
                "errors": [webhook_error(*failure)],
            }
            self.webhooks.schedule_status(c.status_delays.get("sent", 0.2), status)
            return
        category = self._category(body, kind, to)
        pricing_type = (
            "free_customer_service"
            if category in ("service", "utility") and self.state.window_open(to, c.window_hours)
            else "regular"
        )
        pricing = {
            "billable": pricing_type == "regular",
            "pricing_model": "PMP",
            "type": pricing_type,
            "category": category,
        }
        sent = {
            **base,
            "status": "sent",
            "timestamp": str(now),
            "pricing": pricing,
            "conversation": {
                "id": wamid[-32:],
                "expiration_timestamp": str(now + 86400),
                "origin": {"type": category},
            },
        }
        self.webhooks.schedule_status(c.status_delays.get("sent", 0.2), sent)
        delivered = {
            **base,
            "status": "delivered",
            "timestamp": str(now + int(c.status_delays.get("delivered", 0.5))),
        }
        # A customer whose chat is open on /sandbox/phone reads it there, for real.
        watched = self.state.phone_watchers.get(to, 0) > 0
        read = not watched and self.faults.rng.random() < c.read_probability
        if not read:
            delivered["pricing"] = pricing
        self.webhooks.schedule_status(c.status_delays.get("delivered", 0.5), delivered)
        if read:
            self.webhooks.schedule_status(
                c.status_delays.get("read", 1.5),
                {
                    **base,
                    "status": "read",
                    "pricing": pricing,
                    "timestamp": str(now + int(c.status_delays.get("read", 1.5))),
                },
            )

    def _category(self, body: dict[str, Any], kind: str, to: str) -> str:
        if kind != "template":
            return "service"
        t = body["template"]
        template = self.state.template(t["name"], t["language"]["code"])
        return (template.category if template else "utility").lower()
