"""``/api/v1/conversations/{id}/share/…``: products, lists and the catalog sent into a chat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from niaga.catalog import sharing
from niaga.core.i18n import gettext
from niaga.inbox.models import Conversation
from niaga.inbox.schemas import MessagePublic
from niaga.web.deps import CanSend, LocaleDep, SessionDep
from niaga.web.errors import PROBLEM_RESPONSES
from niaga.web.routers.catalog_api.common import settings_of

router = APIRouter(prefix="/api/v1", tags=["sharing"], responses=PROBLEM_RESPONSES)


class ShareProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: int
    body: str | None = Field(None, max_length=1024)


class ShareSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=24)
    product_ids: list[int] = Field(min_length=1, max_length=30)


class ShareListIn(BaseModel):
    """Give ``product_ids`` (grouped by collection) or your own ``sections``."""

    model_config = ConfigDict(extra="forbid")

    product_ids: list[int] | None = Field(None, min_length=1, max_length=200)
    sections: list[ShareSection] | None = Field(None, min_length=1, max_length=50)
    header: str | None = Field(None, max_length=60)
    body: str | None = Field(None, max_length=1024)


class ShareCatalogIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str | None = Field(None, max_length=1024)
    thumbnail_product_id: int | None = None


IdempotencyKey = Annotated[
    str | None, Header(max_length=100, description="Send the same key again to retry safely")
]


@dataclass(frozen=True)
class ShareTarget:
    """Where and by whom a share is sent, and how to retry it safely."""

    conversation: Conversation
    user_id: int | None
    sandbox: bool
    locale: str
    idempotency_key: str | None


def share_target(
    conversation_id: int,
    request: Request,
    session: SessionDep,
    token: CanSend,
    locale: LocaleDep,
    idempotency_key: IdempotencyKey = None,
) -> ShareTarget:
    """The conversation of the path (404 if unknown), the sender and the retry key."""
    conversation = session.get(Conversation, conversation_id) if conversation_id < 2**63 else None
    if conversation is None:
        raise HTTPException(404, detail=gettext("Not found.", locale))
    settings = settings_of(request)
    return ShareTarget(
        conversation,
        token.user_id,
        settings.sandbox,
        settings.locale,
        f"api-{token.id}-{idempotency_key}" if idempotency_key else None,
    )


Target = Annotated[ShareTarget, Depends(share_target)]


@router.post(
    "/conversations/{conversation_id}/share/product",
    response_model=MessagePublic,
    status_code=202,
)
def share_product(data: ShareProductIn, session: SessionDep, to: Target) -> MessagePublic:
    """Send one product into the chat (inside the 24-hour window)."""
    sent = sharing.do_share_product(
        session,
        to.conversation,
        data.product_id,
        sandbox=to.sandbox,
        user_id=to.user_id,
        body=data.body,
        idempotency_key=to.idempotency_key,
    )
    return MessagePublic.model_validate(sent)


@router.post(
    "/conversations/{conversation_id}/share/product-list",
    response_model=MessagePublic,
    status_code=202,
)
def share_product_list(data: ShareListIn, session: SessionDep, to: Target) -> MessagePublic:
    """Send up to 30 products in up to 10 sections (Meta's limits)."""
    sent = sharing.do_share_product_list(
        session,
        to.conversation,
        data.product_ids or [],
        sandbox=to.sandbox,
        user_id=to.user_id,
        header=data.header,
        body=data.body,
        sections=[(s.title, s.product_ids) for s in data.sections] if data.sections else None,
        locale=to.locale,
        idempotency_key=to.idempotency_key,
    )
    return MessagePublic.model_validate(sent)


@router.post(
    "/conversations/{conversation_id}/share/catalog",
    response_model=MessagePublic,
    status_code=202,
)
def share_catalog(data: ShareCatalogIn, session: SessionDep, to: Target) -> MessagePublic:
    """Invite the customer to browse the whole catalog."""
    sent = sharing.do_share_catalog(
        session,
        to.conversation,
        sandbox=to.sandbox,
        user_id=to.user_id,
        body=data.body,
        thumbnail_product_id=data.thumbnail_product_id,
        locale=to.locale,
        idempotency_key=to.idempotency_key,
    )
    return MessagePublic.model_validate(sent)
