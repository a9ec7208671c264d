"""The program in the chat: "POIN" answers the balance, tier and what it buys; "TUKAR" offers
the rewards as a list and a tap redeems one for a code; "REF-XXXXXX" from a new customer records
who invited them. Short commands only, typos tolerated ("poinn", "cek poin", "tukr"), so that
"tukar ukuran" (swap a size) is not taken for one.

Runs on the automation queue for every inbound message (before the rules), once per message:
replies, codes and referrals carry the message's id as their key."""

from __future__ import annotations

import logging
import re

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.catalog.text import words
from niaga.channels.content import Choice
from niaga.channels.whatsapp.outgoing import ListMessage, ListRow, ListSection, TextMessage
from niaga.contacts.models import Contact
from niaga.core.config import Settings
from niaga.core.errors import DomainError
from niaga.core.i18n import format_local, gettext
from niaga.inbox.models import Conversation, Message
from niaga.inbox.service import NotSendableError, WindowClosedError, do_send_message
from niaga.loyalty import ledger, program, queries, rewards
from niaga.loyalty.models import LoyaltyAccount
from niaga.loyalty.models import LoyaltyEntry as Entry

log = logging.getLogger(__name__)

POINTS_WORDS = ("poin", "point", "points", "poinku")
REDEEM_WORDS = ("tukar", "tukarkan", "redeem", "tukerin", "tuker")
FILLERS = frozenset(
    (
        "cek",
        "check",
        "lihat",
        "liat",
        "berapa",
        "saldo",
        "my",
        "mau",
        "ingin",
        "pengen",
        "hadiah",
        "reward",
        "rewards",
        "dong",
        "kak",
        "min",
        "ya",
        "sis",
        "gan",
        "mas",
        "mbak",
        "please",
        "info",
    )
)
ROW_ID = re.compile(r"^loy:r:(\d+)$")
REFERRAL = re.compile(r"\bREF-?([A-HJ-NP-Z2-9]{6})\b")
MAX_ROWS = 10


def _close(word: str, targets: tuple[str, ...]) -> bool:
    return len(word) >= 3 and any(fuzz.ratio(word, t) >= 75 for t in targets)


def command(text: str | None) -> str | None:
    """ "points", "redeem" or None for what a customer wrote."""
    if not text or len(text) > 40:
        return None
    found = words(text)
    if not found or len(found) > 3:
        return None
    redeem = [w for w in found if _close(w, REDEEM_WORDS)]
    points = [w for w in found if w not in redeem and _close(w, POINTS_WORDS)]
    rest = [w for w in found if w not in redeem and w not in points and w not in FILLERS]
    if rest:
        return None
    if redeem:
        return "redeem"
    return "points" if points else None


def _reply(session: Session, message: Message, outgoing: TextMessage | ListMessage) -> None:
    conversation = session.get_one(Conversation, message.conversation_id)
    try:
        do_send_message(
            session,
            conversation,
            outgoing,
            origin="automation",
            idempotency_key=f"loyalty-reply-{message.id}",
            reply_to_wamid=message.wamid,
        )
    except (WindowClosedError, NotSendableError) as exc:
        log.info("loyalty reply to message %s not sent: %s", message.id, exc)


def points_text(session: Session, contact_id: int, settings: Settings) -> str:
    """The answer to "POIN"."""
    locale = settings.locale
    s = queries.summary(session, contact_id, history=0)
    lines = [
        gettext("You hold {balance} points.", locale, balance=s.balance),
    ]
    if s.tier is not None:
        lines.append(gettext("Your level: {tier}.", locale, tier=s.tier.name))
        if s.tier.perks:
            lines.append(gettext("Perks: {perks}", locale, perks=s.tier.perks))
    if s.next_tier is not None and s.to_next:
        lines.append(
            gettext(
                "{points} more points to {tier}.", locale, points=s.to_next, tier=s.next_tier.name
            )
        )
    if s.expiring_soon and s.expiring_at is not None:
        lines.append(
            gettext(
                "{points} points expire on {date}.",
                locale,
                points=s.expiring_soon,
                date=format_local(s.expiring_at, settings.timezone, locale, "medium"),
            )
        )
    offered = rewards.available(session)  # cheapest first
    offers = [r for r in offered if r.cost_points <= s.balance]
    if offers:
        names = ", ".join(f"{r.name} ({r.cost_points})" for r in offers[:5])
        lines.append(
            gettext("You can get: {rewards}. Reply TUKAR to redeem.", locale, rewards=names)
        )
    else:
        cheapest = offered[:1]
        if cheapest:
            lines.append(
                gettext(
                    "{points} more points for {reward}.",
                    locale,
                    points=cheapest[0].cost_points - s.balance,
                    reward=cheapest[0].name,
                )
            )
    if s.referral_code:
        lines.append(
            gettext(
                "Invite a friend: ask them to send us {code}; you get points on their first order.",
                locale,
                code=s.referral_code,
            )
        )
    return "\n".join(lines)


def rewards_list(
    session: Session, contact_id: int, settings: Settings
) -> TextMessage | ListMessage:
    """The answer to "TUKAR": the rewards as list rows (those within reach first)."""
    locale = settings.locale
    held = ledger.balance(session, contact_id)
    offered = rewards.available(session)
    if not offered:
        return TextMessage(body=gettext("There are no rewards to redeem right now.", locale))
    rows = [
        ListRow(
            id=f"loy:r:{r.id}",
            title=r.name[:24],
            description=gettext("{points} points", locale, points=r.cost_points)
            + ("" if r.cost_points <= held else " · " + gettext("not yet", locale)),
        )
        for r in offered[:MAX_ROWS]
    ]
    return ListMessage(
        body=gettext("You hold {balance} points. Choose a reward to redeem:", locale, balance=held),
        button=gettext("Rewards", locale),
        sections=[ListSection(rows=rows)],
    )


def _redeem(session: Session, message: Message, reward_id: int, settings: Settings) -> str:
    locale = settings.locale
    try:
        redemption = rewards.do_redeem(
            session, message.contact_id, reward_id, key=f"chat:{message.id}"
        )
    except DomainError as exc:
        return exc.message(locale)
    reward = rewards.get(session, reward_id)
    return gettext(
        "Here is your code for {reward}: {code}\nShow it to us with your next order; "
        "it can be used once, until {date}. You hold {balance} points now.",
        locale,
        reward=reward.name,
        code=redemption.code,
        date=format_local(redemption.expires_at, settings.timezone, locale, "medium"),
        balance=ledger.balance(session, message.contact_id),
    )


def _record_referral(
    session: Session, message: Message, code: str, settings: Settings
) -> str | None:
    inviter = session.scalars(
        select(LoyaltyAccount).where(LoyaltyAccount.referral_code == f"REF-{code}")
    ).first()
    if inviter is None or inviter.contact_id == message.contact_id:
        return None
    account = ledger.account(session, message.contact_id)
    bought = session.scalar(
        select(Entry.id)
        .where(Entry.contact_id == message.contact_id, Entry.source.in_(("spend", "order")))
        .limit(1)
    )
    if account.referred_by_contact_id is not None or bought is not None:
        return None
    account.referred_by_contact_id = inviter.contact_id
    session.flush()
    name = session.get_one(Contact, inviter.contact_id).name
    return gettext(
        "Welcome! We noted that {name} invited you. Your first order earns {name} a thank-you.",
        settings.locale,
        name=name,
    )


def handle_message(session: Session, message_id: int, settings: Settings) -> None:
    """React to one inbound message (idempotent: keys carry the message id)."""
    message = session.get(Message, message_id)
    if message is None or message.direction != "in":
        return
    row = None
    if message.type != "text":  # a tap on the rewards list, or nothing for loyalty
        choice = message.inbound
        if isinstance(choice, Choice) and choice.choice_id:
            row = ROW_ID.match(choice.choice_id)
        if row is None:
            return
    wanted = command(message.text) if row is None else None
    invited = (
        REFERRAL.search(message.text.upper())
        if row is None and wanted is None and message.text and "REF" in message.text.upper()
        else None
    )
    if row is None and wanted is None and invited is None:
        return  # most messages: decided without a query
    if not program.load(session).enabled:
        return
    if row is not None:
        text = _redeem(session, message, int(row.group(1)), settings)
        _reply(session, message, TextMessage(body=text))
    elif wanted == "points":
        _reply(
            session, message, TextMessage(body=points_text(session, message.contact_id, settings))
        )
    elif wanted == "redeem":
        _reply(session, message, rewards_list(session, message.contact_id, settings))
    elif invited is not None:
        text = _record_referral(session, message, invited.group(1), settings)
        if text:
            _reply(session, message, TextMessage(body=text))
