"""Telling customers about their points: free-form inside the 24-hour window, the approved
``poin_bertambah`` utility template outside it (nothing when neither is possible). Queued in
the caller's transaction with a key per cause, so a retry never sends twice."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.orm import Session

from niaga.channels.template_definition import TemplateDefinition
from niaga.channels.whatsapp.outgoing import TemplateMessage, TextMessage
from niaga.contacts.models import Contact
from niaga.core.config import Settings
from niaga.core.i18n import gettext
from niaga.inbox.service import (
    NotSendableError,
    WindowClosedError,
    do_send_message,
    latest_conversation,
)
from niaga.inbox.window import window_open
from niaga.loyalty import ledger, program
from niaga.loyalty.earning import Earned
from niaga.templates import service as templates

log = logging.getLogger(__name__)

TEMPLATE = "poin_bertambah"
LANGUAGE = "id"
SOURCES = {
    "spend": "order {label}",
    "order": "order {label}",
    "csat": "your rating",
    "review": "your review",
    "referral": "a friend you invited",
}


def template_definition() -> TemplateDefinition:
    """``poin_bertambah`` as Niaga submits it."""
    return TemplateDefinition(
        name=TEMPLATE,
        language=LANGUAGE,
        category="UTILITY",
        parameter_format="NAMED",
        body="Halo {{nama}}, Anda mendapat {{poin}} poin dari {{sumber}}. "
        "Saldo poin Anda sekarang {{saldo}}. Balas POIN untuk melihat hadiah yang bisa ditukar.",
        samples={"nama": "Siti", "poin": "15", "sumber": "pesanan #10001", "saldo": "120"},
    )


REWARD_TEMPLATE = "hadiah_baru"


def reward_template_definition() -> TemplateDefinition:
    """``hadiah_baru``: a new reward, told to customers who hold enough points (marketing: sent
    as a campaign, so only with consent, within the weekly cap, outside quiet hours)."""
    return TemplateDefinition(
        name=REWARD_TEMPLATE,
        language=LANGUAGE,
        category="MARKETING",
        parameter_format="NAMED",
        body="Halo {{nama}}, ada hadiah baru untuk pelanggan setia: {{hadiah}}, cukup {{poin}} "
        "poin. Poin Anda sekarang {{saldo}}. Balas TUKAR untuk menukarnya.",
        samples={"nama": "Siti", "hadiah": "Diskon Rp25.000", "poin": "100", "saldo": "140"},
    )


def earned_text(points: int, source: str, total: int, locale: str, **params: str) -> str:
    """ "You earned 15 points from order #10001. You now hold 120 points." """
    where = gettext(SOURCES.get(source, "order {label}"), locale, **params)
    return gettext(
        "You earned {points} points from {source}. You now hold {balance} points. "
        "Reply POIN to see the rewards you can get.",
        locale,
        points=points,
        source=where,
        balance=total,
    )


def do_announce_earned(
    session: Session,
    earned: Iterable[Earned],
    *,
    key: str,
    settings: Settings,
    order_label: str = "",
) -> int:
    """Tell each customer in ``earned`` what they got (one message each); how many queued."""
    by_contact: dict[int, Earned] = {}
    for item in earned:  # one message per customer: spend and order points together
        seen = by_contact.get(item.contact_id)
        points = item.points + (seen.points if seen else 0)
        by_contact[item.contact_id] = Earned(item.contact_id, points, (seen or item).source)
    if not by_contact or not program.load(session).announce_earned:
        return 0
    sent = 0
    for contact_id, item in by_contact.items():
        conversation = latest_conversation(session, contact_id, settings.wa_phone_number_id)
        if conversation is None:
            continue
        contact = session.get_one(Contact, contact_id)
        total = ledger.balance(session, contact_id)
        message_key = f"loyalty-{key}-{contact_id}"
        try:
            if window_open(conversation.last_inbound_at):
                text = earned_text(
                    item.points, item.source, total, settings.locale, label=order_label
                )
                do_send_message(
                    session,
                    conversation,
                    TextMessage(body=text),
                    origin="automation",
                    idempotency_key=message_key,
                )
            elif templates.approved(session, TEMPLATE, LANGUAGE):
                where = gettext(SOURCES.get(item.source, "order {label}"), "id", label=order_label)
                do_send_message(
                    session,
                    conversation,
                    TemplateMessage(
                        name=TEMPLATE,
                        language=LANGUAGE,
                        body_params={
                            "nama": " ".join(contact.name.split()) or "-",
                            "poin": str(item.points),
                            "sumber": where,
                            "saldo": str(total),
                        },
                    ),
                    origin="automation",
                    idempotency_key=message_key,
                )
            else:
                continue
        except (WindowClosedError, NotSendableError) as exc:
            log.info("points message to contact %s not sent: %s", contact_id, exc)
            continue
        sent += 1
    return sent
