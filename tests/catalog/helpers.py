"""Helpers for catalog and order tests against the live server and the sandbox."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from niaga.contacts.models import Contact
from niaga.core.db import transaction
from niaga.inbox.models import Conversation
from niaga.orders.models import Order
from niaga.security.tokens import do_create_token
from niaga.templates.models import MessageTemplate
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl


def token(factory: Any, role: str = "admin") -> dict[str, str]:
    with transaction(factory) as s:
        _, secret = do_create_token(s, name=f"test-{role}", role=role)
    return {"Authorization": f"Bearer {secret}"}


def api(
    niaga: LiveServer, method: str, path: str, headers: dict[str, str], **kw: Any
) -> httpx.Response:
    return httpx.request(method, f"{niaga.url}/api/v1{path}", headers=headers, timeout=30, **kw)


def add_product(niaga: LiveServer, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    r = api(niaga, "POST", "/catalog/products", headers, json=fields)
    assert r.status_code == 201, r.text
    return r.json()


def open_conversation(niaga: LiveServer, factory: Any, phone: str, name: str = "Siti") -> int:
    """The sandbox customer ``phone`` writes; returns the conversation id once Niaga has it."""
    sb = SandboxControl(niaga.url)
    sb.customer(phone, name)
    sb.send(phone, type="text", text="Halo kak, mau lihat produknya")

    def conv_id() -> int | None:
        with factory() as s:
            return s.scalars(
                select(Conversation.id).join(Contact).where(Contact.wa_id == phone)
            ).first()

    return wait_for(conv_id)


def wait_order(factory: Any, **where: Any) -> int:
    """Wait until an order matching ``where`` exists; returns its id."""

    def find() -> int | None:
        with factory() as s:
            stmt = select(Order.id)
            for key, value in where.items():
                stmt = stmt.where(getattr(Order, key) == value)
            return s.scalars(stmt.order_by(Order.id.desc())).first()

    return wait_for(find, timeout=15)


def wait_template(factory: Any, name: str, status: str = "APPROVED", timeout: float = 15) -> None:
    """Wait until Niaga has heard (by webhook) that template ``name`` is in ``status``."""

    def reached() -> bool:
        with factory() as s:
            found = s.scalars(select(MessageTemplate.status).where(MessageTemplate.name == name))
            return found.first() == status

    wait_for(reached, timeout=timeout)
