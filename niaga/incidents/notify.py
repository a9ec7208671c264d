"""Telling the owner about a security alert: by email, and by WhatsApp inside the window.

An alert is claimed (``notified_at`` set and committed) before anything leaves, so a crash
never notifies twice; the outcome per channel is kept on the alert (sent, skipped and why,
or failed with the error). WhatsApp goes through the outbox with one idempotency key per
alert and number, so even a retried claim cannot send it twice.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.outgoing import TextMessage
from niaga.contacts.models import Contact
from niaga.core import clock, mail
from niaga.core.config import Settings
from niaga.core.db import transaction
from niaga.core.i18n import gettext
from niaga.core.phone import to_e164
from niaga.inbox.models import Conversation
from niaga.inbox.service import NotSendableError, do_send_message
from niaga.inbox.window import window_open
from niaga.incidents.alerts import KINDS
from niaga.incidents.models import SecurityAlert
from niaga.security.users import email_recipients

log = logging.getLogger(__name__)


def text(alert: SecurityAlert, settings: Settings, locale: str) -> str:
    """The alert in a few lines, in ``locale``."""
    local = clock.as_utc(alert.at).astimezone(ZoneInfo(settings.timezone))
    details = alert.details or {}
    facts = ", ".join(
        f"{key}: {value}"
        for key, value in details.items()
        if key != "actor" and value not in (None, "")
    )
    lines = [
        gettext("Niaga security alert: {what}", locale, what=gettext(KINDS[alert.kind], locale)),
        gettext(
            "{who} at {time}.",
            locale,
            who=details.get("actor") or "?",
            time=local.strftime("%d-%m-%Y %H:%M"),
        ),
    ]
    if facts:
        lines.append(facts)
    base = settings.public_url.rstrip("/")
    if alert.kind == "meta_event":
        lines.append(
            gettext(
                "Open {url} to see what it means and what to do.",
                locale,
                url=f"{base}/settings/status",
            )
        )
        return "\n".join(lines)
    lines.append(
        gettext(
            "If this was not you or your team, open {url} and follow the incident steps.",
            locale,
            url=f"{base}/settings/audit" if base else "/settings/audit",
        )
    )
    return "\n".join(lines)


def claim(factory: sessionmaker[Session]) -> list[int]:
    """Take the alerts nobody has been told about yet (committed before sending)."""
    with transaction(factory) as session:
        ids = list(
            session.scalars(
                select(SecurityAlert.id)
                .where(SecurityAlert.notified_at.is_(None))
                .order_by(SecurityAlert.id)
                .limit(50)
            )
        )
        if ids:
            session.execute(
                update(SecurityAlert)
                .where(SecurityAlert.id.in_(ids), SecurityAlert.notified_at.is_(None))
                .values(notified_at=clock.now(), notified={"state": "sending"})
            )
        return ids


def deliver(factory: sessionmaker[Session], settings: Settings) -> int:
    """Tell the owner about each new alert; returns how many alerts were handled."""
    ids = claim(factory)
    for alert_id in ids:
        outcome: dict[str, str] = {}
        with transaction(factory) as session:
            alert = session.get_one(SecurityAlert, alert_id)
            recipients = email_recipients(session, settings.alert_emails, settings.locale)
            messages = {loc: text(alert, settings, loc) for loc in {r[1] for r in recipients}}
            subject = {
                loc: gettext(
                    "Niaga security alert: {what}", loc, what=gettext(KINDS[alert.kind], loc)
                )
                for loc in messages
            }
            for number in [n.strip() for n in settings.alert_whatsapp.split(",") if n.strip()]:
                outcome[f"whatsapp:{number}"] = _whatsapp(session, settings, alert, number)
        for address, locale in recipients:
            key = f"email:{address}"
            if not mail.configured(settings):
                outcome[key] = "skipped: no SMTP server configured"
                continue
            try:
                mail.send(
                    settings, mail.new_message(settings, address, subject[locale], messages[locale])
                )
                outcome[key] = "sent"
            except Exception as exc:
                log.warning("security alert %s to %s failed: %s", alert_id, address, exc)
                outcome[key] = f"failed: {type(exc).__name__}: {exc}"[:300]
        with transaction(factory) as session:
            session.get_one(SecurityAlert, alert_id).notified = outcome
    return len(ids)


def _whatsapp(session: Session, settings: Settings, alert: SecurityAlert, number: str) -> str:
    try:
        phone = to_e164(number, settings.default_region)
    except ValueError:
        return "skipped: not a phone number"
    conversation = session.scalars(
        select(Conversation)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Contact.phone == phone)
        .order_by(Conversation.last_inbound_at.desc())
    ).first()
    if conversation is None or not window_open(conversation.last_inbound_at):
        return "skipped: no chat with this number in the last 24 hours"
    try:
        do_send_message(
            session,
            conversation,
            TextMessage(body=text(alert, settings, settings.locale)),
            origin="automation",
            idempotency_key=f"security-alert-{alert.id}-{phone}",
        )
    except NotSendableError as exc:
        return f"skipped: {exc}"[:300]
    return "sent"
