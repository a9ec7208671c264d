"""Window-aware automatic sends: free-form inside the 24-hour window, the rule's approved
template outside it, or a logged skip; always through ``do_send_message`` (outbox, idempotency
key, after commit), marked ``origin="automation"``."""

from __future__ import annotations

from typing import Any

from niaga.automation import batch as round_batch
from niaga.automation.context import Run
from niaga.automation.schemas import TemplateRef
from niaga.automation.texts import fill
from niaga.channels.whatsapp.outgoing import (
    OutgoingMessage,
    QuickReplyButtonParam,
    TemplateMessage,
    TextMessage,
)
from niaga.inbox import service as inbox
from niaga.inbox.window import window_open

Outcome = tuple[str, dict[str, Any]]


def template_message(
    run: Run, template: TemplateRef, buttons: list[QuickReplyButtonParam] | None = None
) -> TemplateMessage:
    """The template with its parameters filled from the run's placeholders."""
    values = run.values()
    params: list[str] | dict[str, str]
    if isinstance(template.body_params, dict):
        params = {k: fill(v, values) or "-" for k, v in template.body_params.items()}
    else:
        params = [fill(p, values) or "-" for p in template.body_params]
    return TemplateMessage(
        name=template.name,
        language=template.language,
        body_params=params,  # type: ignore[arg-type]
        buttons=buttons or [],  # type: ignore[arg-type]
    )


def send(
    run: Run,
    key: str,
    free_form: OutgoingMessage | None,
    template: TemplateMessage | None,
    *,
    defer: bool = True,
) -> Outcome:
    """Send ``free_form`` in the window, else ``template``, else skip with the reason.

    In a set-based round (and unless ``defer`` is False: the caller needs the message's id
    at once) the send joins the round's sends, written together when the round ends.
    """
    conversation = run.conversation
    if window_open(conversation.last_inbound_at, at=run.now) and free_form is not None:
        outgoing: OutgoingMessage = free_form
    elif template is not None:
        outgoing = template
    else:
        return "skipped", {
            "reason": "window_closed",
            "detail": "outside the 24-hour window and no approved template to fall back on",
        }
    if run.dry_run:
        return "planned", {"kind": outgoing.type, "text": outgoing.summary_text()}
    batch = round_batch.current(run.session)
    new_key = batch is not None and not batch.careful and run.record is not None
    try:
        if defer and new_key:
            # A set-based round just recorded this occurrence: no key of it exists yet.
            to = inbox.check_sendable(conversation, outgoing)
            batch.sends.append(inbox.Send(conversation, outgoing, key, to))
            text = outgoing.summary_text()
            return "done", {round_batch.SEND_KEY: key, "kind": outgoing.type, "text": text}
        message = inbox.do_send_message(
            run.session,
            conversation,
            outgoing,
            origin="automation",
            idempotency_key=key,
            new_key=new_key,
        )
    except inbox.WindowClosedError:
        return "skipped", {"reason": "window_closed", "detail": "the window closed"}
    except inbox.NotSendableError:
        return "skipped", {"reason": "not_sendable", "detail": "the contact has no WhatsApp id"}
    return "done", {"message_id": message.id, "kind": outgoing.type, "text": message.text}


def send_text(run: Run, key: str, text: str, template: TemplateRef | None) -> Outcome:
    """A text message (placeholders filled), or its template fallback."""
    body = fill(text, run.values())[:4096]
    return send(
        run,
        key,
        TextMessage(body=body),
        template_message(run, template) if template is not None else None,
    )
