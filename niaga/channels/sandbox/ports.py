"""What the control API and the phone page use of the running sandbox.

:class:`niaga.channels.sandbox.app.Sandbox` is the one implementation; typing the routers
against this protocol keeps ``app`` (which mounts them) the only module that knows it, so the
three modules do not import each other in a circle.
"""

from __future__ import annotations

from typing import Any, Protocol

from niaga.channels.sandbox import templates as tpl
from niaga.channels.sandbox.config import SandboxConfig
from niaga.channels.sandbox.customers import InboundRequest
from niaga.channels.sandbox.state import Customer, SandboxState
from niaga.channels.sandbox.webhooks import WebhookSender


class SandboxPort(Protocol):
    """The sandbox as its control API and phone page see it."""

    config: SandboxConfig
    state: SandboxState
    webhooks: WebhookSender

    def reset(self) -> None:
        """Back to a fresh sandbox with the configured defaults."""

    async def customer_sends(self, customer: Customer, req: InboundRequest) -> dict[str, Any]:
        """A simulated customer writes; returns the wamid and the answer."""

    def template_event(self, template: tpl.Template, event: str, rejection: str | None) -> None:
        """A template's status changed (a signed webhook)."""
