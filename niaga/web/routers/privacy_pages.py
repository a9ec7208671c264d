"""Customers' data rights in the app and the API: the privacy notice (public), retention
periods and the notice (settings), a customer's archive and erasure (the contact panel)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from niaga.channels.whatsapp import intake_db
from niaga.core.db import transaction
from niaga.core.errors import DomainError, PermissionDeniedError
from niaga.core.i18n import gettext
from niaga.privacy import erasure, export, notice, retention
from niaga.privacy.models import PrivacyRequest
from niaga.security import audit, permissions
from niaga.security.models import User
from niaga.web.auth import page_locale, require, user_actor
from niaga.web.deps import SessionDep, require_role, token_actor
from niaga.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["privacy"])
CanManagePrivacy = Annotated[User, Depends(require("manage_privacy"))]
CanExport = Annotated[User, Depends(require("customer_archive"))]
CanErase = Annotated[User, Depends(require("erase_data"))]
OwnerOrAdmin = Annotated[Any, Depends(require_role("owner", "admin"))]
ZIP = "application/zip"


def _intake(request: Request) -> Any:
    state = request.app.state
    return intake_db.intake_factory(state.settings, state.engine)


@router.get("/privasi", response_class=HTMLResponse)
@router.get("/privacy", response_class=HTMLResponse)
def public_notice(request: Request, session: SessionDep) -> HTMLResponse:
    """The privacy notice, for anyone (linked from the public catalog and click-to-chat)."""
    locale = page_locale(request)
    request.state.locale = locale
    settings = request.app.state.settings
    text = notice.texts(session, settings.business_name, retention.load(session))[locale]
    return render(request, "privacy_notice.html", paragraphs=text.split("\n\n"))


@router.get("/settings/privacy", response_class=HTMLResponse)
def privacy_settings(request: Request, session: SessionDep, user: CanManagePrivacy) -> HTMLResponse:
    settings = request.app.state.settings
    rules = retention.load(session)
    from niaga.privacy.models import PrivacyNotice, RetentionPolicy

    own = session.get(PrivacyNotice, 1)
    state = session.get(RetentionPolicy, 1)
    return render(
        request,
        "settings_privacy.html",
        rules=rules,
        own_id=own.body_id if own else "",
        own_en=own.body_en if own else "",
        shown=notice.texts(session, settings.business_name, rules),
        last_purge_at=state.last_purge_at if state else None,
        last_purge=state.last_purge if state else {},
        requests=list(
            session.scalars(select(PrivacyRequest).order_by(PrivacyRequest.id.desc()).limit(50))
        ),
        flash=request.query_params.get("flash"),
    )


def _days(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 5:
        raise DomainError("retention_range", "Keep data 1 to 3650 days, or leave it empty.")
    return int(text)


@router.post("/settings/privacy/retention")
def save_retention(
    request: Request,
    session: SessionDep,
    user: CanManagePrivacy,
    raw_webhook_days: Annotated[str, Form(max_length=6)] = "",
    sent_payload_days: Annotated[str, Form(max_length=6)] = "",
    message_content_days: Annotated[str, Form(max_length=6)] = "",
    inactive_customer_days: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    retention.do_save(
        session,
        {
            "raw_webhook_days": _days(raw_webhook_days),
            "sent_payload_days": _days(sent_payload_days),
            "message_content_days": _days(message_content_days),
            "inactive_customer_days": _days(inactive_customer_days),
        },
    )
    flash = gettext("Saved.", request.state.locale)
    return RedirectResponse(f"/settings/privacy?flash={flash}", status_code=303)


@router.post("/settings/privacy/notice")
def save_notice(
    request: Request,
    session: SessionDep,
    user: CanManagePrivacy,
    body_id: Annotated[str, Form(max_length=20000)] = "",
    body_en: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    notice.do_save(session, body_id, body_en, user.id)
    flash = gettext("Saved.", request.state.locale)
    return RedirectResponse(f"/settings/privacy?flash={flash}", status_code=303)


def _archive(
    request: Request, contact_id: int, actor: audit.AuditActor, by_user_id: int | None
) -> Response:
    """The customer's ZIP, made (and recorded) in a write transaction of its own: the pages
    and the API ask by GET, whose own session only reads."""
    state = request.app.state
    with transaction(state.session_factory) as session:
        audit.act_as(session, actor)
        data = export.do_export(
            session,
            contact_id,
            data_dir=Path(state.settings.data_dir),
            shop=state.settings.business_name,
            by_user_id=by_user_id,
        )
    return _archive_response(data, contact_id)


def _archive_response(data: bytes, contact_id: int) -> Response:
    name = f"niaga-data-pelanggan-{contact_id}.zip"
    return Response(
        data,
        media_type=ZIP,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/inbox/contacts/{contact_id}/personal-data")
def customer_archive(request: Request, user: CanExport, contact_id: int) -> Response:
    """Everything Niaga holds about this customer, as a ZIP (the request is recorded)."""
    return _archive(request, contact_id, user_actor(request, user), user.id)


@router.post("/inbox/contacts/{contact_id}/erase")
def erase_customer(
    request: Request,
    session: SessionDep,
    user: CanErase,
    contact_id: int,
    confirm: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Erase this customer (asks to type HAPUS / ERASE first)."""
    if confirm.strip().upper() not in ("HAPUS", "ERASE"):
        raise DomainError("erase_confirm", "Type HAPUS to confirm the erasure.", field="confirm")
    erasure.do_erase(
        session,
        contact_id,
        data_dir=Path(request.app.state.settings.data_dir),
        intake=_intake(request),
        by_user_id=user.id,
    )
    flash = gettext("The customer's personal data was erased.", request.state.locale)
    return RedirectResponse(f"/inbox?flash={flash}", status_code=303)


@api_router.get(
    "/contacts/{contact_id}/personal-data",
    response_class=Response,
    responses={200: {"content": {ZIP: {}}, "description": "The customer's archive (ZIP)"}},
)
def api_customer_archive(
    request: Request, session: SessionDep, token: OwnerOrAdmin, contact_id: int
) -> Response:
    """Everything Niaga holds about one customer, as a ZIP (owner and admin tokens)."""
    if "export_data" not in permissions.of_token(session, token):
        raise PermissionDeniedError("permission_export", "You may not export data.")
    return _archive(request, contact_id, token_actor(request, token), token.user_id)


@api_router.delete("/contacts/{contact_id}/personal-data", status_code=status.HTTP_200_OK)
def api_erase_customer(
    request: Request, session: SessionDep, token: OwnerOrAdmin, contact_id: int
) -> dict[str, Any]:
    """Erase one customer's personal data; the figures stay (owner and admin tokens)."""
    counts = erasure.do_erase(
        session,
        contact_id,
        data_dir=Path(request.app.state.settings.data_dir),
        intake=_intake(request),
        by_user_id=token.user_id,
    )
    return {"contact_id": contact_id, "erased": True, "counts": counts}
