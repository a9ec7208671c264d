"""The set-based round: the same outcome as message by message, in far fewer statements.

A database of this module's own; real SQLite or PostgreSQL, the default retail rules.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation.models import AutomationAction, AutomationRule, AutomationTrigger
from niaga.automation.queue import AutomationQueue
from niaga.automation.rules import do_create_rule
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Conversation, ConversationLabel, Message
from niaga.outbox.models import OutboxMessage
from tests.automation.helpers import inbound, seed_retail
from tests.statements import Statements

TEXTS = [
    "Halo kak",
    "Ongkirnya berapa kak?",
    "harga kemeja batik berapa",
    "psnan sy blm smpe, mau komplain",
    "terima kasih",
]


def _write(factory: sessionmaker[Session], group: str, customers: int) -> None:
    """Every customer of ``group`` writes the same five messages, in the same order."""
    start = clock.now() - timedelta(minutes=30)
    with transaction(factory) as s:
        for i, text in enumerate(TEXTS):
            for c in range(customers):
                at = start + timedelta(seconds=60 * i + c)  # distinct, in writing order
                inbound(s, text, wa_id=f"62813{group}{c:06d}", name=f"Pelanggan {c}", at=at)


def _outcome(factory: sessionmaker[Session], group: str) -> list[Any]:
    """What automation did for each of the group's customers, in a comparable form."""
    with factory() as s:
        rows = s.execute(
            select(Contact.wa_id, AutomationAction.rule_name, AutomationAction.action)
            .add_columns(AutomationAction.outcome, AutomationAction.detail)
            .join(Conversation, Conversation.id == AutomationAction.conversation_id)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Contact.wa_id.like(f"62813{group}%"))
            .order_by(Contact.wa_id, AutomationAction.id)
        ).all()
        per_customer: dict[str, list[Any]] = defaultdict(list)
        for wa_id, rule, action, outcome, detail in rows:
            sent = s.get(Message, detail["message_id"]) if "message_id" in detail else None
            per_customer[wa_id[-6:]].append(
                (rule, action, outcome, detail.get("reason"), sent.text if sent else None)
            )
        texts = s.execute(
            select(Contact.wa_id, Message.text)
            .join(Message, Message.contact_id == Contact.id)
            .where(Contact.wa_id.like(f"62813{group}%"), Message.direction == "out")
            .order_by(Contact.wa_id, Message.id)
        ).all()
        labels = s.execute(
            select(Contact.wa_id, func.count(ConversationLabel.id))
            .join(Conversation, Conversation.contact_id == Contact.id)
            .join(ConversationLabel, ConversationLabel.conversation_id == Conversation.id)
            .where(Contact.wa_id.like(f"62813{group}%"))
            .group_by(Contact.wa_id)
            .order_by(Contact.wa_id)
        ).all()
    return [
        sorted(per_customer.items()),
        [(w[-6:], t) for w, t in texts],
        [(w[-6:], n) for w, n in labels],
    ]


def test_set_based_rounds_do_what_message_by_message_does_in_far_fewer_statements(
    own_factory: sessionmaker[Session],
) -> None:
    seed_retail(own_factory)
    with transaction(own_factory) as s:  # rules that read labels the round itself adds
        do_create_rule(
            s,
            {
                "name": "Ongkir ditanya: cek alamat",
                "priority": 900,
                "trigger": {"type": "message_received"},
                "conditions": [{"type": "label", "label": "Pengiriman"}],
                "actions": [{"type": "add_label", "label": "Cek Alamat"}],
            },
        )
        do_create_rule(
            s,
            {
                "name": "Terima kasih: selesai cek",
                "priority": 950,
                "trigger": {"type": "message_received"},
                "conditions": [{"type": "text_contains", "keywords": ["terima kasih"]}],
                "actions": [{"type": "remove_label", "label": "Cek Alamat"}],
            },
        )
    engine = own_factory.kw["bind"]
    customers = 12
    _write(own_factory, "1", customers)
    fast = AutomationQueue(own_factory, batch=200, budget=60.0)
    with Statements(engine) as fast_statements:
        handled = 0
        while n := fast.run_round():
            handled += n
    assert handled == customers * len(TEXTS)

    _write(own_factory, "2", customers)
    careful = AutomationQueue(own_factory, batch=200, budget=60.0)
    with Statements(engine) as careful_statements:
        handled = 0
        while n := careful._round(careful=True):
            handled += n
    assert handled == customers * len(TEXTS)

    first, second = _outcome(own_factory, "1"), _outcome(own_factory, "2")
    assert first[0] and first == second
    done = {
        (rule, action)
        for _, acts in first[0]
        for rule, action, outcome, *_ in acts
        if outcome == "done"
    }
    assert ("Ongkir ditanya: cek alamat", "add_label") in done
    assert ("Terima kasih: selesai cek", "remove_label") in done
    # Every reply went out with its outbox row, each key once.
    with own_factory() as s:
        unsent = s.scalar(
            select(func.count())
            .select_from(Message)
            .outerjoin(OutboxMessage, OutboxMessage.message_id == Message.id)
            .where(Message.direction == "out", OutboxMessage.id.is_(None))
        )
        assert unsent == 0
        triggers = s.scalar(select(func.count()).select_from(AutomationTrigger))
        assert triggers == 2 * customers * len(TEXTS)
    messages = customers * len(TEXTS)
    assert fast_statements.count < 0.7 * careful_statements.count, (
        fast_statements.count,
        careful_statements.count,
    )
    assert fast_statements.count < 10 * messages, fast_statements.count


def test_a_key_that_exists_after_all_sends_the_round_back_message_by_message(
    own_factory: sessionmaker[Session], caplog: Any
) -> None:
    """The set-based round trusts its keys to be new; the unique index keeps it honest."""
    seed_retail(own_factory)
    _write(own_factory, "3", 3)
    with transaction(own_factory) as s:
        first = s.scalars(select(Message.id).order_by(Message.id)).first()
        greeting = s.scalars(
            select(AutomationRule.id).where(AutomationRule.name == "Salam pembuka")
        ).one()
        s.add(  # as if an earlier life of this database had used the key
            OutboxMessage(
                idempotency_key=f"auto-m{first}-{greeting}-0-0",
                phone_number_id="106540352242922",
                recipient="6281300000000",
                message={},
                state="sent",
            )
        )
    queue = AutomationQueue(own_factory, batch=200, budget=60.0)
    handled = 0
    while n := queue.run_round():
        handled += n
    assert handled == 3 * len(TEXTS)
    assert "running it again message by message" in caplog.text
    with own_factory() as s:
        per_message = s.execute(
            select(AutomationTrigger.message_id, func.count()).group_by(
                AutomationTrigger.message_id
            )
        ).all()
        assert len(per_message) == 3 * len(TEXTS) and {n for _, n in per_message} == {1}
        keys = s.execute(
            select(OutboxMessage.idempotency_key)
            .group_by(OutboxMessage.idempotency_key)
            .having(func.count() > 1)
        ).all()
        assert keys == []
