"""The rule engine through its services, on a real database (no server)."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import defaults, rules, service
from niaga.automation.models import AutomationAction, AutomationRule, AutomationTrigger
from niaga.automation.queue import catch_up, claim_missed
from niaga.automation.schemas import RuleInvalidError
from niaga.contacts.models import Label
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox import organise
from niaga.inbox.models import Conversation, ConversationLabel, Message
from niaga.outbox.models import OutboxMessage
from tests.automation.helpers import inbound, make_team, shop_profile

pytestmark = pytest.mark.usefixtures("quiet")


def seeded(factory: sessionmaker[Session], agents: int = 1) -> None:
    with transaction(factory) as s:
        for team in defaults.TEAMS:
            make_team(s, team, agents)
        defaults.do_seed_defaults(s)
        shop_profile(s)


def labels_of(s: Session, conversation_id: int) -> dict[str, int | None]:
    rows = s.execute(
        select(Label.name, ConversationLabel.rule_id)
        .join(ConversationLabel, ConversationLabel.label_id == Label.id)
        .where(ConversationLabel.conversation_id == conversation_id)
    )
    return {name: rule_id for name, rule_id in rows}


def sent_texts(s: Session, conversation_id: int) -> list[str]:
    return list(
        s.scalars(
            select(Message.text)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == "out",
                Message.origin == "automation",
            )
            .order_by(Message.id)
        )
    )


def receive(factory: sessionmaker[Session], body: str, **kw: Any) -> int:
    """A customer's message is recorded and committed, then automation handles it."""
    with transaction(factory) as s:
        message_id = inbound(s, body, **kw).id
    with transaction(factory) as s:
        service.handle_message_received(s, message_id)
    return message_id


def test_seeding_is_idempotent_and_keeps_edits(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        first = defaults.do_seed_defaults(s)
    assert first["teams"] == 3 and first["labels"] == 6 and first["rules"] >= 14
    with transaction(factory) as s:
        rule = s.scalars(select(AutomationRule).where(AutomationRule.seed_key == "ack")).one()
        rule.enabled = False
    with transaction(factory) as s:
        assert defaults.do_seed_defaults(s) == {"teams": 0, "labels": 0, "rules": 0}
        rule = s.scalars(select(AutomationRule).where(AutomationRule.seed_key == "ack")).one()
        assert rule.enabled is False


def test_delivery_complaint_is_labelled_routed_greeted_and_acknowledged(
    factory: sessionmaker[Session],
) -> None:
    seeded(factory)
    message_id = receive(factory, "psnan sy blm smpe kak, udh 5 hari")
    with factory() as s:
        conversation = s.get_one(Conversation, s.get_one(Message, message_id).conversation_id)
        labels = labels_of(s, conversation.id)
        assert set(labels) == {"Keluhan", "Pengiriman"}
        assert all(rule_id is not None for rule_id in labels.values())
        team = s.scalars(select(AutomationRule).where(AutomationRule.id == labels["Keluhan"])).one()
        assert team.name == "Label: Keluhan"
        # The complaint rule runs first, so the chat goes to the Keluhan team, to its agent.
        assert conversation.team_id is not None and conversation.assigned_user_id is not None
        from niaga.security.models import Team, User

        assert s.get_one(Team, conversation.team_id).name == "Keluhan"
        assert s.get_one(User, conversation.assigned_user_id).email == "keluhan0@tokosari.id"
        texts = sent_texts(s, conversation.id)
        assert len(texts) == 2
        assert texts[0].startswith("Halo Siti, selamat datang di Toko Sari!")
        assert "https://tokosari.id/katalog" in texts[0]
        assert "tim Keluhan" in texts[1]
        assert "15 menit" in texts[1] and "perkiraan awal" in texts[1]
        outcomes = {
            action: outcome
            for action, outcome in s.execute(
                select(AutomationAction.action, AutomationAction.outcome).where(
                    AutomationAction.conversation_id == conversation.id
                )
            )
        }
        assert outcomes["send_greeting"] == "done" and outcomes["send_ack"] == "done"


def test_a_trigger_acts_once(factory: sessionmaker[Session]) -> None:
    seeded(factory)
    message_id = receive(factory, "Ongkirnya berapa?")
    with factory() as s:
        outbox_before = s.scalar(select(func.count()).select_from(OutboxMessage))
    for _ in range(2):
        with transaction(factory) as s:
            assert service.handle_message_received(s, message_id) is None
    assert catch_up(factory) == 0
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == outbox_before
        assert s.scalar(select(func.count()).select_from(AutomationTrigger)) == 1


def test_catch_up_handles_a_message_whose_automation_was_lost(
    factory: sessionmaker[Session],
) -> None:
    seeded(factory)
    # The process died right after the message commit: nothing handled it.
    with transaction(factory) as s:
        message_id = inbound(s, "Ada ukuran XL?").id
    clock.advance(timedelta(seconds=90))
    with transaction(factory) as s:
        assert claim_missed(s) == [message_id]
    assert catch_up(factory) == 1
    assert catch_up(factory) == 0
    with factory() as s:
        conversation_id = s.get_one(Message, message_id).conversation_id
        assert set(labels_of(s, conversation_id)) == {"Pertanyaan Produk"}
        assert len(sent_texts(s, conversation_id)) == 2  # greeting + acknowledgement


def test_no_loop_between_two_rules(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        for a, b in (("A", "B"), ("B", "A")):
            rules.do_create_rule(
                s,
                {
                    "name": f"{a} brings {b}",
                    "trigger": {"type": "label_added", "label": a},
                    "actions": [
                        {"type": "remove_label", "label": b},
                        {"type": "add_label", "label": b},
                    ],
                },
            )
    with transaction(factory) as s:
        conversation = s.get_one(Conversation, inbound(s, "Halo").conversation_id)
        label = organise.get_or_create_label(s, "A")
        organise.do_add_conversation_label(s, conversation, label, actor_user_id=None)
    with transaction(factory) as s:
        service.handle_label_added(s, conversation.id, label.id)
    with factory() as s:
        log = s.execute(
            select(
                AutomationAction.rule_name, AutomationAction.action, AutomationAction.outcome
            ).order_by(AutomationAction.id)
        ).all()
    acted = [r for r in log if r.action == "add_label" and r.outcome == "done"]
    assert [r.rule_name for r in acted] == ["A brings B", "B brings A"]
    assert ("A brings B", "rule", "skipped") in [tuple(r) for r in log]
    assert len(log) <= 8


def test_chains_stop_at_the_depth_limit(factory: sessionmaker[Session]) -> None:
    names = ["L0", "L1", "L2", "L3", "L4", "L5"]
    with transaction(factory) as s:
        for a, b in pairwise(names):
            rules.do_create_rule(
                s,
                {
                    "name": f"{a} to {b}",
                    "trigger": {"type": "label_added", "label": a},
                    "actions": [{"type": "add_label", "label": b}],
                },
            )
        conversation = s.get_one(Conversation, inbound(s, "Halo").conversation_id)
        label = organise.get_or_create_label(s, "L0")
        organise.do_add_conversation_label(s, conversation, label)
    with transaction(factory) as s:
        service.handle_label_added(s, conversation.id, label.id)
    with factory() as s:
        assert set(labels_of(s, conversation.id)) == {"L0", "L1", "L2", "L3", "L4"}
        reasons = [
            d.get("reason") for d in s.scalars(select(AutomationAction.detail)) if d is not None
        ]
        assert "depth_limit" in reasons


def test_greeting_for_new_customers_and_after_14_days(factory: sessionmaker[Session]) -> None:
    seeded(factory)
    phone = "6281234500077"

    def greeted() -> bool:
        with factory() as s:
            last = s.scalars(
                select(AutomationAction)
                .where(AutomationAction.action == "send_greeting")
                .order_by(AutomationAction.id.desc())
            ).first()
            return last is not None and last.created_at >= clock.now() - timedelta(seconds=5)

    receive(factory, "Halo kak", wa_id=phone)
    assert greeted()
    clock.advance(timedelta(days=13, hours=23))
    receive(factory, "Halo lagi", wa_id=phone)
    assert not greeted()
    clock.advance(timedelta(days=14, minutes=1))
    receive(factory, "Halo, masih buka?", wa_id=phone)
    assert greeted()


def test_away_message_says_when_the_shop_opens(factory: sessionmaker[Session]) -> None:
    from datetime import UTC, datetime

    seeded(factory)
    with transaction(factory) as s:
        weekdays = {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
        shop_profile(s, hours=weekdays, timezone="Asia/Jakarta")
    # Saturday 2026-12-05 20:00 WIB = 13:00 UTC.
    clock.advance(datetime(2026, 12, 5, 13, 0, tzinfo=UTC) - clock.now())
    message_id = receive(factory, "Halo, masih ada stok?")
    receive(factory, "Halo?")  # the away message is not repeated
    with factory() as s:
        texts = sent_texts(s, s.get_one(Message, message_id).conversation_id)
    away = [t for t in texts if "tutup" in t]
    assert len(away) == 1
    assert "Senin, 7 Desember 08.00" in away[0] or "Senin, 7 Desember 08:00" in away[0]
    assert not any("perkiraan" in t for t in texts)  # no acknowledgement while closed


def test_eta_uses_queue_and_median_of_recent_first_responses(
    factory: sessionmaker[Session],
) -> None:
    from niaga.automation.models import ResponseSample

    seeded(factory, agents=0)
    with transaction(factory) as s:
        team, _ = make_team(s, "Penjualan", 1, capacity=1, prefix="rani")
        conversation_id = inbound(s, "halo", wa_id="6281200000001").conversation_id
        for seconds in (60, 240, 600):  # median 4 minutes
            s.add(
                ResponseSample(
                    conversation_id=conversation_id,
                    team_id=team.id,
                    message_id=seconds,
                    seconds=seconds,
                )
            )
    # The agent takes the first chat; the next three wait in the queue.
    for i in range(1, 5):
        receive(factory, "Ada ukuran L?", wa_id=f"62812000000{i + 1:02d}")
    with factory() as s:
        acks = [
            d
            for d in s.scalars(
                select(AutomationAction.detail)
                .where(AutomationAction.action == "send_ack")
                .order_by(AutomationAction.id)
            )
        ]
    assert [(a["queue_ahead"], a["eta_minutes"]) for a in acks] == [(0, 4), (0, 4), (1, 8), (2, 12)]
    assert all(a["basis"] == "history" and a["samples"] == 3 for a in acks)


def test_rule_validation_names_the_bad_field(factory: sessionmaker[Session]) -> None:
    cases = [
        ({"name": "x", "trigger": {"type": "nope"}, "actions": []}, "trigger"),
        (
            {
                "name": "x",
                "trigger": {"type": "no_business_reply"},
                "actions": [{"type": "add_note", "text": "a"}],
            },
            "trigger.minutes",
        ),
        (
            {
                "name": "x",
                "trigger": {"type": "message_received"},
                "conditions": [{"type": "text_matches", "pattern": "("}],
                "actions": [{"type": "add_note", "text": "a"}],
            },
            "conditions[0].pattern",
        ),
        (
            {
                "name": "x",
                "trigger": {"type": "message_received"},
                "actions": [{"type": "add_note", "text": "a"}, {"type": "add_label"}],
            },
            "actions[1].label",
        ),
        (
            {
                "name": "x",
                "trigger": {"type": "message_received"},
                "actions": [{"type": "assign_team", "team": "Gudang"}],
            },
            "actions[0].team",
        ),
    ]
    with factory() as s:
        for data, field in cases:
            with pytest.raises(RuleInvalidError) as info:
                rules.check_rule(s, data)
            assert field in [e["field"] for e in info.value.errors], info.value.errors


def test_no_reply_timer_fires_once_per_wait(factory: sessionmaker[Session]) -> None:
    seeded(factory)
    message_id = receive(factory, "Halo kak, bisa dibantu?")
    with transaction(factory) as s:
        assert service.due_timers(s) == 0
    clock.advance(timedelta(minutes=31))
    with transaction(factory) as s:
        assert service.due_timers(s) == 1
    with transaction(factory) as s:
        assert service.due_timers(s) == 0
    with factory() as s:
        conversation_id = s.get_one(Message, message_id).conversation_id
        assert "Perlu Perhatian" in labels_of(s, conversation_id)
        note = s.scalars(select(Message).where(Message.direction == "note")).one()
        assert "30 menit" in (note.text or "")


def test_order_status_trigger(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        rules.do_create_rule(
            s,
            {
                "name": "Dikirim",
                "trigger": {"type": "order_status_changed", "status": "shipped"},
                "actions": [{"type": "send_text", "text": "Pesanan {name} sudah dikirim!"}],
            },
        )
        conversation_id = inbound(s, "halo").conversation_id
    with transaction(factory) as s:
        assert service.handle_order_status(s, 7, conversation_id, "paid") is not None
        assert service.handle_order_status(s, 7, conversation_id, "shipped") is not None
        assert service.handle_order_status(s, 7, conversation_id, "shipped") is None
    with factory() as s:
        assert sent_texts(s, conversation_id) == ["Pesanan Siti sudah dikirim!"]


def test_cli_seeds_defaults(
    database_url: str, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from niaga.cli import app
    from niaga.core.config import get_settings

    monkeypatch.setenv("NIAGA_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(app, ["automation", "seed-defaults"])
        second = CliRunner().invoke(app, ["automation", "seed-defaults"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert "Created 3 teams, 6 labels" in first.output
    assert "Created 0 teams, 0 labels, 0 rules" in second.output


def test_a_failing_action_is_retried_safely_by_the_catch_up(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as s:
        # Valid as data, but fails at run time: the shop has no support contact, so the note
        # is empty.
        rules.do_create_rule(
            s,
            {
                "name": "Broken note",
                "priority": 1,
                "trigger": {"type": "message_received"},
                "actions": [{"type": "add_note", "text": "{support}"}],
            },
        )
        rules.do_create_rule(
            s,
            {
                "name": "Label",
                "priority": 2,
                "trigger": {"type": "message_received"},
                "actions": [{"type": "add_label", "label": "Baru"}],
            },
        )
        message_id = inbound(s, "Halo").id
    with pytest.raises(organise.OrganiseError), transaction(factory) as s:
        service.handle_message_received(s, message_id)
    with factory() as s:  # the first attempt left nothing behind
        assert s.scalar(select(func.count()).select_from(AutomationTrigger)) == 0
    clock.advance(timedelta(seconds=90))
    assert catch_up(factory) == 1
    with factory() as s:
        log = {
            (name, outcome)
            for name, outcome in s.execute(
                select(AutomationAction.rule_name, AutomationAction.outcome)
            )
        }
        assert log == {("Broken note", "failed"), ("Label", "done")}


def test_outgoing_webhook_is_scheduled_with_its_cause(factory: sessionmaker[Session]) -> None:
    """The action records a delivery and its job in the rule's transaction (delivered later by
    the jobs layer: tests/security/test_outgoing_webhooks.py)."""
    from niaga.core.jobs.models import ScheduledJob
    from niaga.outgoing_webhooks.models import WebhookDelivery
    from niaga.outgoing_webhooks.service import DELIVER_JOB

    url = "https://crm.example.com/hook"
    with transaction(factory) as s:
        rule = rules.do_create_rule(
            s,
            {
                "name": "To the CRM",
                "trigger": {"type": "message_received"},
                "actions": [{"type": "call_webhook", "url": url}],
            },
        )
        message_id = inbound(s, "Halo").id
    with transaction(factory) as s:
        service.handle_message_received(s, message_id)
    with factory() as s:
        delivery = s.scalars(select(WebhookDelivery)).one()
        assert delivery.url == url and delivery.status == "pending"
        assert delivery.payload["rule_id"] == rule.id
        assert delivery.payload["message_id"] == message_id
        assert delivery.event == "message_received"
        job = s.scalars(select(ScheduledJob).where(ScheduledJob.name == DELIVER_JOB)).one()
        assert job.payload == {"delivery_id": delivery.id}
        outcome = s.scalars(
            select(AutomationAction.outcome).where(AutomationAction.action == "call_webhook")
        ).one()
        assert outcome == "queued"
