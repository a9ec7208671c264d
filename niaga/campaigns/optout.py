"""Opt-out and opt-in in the chat: a message that is itself the request.

"STOP", "BERHENTI", "UNSUBSCRIBE", "berhenti kirim promo" or a template's "Berhenti promo"
button withdraw marketing consent at once and the customer is told how to come back ("MULAI");
a word inside another sentence never does ("stok ada?", "batal pesanan", "stop dulu ya, saya
mau tanya ongkir"). The consent ledger (:mod:`niaga.contacts.consent`) keeps the customer's
words as proof.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy.orm import Session

from niaga.automation.profile import load_profile
from niaga.channels.whatsapp.outgoing import TextMessage
from niaga.contacts import consent
from niaga.contacts.models import Contact
from niaga.core.config import Settings
from niaga.core.i18n import gettext
from niaga.inbox import service as inbox
from niaga.inbox.models import Conversation, Message
from niaga.inbox.window import window_open

_POLITE = r"(?:(?:tolong|mohon|please|pls|min|kak|ka|gan|ya|yah|dong|aja|saja|deh|lagi|thanks|"
_POLITE += r"thank you|makasih|terima kasih) ?)*"
_STOP = r"(?:stop|berhenti|unsubscribe|unsub|opt ?out|cancel subscription)"
_VERB = r"(?:(?:kirim|kirimi|kirimkan|mengirim|terima|menerima|send|sending) ?)?"
_OBJECT = (
    r"(?:(?:saya|aku|sy|me|all|semua) ?)?(?:(?:pesan|info|chat|broadcast|iklan|promo|promosi|"
    r"promotions?|messages?|marketing|langganan|berlangganan|newsletter) ?)*"
)
OPT_OUT = re.compile(rf"^{_POLITE}{_STOP} ?{_VERB}{_OBJECT}{_POLITE}$")
OPT_OUT_PHRASES = re.compile(
    r"^(?:jangan|ga|gak|nggak|tidak|no) (?:kirim|kirimi|mau|usah) (?:lagi )?"
    r"(?:promo|promosi|iklan|broadcast)(?: lagi)?(?: ya| dong| kak)?$"
)
OPT_IN = re.compile(
    rf"^{_POLITE}(?:mulai|start|subscribe|berlangganan|langganan|resume)"
    r"(?: (?:lagi|kembali|again|promo|promosi))*" + rf" ?{_POLITE}$"
)


def normalise(text: str) -> str:
    """Lowercase words only: punctuation, emoji and extra spaces gone."""
    kept = "".join(
        ch if unicodedata.category(ch)[0] in "LN" or ch.isspace() else " " for ch in text.lower()
    )
    return " ".join(kept.split())


def is_opt_out(text: str | None) -> bool:
    """Whether the whole message asks to stop marketing messages."""
    words = normalise(text or "")
    return (
        bool(words)
        and len(words) <= 60
        and bool(OPT_OUT.match(words) or OPT_OUT_PHRASES.match(words))
    )


def is_opt_in(text: str | None) -> bool:
    """Whether the whole message asks for marketing messages again."""
    words = normalise(text or "")
    return bool(words) and len(words) <= 40 and bool(OPT_IN.match(words))


def handle_message(session: Session, message_id: int, settings: Settings) -> str | None:
    """Record an opt-out (or, for someone opted out, an opt-in) and confirm it in the chat;
    what was done (``opted_out``, ``opted_in``) or None."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "in" or not message.text:
        return None
    kind = message.type.split(":")[0]
    if kind not in ("text", "button", "interactive"):
        return None
    contact = session.get(Contact, message.contact_id)
    if contact is None:
        return None
    if is_opt_out(message.text):
        granted = False
    elif is_opt_in(message.text) and consent.state(session, contact.id).granted is False:
        granted = True
    else:
        return None
    consent.do_record(
        session,
        contact,
        granted=granted,
        source="chat",
        proof=message.text,
        message_wamid=message.wamid,
        at=message.created_at,
    )
    _confirm(session, message, granted, settings)
    return "opted_in" if granted else "opted_out"


def _confirm(session: Session, message: Message, granted: bool, settings: Settings) -> None:
    conversation = session.get_one(Conversation, message.conversation_id)
    if not window_open(conversation.last_inbound_at):
        return  # a late catch-up: the consent counts, the chat has moved on
    shop = load_profile(session).name or settings.business_name
    text = (
        "You will receive promotions from {shop} again. Reply STOP at any time to stop."
        if granted
        else "Done: you will not receive promotions from {shop} any more. Orders and your "
        "questions are not affected. Reply START at any time to receive them again."
    )
    inbox.do_send_message(
        session,
        conversation,
        TextMessage(body=gettext(text, settings.locale, shop=shop)),
        origin="automation",
        idempotency_key=f"consent-m{message.id}",
    )
