"""What one run of the rules knows: the trigger, the conversation, the profile, the loop guard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from niaga.automation.models import AutomationTrigger, BusinessProfile
from niaga.automation.texts import hours_text
from niaga.inbox.models import Conversation, Message
from niaga.security.models import Team

MAX_DEPTH = 3


@dataclass
class Run:
    """One trigger occurrence being handled (or replayed, when ``dry_run``)."""

    session: Session
    trigger_type: str
    conversation: Conversation
    profile: BusinessProfile
    now: datetime
    message: Message | None = None
    data: dict[str, Any] = field(default_factory=dict)
    record: AutomationTrigger | None = None
    dry_run: bool = False
    depth: int = 0
    # Loop guard: a rule acts at most once per trigger occurrence, chains included.
    fired: set[int] = field(default_factory=set)
    team_chosen: bool = False
    # Triggers the actions raised (e.g. a label added), handled after the current rules.
    chained: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    plan: list[dict[str, Any]] = field(default_factory=list)
    # Each action in its own SAVEPOINT, so a failing one is logged and the others still act.
    # The first attempt runs without (faster); a failure rolls the whole occurrence back and the
    # catch-up runs it again in this safe mode.
    safe: bool = False

    @property
    def text(self) -> str:
        """The customer's words (empty for non-text messages and timers)."""
        return (self.message.text or "") if self.message is not None else ""

    def values(self) -> dict[str, Any]:
        """Placeholders for automatic texts."""
        team = (
            self.session.get(Team, self.conversation.team_id)
            if self.conversation.team_id is not None
            else None
        )
        return {
            "name": self.conversation.contact.name,
            "business": self.profile.name,
            "team": team.name if team else "",
            "hours": hours_text(self.profile),
            "catalog": self.profile.catalog_url,
            "support": self.profile.support_contact,
            "website": self.profile.website,
        }

    def key(self, rule_id: int, index: int) -> str:
        """Idempotency key of a rule's action in this occurrence."""
        record = self.record
        if record is None:
            base: object = "dry"
        elif record.trigger_type == "message_received" and record.message_id is not None:
            base = f"m{record.message_id}"  # known before the trigger row is flushed
        else:
            base = record.id
        return f"auto-{base}-{rule_id}-{index}-{self.depth}"
