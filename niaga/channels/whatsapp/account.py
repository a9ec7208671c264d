"""Account-level webhook fields (account updates, alerts, unknown changes), kept to inspect."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from niaga.channels.whatsapp.models import AccountEvent


def do_record_account_event(
    session: Session, *, field: str, event: str | None, waba_id: str | None, payload: Any, at: Any
) -> AccountEvent:
    """Keep an account-level notification (or an unknown field) for people to inspect."""
    row = AccountEvent(
        field=field,
        event=event,
        waba_id=waba_id,
        payload=payload if isinstance(payload, dict) else {"value": payload},
        occurred_at=at,
    )
    session.add(row)
    session.flush()
    return row
