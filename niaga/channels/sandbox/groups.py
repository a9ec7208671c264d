"""Meta's Groups API as the sandbox plays it (FACTS.md §7).

``POST /{phone-number-id}/groups`` answers a ``request_id``; a moment later the
``group_lifecycle_update`` webhook (``type: group_create``) names the new group's id.
``POST /{group_id}/invite_link`` makes an invite link (``https://chat.whatsapp.com/…``),
``DELETE /{group_id}/participants`` takes people out, ``GET /{group_id}`` tells the subject and
participants. A customer who follows a link joins (the control API plays it) and the
``group_participants_update`` webhook says so. At most 8 participants; only for an Official
Business Account (``groups_api`` knob: off, every call is refused).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

MAX_PARTICIPANTS = 8
MAX_GROUPS = 10_000


@dataclass
class Group:
    id: str
    request_id: str
    subject: str
    description: str
    join_approval_mode: str
    invite_code: str | None = None
    participants: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "description": self.description,
            "join_approval_mode": self.join_approval_mode,
            "total_participant_count": len(self.participants),
            "participants": [{"wa_id": w} for w in self.participants],
        }


@dataclass
class Groups:
    """The business's groups by id."""

    by_id: dict[str, Group] = field(default_factory=dict)

    def create(self, body: dict[str, Any]) -> Group:
        """Check a create request as Meta does; the new group (its webhook comes later)."""
        if body.get("messaging_product") != "whatsapp":
            raise ValueError("messaging_product must be whatsapp")
        subject = str(body.get("subject") or "").strip()
        if not subject or len(subject) > 128:
            raise ValueError("subject is required, at most 128 characters")
        description = str(body.get("description") or "")
        if len(description) > 2048:
            raise ValueError("description is at most 2048 characters")
        mode = body.get("join_approval_mode", "auto_approve")
        if mode not in ("auto_approve", "approval_required"):
            raise ValueError("join_approval_mode must be auto_approve or approval_required")
        if len(self.by_id) >= MAX_GROUPS:
            raise ValueError("this number already has 10,000 groups")
        group = Group(
            id="Y2FwaV9ncm91cD" + secrets.token_hex(12),
            request_id=secrets.token_hex(16).upper(),
            subject=subject,
            description=description,
            join_approval_mode=mode,
        )
        self.by_id[group.id] = group
        return group

    def invite_link(self, group: Group) -> str:
        group.invite_code = secrets.token_urlsafe(16)
        return f"https://chat.whatsapp.com/{group.invite_code}"

    def by_link(self, link: str) -> Group | None:
        code = link.rstrip("/").rsplit("/", 1)[-1]
        return next((g for g in self.by_id.values() if g.invite_code == code), None)


def lifecycle_value(metadata: dict[str, Any], group: Group) -> dict[str, Any]:
    """``group_lifecycle_update`` for a created group (as in Meta's example)."""
    return {
        "messaging_product": "whatsapp",
        "metadata": metadata,
        "groups": [
            {
                "timestamp": str(int(time.time())),
                "group_id": group.id,
                "type": "group_create",
                "request_id": group.request_id,
                "subject": group.subject,
                "description": group.description,
            }
        ],
    }


def participants_value(
    metadata: dict[str, Any], group: Group, wa_id: str, joined: bool
) -> dict[str, Any]:
    """``group_participants_update``: someone joined by the link, or was taken out."""
    change = "added_participants" if joined else "removed_participants"
    return {
        "messaging_product": "whatsapp",
        "metadata": metadata,
        "groups": [
            {
                "timestamp": str(int(time.time())),
                "group_id": group.id,
                "type": "group_participants_add" if joined else "group_participants_remove",
                change: [{"input": wa_id, "wa_id": wa_id}],
            }
        ],
    }
