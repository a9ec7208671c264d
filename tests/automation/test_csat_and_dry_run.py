"""CSAT on resolve (list in the window, template outside) and dry runs without side effects."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from niaga.automation import csat, defaults, dryrun, rules, service
from niaga.automation.models import AutomationAction, AutomationTrigger, CsatSurvey
from niaga.automation.schemas import rule_adapter
from niaga.channels.whatsapp.outgoing import parse_outgoing
from niaga.channels.whatsapp.parse import parse_webhook
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox import organise
from niaga.inbox import service as inbox
from niaga.inbox.models import Conversation, ConversationLabel, Message
from niaga.outbox.models import OutboxMessage
from tests.automation.helpers import inbound, make_team, shop_profile
from tests.factories import envelope, messages_value

pytestmark = pytest.mark.usefixtures("quiet")


def graph_body(row: OutboxMessage) -> dict[str, Any]:
    """What the channel sends for an outbox row (it renders the stored Niaga message)."""
    assert row.message is not None and row.recipient
    return parse_outgoing(row.message).to_graph_body(row.recipient)


def seeded(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        for team in defaults.TEAMS:
            make_team(s, team, 1)
        defaults.do_seed_defaults(s)
        shop_profile(s)


def list_reply(row_id: str, wa_id: str = "6281234500001") -> Any:
    payload = envelope(
        messages_value(
            messages=[
                {
                    "from": wa_id,
                    "id": f"wamid.REPLY{row_id.replace(':', '')}{clock.now().timestamp()}",
                    "timestamp": str(int(clock.now().timestamp())),
                    "type": "interactive",
                    "interactive": {
                        "type": "list_reply",
                        "list_reply": {"id": row_id, "title": "4 ⭐ Puas"},
                    },
                }
            ],
            contacts=[{"profile": {"name": "Siti"}, "wa_id": wa_id}],
        )
    )
    return parse_webhook(json.dumps(payload).encode()).items[0]


def resolve(factory: sessionmaker[Session], conversation_id: int) -> None:
    with transaction(factory) as s:
        conversation = s.get_one(Conversation, conversation_id)
        organise.do_set_status(s, conversation, "resolved", actor_user_id=None)
    with transaction(factory) as s:
        service.handle_resolved(s, conversation_id)


def test_resolve_asks_rating_and_stores_answer_and_comment(factory: sessionmaker[Session]) -> None:
    seeded(factory)
    with transaction(factory) as s:
        message = inbound(s, "Barang saya rusak")
    with transaction(factory) as s:
        service.handle_message_received(s, message.id)
    conversation_id = message.conversation_id
    resolve(factory, conversation_id)
    with factory() as s:
        conversation = s.get_one(Conversation, conversation_id)
        survey = s.scalars(select(CsatSurvey)).one()
        assert (survey.agent_user_id, survey.team_id) == (
            conversation.assigned_user_id,
            conversation.team_id,
        )
        question = s.get_one(Message, survey.message_id)
        assert question.type == "interactive" and question.content["type"] == "list"
        rows = question.content["sections"][0]["rows"]
        assert [r["id"] for r in rows] == [f"csat:{survey.id}:{n}" for n in (5, 4, 3, 2, 1)]
        label_names = {
            lbl.rule_id for lbl in s.scalars(select(ConversationLabel))
        }  # every label came from a rule
        assert None not in label_names
    # The customer picks "4" from the list, then writes a comment.
    with transaction(factory) as s:
        reply = inbox.do_record_inbound(s, list_reply(f"csat:{survey.id}:4"))
        assert reply is not None
    with transaction(factory) as s:
        assert service.handle_message_received(s, reply.id) is None
    with transaction(factory) as s:
        comment = inbound(s, "Pengirimannya cepat, mantap")
    with transaction(factory) as s:
        service.handle_message_received(s, comment.id)
    with factory() as s:
        survey = s.scalars(select(CsatSurvey)).one()
        assert survey.rating == 4 and survey.comment == "Pengirimannya cepat, mantap"
        conversation = s.get_one(Conversation, conversation_id)
        assert conversation.status == "resolved" and conversation.waiting_since is None
        texts = [
            m.text
            for m in s.scalars(
                select(Message).where(Message.direction == "out").order_by(Message.id)
            )
        ]
        assert texts[-2:] == [
            "Terima kasih atas penilaiannya! Kalau berkenan, tulis komentar singkat di sini.",
            "Terima kasih atas masukannya!",
        ]
        summary = csat.summary(s)
        assert summary["answers"] == 1 and summary["average"] == 4.0
        assert summary["by_agent"] == [
            {"id": conversation.assigned_user_id, "answers": 1, "average": 4.0}
        ]


def test_outside_the_window_the_rating_is_a_template(factory: sessionmaker[Session]) -> None:
    seeded(factory)
    with transaction(factory) as s:
        message = inbound(s, "Halo")
    clock.advance(timedelta(hours=25))
    resolve(factory, message.conversation_id)
    with factory() as s:
        survey = s.scalars(select(CsatSurvey)).one()
        sent = s.get_one(Message, survey.message_id)
        assert sent.type == "template" and sent.content["name"] == "minta_rating"
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.message_id == sent.id)).one()
        body = graph_body(row)
        buttons = [c for c in body["template"]["components"] if c["type"] == "button"]
        assert [b["parameters"][0]["payload"] for b in buttons] == [
            f"csat:{survey.id}:{n}" for n in (5, 4, 3, 2, 1)
        ]


def test_skipped_with_reason_when_no_template_to_fall_back_on(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as s:
        rules.do_create_rule(
            s,
            {
                "name": "Follow up",
                "trigger": {"type": "no_customer_reply", "hours": 30},
                "actions": [{"type": "send_text", "text": "Masih tertarik, {name}?"}],
            },
        )
        conversation = s.get_one(Conversation, inbound(s, "Halo").conversation_id)
        from niaga.channels.whatsapp.outgoing import TextMessage

        inbox.do_send_message(s, conversation, TextMessage(body="Ada yang bisa dibantu?"))
    clock.advance(timedelta(hours=31))
    with transaction(factory) as s:
        assert service.due_timers(s) == 1
    with factory() as s:
        entry = s.scalars(select(AutomationAction)).one()
        assert entry.outcome == "skipped" and entry.detail["reason"] == "window_closed"


def counts(s: Session) -> dict[str, int]:
    return {
        model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
        for model in (
            AutomationAction,
            AutomationTrigger,
            OutboxMessage,
            Message,
            ConversationLabel,
        )
    }


def test_dry_run_replays_history_and_changes_nothing(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        make_team(s, "Penjualan", 1)
        shop_profile(s)
        for days_ago, text in (
            (10, "ada voucher?"),
            (3, "voucher dong"),
            (2, "halo"),
            (1, "kode vocher?"),
        ):
            inbound(
                s, text, wa_id=f"62812777{days_ago:05d}", at=clock.now() - timedelta(days=days_ago)
            )
    definition = rule_adapter.validate_python(
        {
            "name": "Voucher",
            "trigger": {"type": "message_received"},
            "conditions": [{"type": "text_contains", "keywords": ["voucher"]}],
            "actions": [
                {"type": "add_label", "label": "Promo"},
                {"type": "send_text", "text": "Kode voucher: HEMAT10"},
                {"type": "assign_team", "team": "Penjualan"},
            ],
        }
    )
    with factory() as s:
        before = counts(s)
        report = dryrun.dry_run(s, definition, days=7)
        assert counts(s) == before
        s.rollback()
    assert report["occurrences"] == 3 and report["matched"] == 2
    assert report["actions"] == {"add_label": 2, "send_text": 2, "assign_team": 2}
    assert [i["text"] for i in report["items"]] == ["voucher dong", "kode vocher?"]
    # Replayed at the time of each message: the window was open then, so it would have sent.
    assert report["items"][0]["actions"][1] == {
        "rule_id": 0,
        "action": "send_text",
        "outcome": "planned",
        "kind": "text",
        "text": "Kode voucher: HEMAT10",
    }
    with factory() as s:
        assert counts(s) == before


def test_named_template_fallback_outside_the_window(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as s:
        rules.do_create_rule(
            s,
            {
                "name": "Dikirim",
                "trigger": {"type": "order_status_changed", "status": "shipped"},
                "actions": [
                    {
                        "type": "send_text",
                        "text": "Pesanan {name} sudah dikirim!",
                        "template": {
                            "name": "status_pengiriman",
                            "language": "id",
                            "body_params": {
                                "nama": "{name}",
                                "nomor_pesanan": "#10023",
                                "kurir": "JNE",
                            },
                        },
                    }
                ],
            },
        )
        conversation_id = inbound(s, "halo").conversation_id
    clock.advance(timedelta(days=2))
    with transaction(factory) as s:
        service.handle_order_status(s, 10023, conversation_id, "shipped")
    with factory() as s:
        sent = s.scalars(select(Message).where(Message.direction == "out")).one()
        assert sent.type == "template"
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.message_id == sent.id)).one()
        (body,) = graph_body(row)["template"]["components"]
        assert body["parameters"][0] == {"type": "text", "parameter_name": "nama", "text": "Siti"}
