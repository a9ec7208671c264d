"""Actions: one function per ``type``, looked up in :data:`ACTIONS` (never getattr).

Each returns ``(outcome, detail)``: ``done``, ``skipped`` (with a ``reason``), or ``planned``
in a dry run, where no action touches the database or the network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from niaga.automation import batch as round_batch
from niaga.automation import csat, eta, routing, sending, texts
from niaga.automation.context import Run
from niaga.automation.models import AutomationAction, AutomationRule
from niaga.automation.profile import next_opening
from niaga.automation.schemas import (
    AddLabel,
    AddNote,
    AddToGroup,
    AssignAgent,
    AssignTeam,
    CallWebhook,
    RemoveLabel,
    SendAck,
    SendAway,
    SendCsat,
    SendGreeting,
    SendTemplate,
    SendText,
    SetStatus,
)
from niaga.contacts.models import Label
from niaga.contacts.service import find_label
from niaga.inbox import organise
from niaga.inbox.models import Message
from niaga.outgoing_webhooks.service import do_schedule_delivery
from niaga.security.models import Team, User

log = logging.getLogger(__name__)
Outcome = tuple[str, dict[str, Any]]
ActionFn = Callable[[Run, AutomationRule, Any, int], Outcome]
AWAY_COOLDOWN_HOURS = 8


def _send_text(run: Run, rule: AutomationRule, a: SendText, i: int) -> Outcome:
    return sending.send_text(run, run.key(rule.id, i), a.text, a.template)


def _send_template(run: Run, rule: AutomationRule, a: SendTemplate, i: int) -> Outcome:
    return sending.send(run, run.key(rule.id, i), None, sending.template_message(run, a.template))


def _send_greeting(run: Run, rule: AutomationRule, a: SendGreeting, i: int) -> Outcome:
    text = texts.greeting(run.profile, run.values())
    return sending.send_text(run, run.key(rule.id, i), text, a.template)


def _recently_sent(run: Run, action: str, since: Any) -> bool:
    """Did automation already do ``action`` in this conversation since ``since``?"""
    batch = round_batch.current(run.session)
    if batch is not None and action in round_batch.COOLDOWN_ACTIONS:
        return batch.done_since(run.conversation.id, action, since)
    stmt = select(AutomationAction.id).where(
        AutomationAction.conversation_id == run.conversation.id,
        AutomationAction.action == action,
        AutomationAction.outcome == "done",
    )
    if since is not None:
        stmt = stmt.where(AutomationAction.created_at > since)
    return run.session.scalar(stmt.limit(1)) is not None


def _send_away(run: Run, rule: AutomationRule, a: SendAway, i: int) -> Outcome:
    from datetime import timedelta

    if not run.dry_run and _recently_sent(
        run, "send_away", run.now - timedelta(hours=AWAY_COOLDOWN_HOURS)
    ):
        return "skipped", {"reason": "already_sent", "detail": "away message sent recently"}
    reopens = next_opening(run.profile, run.now)
    text = texts.away(run.profile, run.values(), reopens)
    outcome, detail = sending.send_text(run, run.key(rule.id, i), text, a.template)
    return outcome, {**detail, "reopens": reopens.isoformat() if reopens else None}


def _last_human_reply(run: Run) -> Any:
    batch = round_batch.current(run.session)
    if batch is not None and run.message is not None and run.message.id in batch.facts:
        return batch.facts[run.message.id].last_human_reply
    return run.session.scalar(
        select(func.max(Message.created_at)).where(
            Message.conversation_id == run.conversation.id,
            Message.direction == "out",
            Message.origin.in_(eta.HUMAN_ORIGINS),
        )
    )


def _send_ack(run: Run, rule: AutomationRule, a: SendAck, i: int) -> Outcome:
    if not run.dry_run and _recently_sent(run, "send_ack", _last_human_reply(run)):
        return "skipped", {
            "reason": "already_acknowledged",
            "detail": "the customer was told the expected time and no one has replied since",
        }
    est = eta.estimate(run.session, run.conversation, run.profile)
    text = texts.acknowledgement(run.profile, run.values(), est)
    outcome, detail = sending.send_text(run, run.key(rule.id, i), text, a.template)
    return outcome, {
        **detail,
        "eta_minutes": est.minutes,
        "queue_ahead": est.queue_ahead,
        "agents_online": est.agents_online,
        "basis": est.basis,
        "samples": est.samples,
    }


def _add_label(run: Run, rule: AutomationRule, a: AddLabel, i: int) -> Outcome:
    if run.dry_run:
        return "planned", {"label": a.label}
    label = _label_for(run, a.label, a.color)
    batch = round_batch.current(run.session)
    if batch is not None and not batch.careful:  # written with the round's other labels
        added = batch.add_label(run.conversation, label, rule.id)
    else:
        added = organise.do_add_conversation_label(
            run.session, run.conversation, label, rule_id=rule.id
        )
    if not added:
        return "skipped", {"reason": "already_there", "label": label.name}
    run.chained.append(("label_added", {"label": label.name, "label_id": label.id}))
    return "done", {"label": label.name, "label_id": label.id}


def _label_for(run: Run, name: str, color: str | None = None) -> Label:
    """The label called ``name``, created when missing (the round's labels are cached)."""
    batch = round_batch.current(run.session)
    label = batch.label_named(name) if batch is not None else None
    if label is None:
        label = organise.get_or_create_label(run.session, name, color)
        if batch is not None:
            batch.remember_label(label)
    return label


def _label_named(run: Run, name: str) -> Label | None:
    batch = round_batch.current(run.session)
    if batch is not None:
        return batch.label_named(name)
    return find_label(run.session, name)


def _remove_label(run: Run, rule: AutomationRule, a: RemoveLabel, i: int) -> Outcome:
    if run.dry_run:
        return "planned", {"label": a.label}
    batch = round_batch.current(run.session)
    if batch is not None and not batch.careful:
        batch.write_labels(run.session)  # what the round added so far is on the chat now
    label = _label_named(run, a.label)
    if label is None or not organise.do_remove_conversation_label(
        run.session, run.conversation, label, rule_id=rule.id
    ):
        return "skipped", {"reason": "not_there", "label": a.label}
    if batch is not None:
        batch.conversation_labels.discard((run.conversation.id, label.id))
    return "done", {"label": label.name}


def _team_named(run: Run, name: str) -> Team | None:
    batch = round_batch.current(run.session)
    if batch is not None:
        return batch.team_named(name)
    return run.session.scalars(select(Team).where(func.lower(Team.name) == name.lower())).first()


def _assign_team(run: Run, rule: AutomationRule, a: AssignTeam, i: int) -> Outcome:
    conversation = run.conversation
    if run.team_chosen:
        return "skipped", {"reason": "team_already_chosen", "team": a.team}
    if conversation.assigned_user_id is not None:
        return "skipped", {"reason": "already_with_agent", "user_id": conversation.assigned_user_id}
    team = _team_named(run, a.team)
    if team is None:
        return "failed", {"reason": "no_team", "detail": f"no team named {a.team!r}"}
    run.team_chosen = True
    if run.dry_run:
        return "planned", {"team": team.name}
    if conversation.team_id != team.id:
        organise.do_assign(
            run.session, conversation, user_id=None, team_id=team.id, rule_id=rule.id
        )
    agent = (
        routing.do_route(run.session, conversation, rule_id=rule.id, profile=run.profile)
        if a.route
        else None
    )
    return "done", {
        "team": team.name,
        "team_id": team.id,
        "user_id": agent.id if agent else None,
        "queued": agent is None,
    }


def _assign_agent(run: Run, rule: AutomationRule, a: AssignAgent, i: int) -> Outcome:
    user = run.session.scalars(select(User).where(User.email == a.email.lower())).first()
    if user is None or not user.is_active:
        return "failed", {"reason": "no_user", "detail": f"no active user {a.email}"}
    if run.dry_run:
        return "planned", {"user_id": user.id}
    before = run.conversation.assigned_user_id
    changed = organise.do_assign(
        run.session,
        run.conversation,
        user_id=user.id,
        team_id=run.conversation.team_id,
        rule_id=rule.id,
    )
    batch = round_batch.current(run.session)
    if changed and batch is not None:  # keep the round's agent loads true
        if before in batch.load:
            batch.load[before] -= 1
        if user.id in batch.load:
            batch.load[user.id] += 1
    return ("done" if changed else "skipped"), {"user_id": user.id}


def _set_status(run: Run, rule: AutomationRule, a: SetStatus, i: int) -> Outcome:
    if run.dry_run:
        return "planned", {"status": a.status}
    changed = organise.do_set_status(run.session, run.conversation, a.status, rule_id=rule.id)
    return ("done" if changed else "skipped"), {"status": a.status}


def _add_note(run: Run, rule: AutomationRule, a: AddNote, i: int) -> Outcome:
    body = texts.fill(a.text, run.values())
    if run.dry_run:
        return "planned", {"text": body}
    note = organise.do_add_note(run.session, run.conversation, body, rule_id=rule.id)
    return "done", {"message_id": note.id}


def _add_to_group(run: Run, rule: AutomationRule, a: AddToGroup, i: int) -> Outcome:
    """Without the community installed (niaga.community.actions.install, done by every
    process at start), the group is a contact label of the same name."""
    if run.dry_run:
        return "planned", {"group": a.group}
    label = _label_for(run, a.group)
    added = organise.do_add_contact_label(
        run.session, run.conversation.contact_id, label, rule_id=rule.id
    )
    return ("done" if added else "skipped"), {"group": label.name, "as": "contact_label"}


def _send_csat(run: Run, rule: AutomationRule, a: SendCsat, i: int) -> Outcome:
    return csat.do_ask(run, run.key(rule.id, i), a.template)


def _call_webhook(run: Run, rule: AutomationRule, a: CallWebhook, i: int) -> Outcome:
    """Queue a signed, retried delivery in this transaction (see :mod:`niaga.outgoing_webhooks`)."""
    payload = {
        "trigger": run.trigger_type,
        "rule_id": rule.id,
        "conversation_id": run.conversation.id,
        "contact_id": run.conversation.contact_id,
        "message_id": run.message.id if run.message is not None else None,
        "data": run.data,
    }
    if run.dry_run:
        return "planned", {"url": a.url}
    delivery = do_schedule_delivery(
        run.session, rule_id=rule.id, event=run.trigger_type, url=a.url, payload=payload
    )
    # "queued": its delivery (and any retry or refusal) is in the webhook delivery log.
    return "queued", {"url": a.url, "delivery_id": delivery.id}


ACTIONS: dict[str, ActionFn] = {
    "send_text": _send_text,
    "send_template": _send_template,
    "send_greeting": _send_greeting,
    "send_away": _send_away,
    "send_ack": _send_ack,
    "add_label": _add_label,
    "remove_label": _remove_label,
    "assign_team": _assign_team,
    "assign_agent": _assign_agent,
    "set_status": _set_status,
    "add_note": _add_note,
    "add_to_group": _add_to_group,
    "send_csat": _send_csat,
    "call_webhook": _call_webhook,
}
