"""pywa, an independent WhatsApp client, talks to the sandbox and reads its webhooks."""

from __future__ import annotations

from typing import Any

import httpx
from pywa import WhatsApp, types
from pywa.types import Button

from tests.channels.sandbox.conftest import PNID, SECRET, TOKEN, Graph, Receiver
from tests.channels.sandbox.test_sandbox import CUSTOMER, open_window
from tests.conftest import wait_for


def pywa_client(graph: Graph) -> WhatsApp:
    wa = WhatsApp(
        phone_id=PNID,
        token=TOKEN,
        api_version="23.0",
        app_secret=SECRET,
        verify_token="x",
        session=httpx.Client(timeout=30),
    )
    # pywa always targets graph.facebook.com; point its session at the sandbox instead.
    wa.api._session.base_url = f"{graph.base}/v23.0"
    return wa


def test_pywa_sends_text_template_and_buttons(graph: Graph) -> None:
    open_window(graph)
    wa = pywa_client(graph)
    text = wa.send_message(to=CUSTOMER, text="Halo dari pywa")
    assert text.id.startswith("wamid.")
    buttons = wa.send_message(
        to=CUSTOMER,
        text="Ukuran?",
        buttons=[Button(title="M", callback_data="m"), Button(title="L", callback_data="l")],
    )
    assert buttons.id.startswith("wamid.")
    template = wa.send_template(
        to=CUSTOMER, name="hello_world", language=types.templates.TemplateLanguage.ENGLISH_US
    )
    assert template.id.startswith("wamid.")
    accepted = graph.control("GET", "/messages", params={"to": CUSTOMER})["messages"]
    assert [m["type"] for m in accepted] == ["text", "interactive", "template"]
    assert accepted[1]["body"]["interactive"]["action"]["buttons"][1]["reply"]["id"] == "l"


def _update(receiver: Receiver, pred: Any) -> dict[str, Any]:
    return wait_for(lambda: next((p for p in list(receiver.payloads) if pred(p)), None))


def test_pywa_parses_sandbox_webhooks(graph: Graph, receiver: Receiver) -> None:
    wa = pywa_client(graph)
    wamid = open_window(graph)
    text_update = _update(
        receiver,
        lambda p: p["entry"][0]["changes"][0]["value"].get("messages", [{}])[0].get("id") == wamid,
    )
    msg = types.Message.from_update(wa, text_update)
    assert msg.id == wamid and msg.text == "Halo" and msg.from_user.wa_id == CUSTOMER
    assert msg.from_user.name == "Siti"

    sent = graph.control(
        "POST",
        f"/customers/{CUSTOMER}/send",
        json={"type": "button_reply", "id": "l", "title": "L", "context_wamid": "wamid.X"},
    )
    click = types.CallbackButton.from_update(wa, sent["payload"])
    assert (click.data, click.title) == ("l", "L")

    out = wa.send_message(to=CUSTOMER, text="Siap kak")
    status_update = _update(
        receiver,
        lambda p: any(
            s["id"] == out.id and s["status"] == "read"
            for s in p["entry"][0]["changes"][0]["value"].get("statuses", [])
        ),
    )
    status = types.MessageStatus.from_update(wa, status_update)
    assert status.id == out.id
    assert status.status == types.MessageStatusType.READ


def test_pywa_webhook_handler_verifies_and_dispatches(graph: Graph, receiver: Receiver) -> None:
    """The raw signed bodies go through pywa's own validator and handler dispatch."""
    wa = pywa_client(graph)
    got: dict[str, list[Any]] = {"message": [], "button": [], "status": []}
    wa.on_message()(lambda _, m: got["message"].append(m))
    wa.on_callback_button()(lambda _, b: got["button"].append(b))
    wa.on_message_status()(lambda _, s: got["status"].append(s))

    wamid = open_window(graph)
    graph.control(
        "POST",
        f"/customers/{CUSTOMER}/send",
        json={"type": "button_reply", "id": "m", "title": "M", "context_wamid": "wamid.X"},
    )
    out = wa.send_message(to=CUSTOMER, text="Siap kak")
    wait_for(lambda: any(s["id"] == out.id and s["status"] == "read" for s in receiver.statuses()))
    for body, signature in list(receiver.raw):
        assert wa.webhook_update_validator(body, signature) is None
        assert wa.webhook_update_handler(body)[1] == 200
    assert wa.webhook_update_validator(receiver.raw[0][0], "sha256=" + "0" * 64) is not None
    wait_for(lambda: got["message"] and got["button"] and len(got["status"]) >= 3)
    assert got["message"][0].id == wamid and got["message"][0].text == "Halo"
    assert got["button"][0].data == "m"
    assert {s.status for s in got["status"]} >= {
        types.MessageStatusType.SENT,
        types.MessageStatusType.DELIVERED,
        types.MessageStatusType.READ,
    }
