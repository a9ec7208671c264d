"""The audit log in the app (filters, older pages, CSV, a chain check) and in the API."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from niaga.core import clock
from niaga.core.csv_safe import neutralise
from niaga.core.db import transaction
from niaga.core.errors import DomainError
from niaga.incidents import alerts
from niaga.security import audit
from niaga.security.audit_kinds import FAMILIES, KINDS
from niaga.security.models import User
from niaga.web.auth import require, user_actor
from niaga.web.deps import SessionDep, require_role
from niaga.web.forms import day_bound
from niaga.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["audit"])
CanReadAudit = Annotated[User, Depends(require("read_audit"))]
PAGE = 100


def _filter(
    tz: str,
    kind: str,
    user_id: str,
    first: str,
    last: str,
    target: str,
) -> audit.AuditFilter:
    """The page's filters (local days in the business's time zone) as an AuditFilter."""
    since, until = day_bound(first, "first", tz), day_bound(last, "last", tz, end=True)
    target_kind, _, target_id = target.strip().partition(":")
    if kind and kind not in KINDS and kind not in FAMILIES:
        raise DomainError("audit_kind", "Unknown kind of event.", field="kind")
    return audit.AuditFilter(
        kind=kind or None,
        user_id=int(user_id) if user_id.isdigit() and len(user_id) < 12 else None,
        target_kind=target_kind[:32] or None,
        target_id=target_id[:64] or None,
        since=since,
        until=until,
    )


Kind = Annotated[str, Query(max_length=48)]
Text = Annotated[str, Query(max_length=80)]


@router.get("/settings/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    user: CanReadAudit,
    kind: Kind = "",
    who: Text = "",
    first: Text = "",
    last: Text = "",
    target: Text = "",
    before: Annotated[int | None, Query(ge=1, lt=2**62)] = None,
) -> HTMLResponse:
    """The newest entries matching the filters, a hundred at a time."""
    tz = request.app.state.settings.timezone
    where = _filter(tz, kind, who, first, last, target)
    rows = audit.entries(session, where, before_id=before, limit=PAGE + 1)
    people = list(session.execute(select(User.id, User.name).order_by(User.name)))
    query = {"kind": kind, "who": who, "first": first, "last": last, "target": target}
    return render(
        request,
        "settings_audit.html",
        rows=rows[:PAGE],
        older=rows[PAGE - 1].id if len(rows) > PAGE else None,
        kinds=KINDS,
        families=FAMILIES,
        people=people,
        query=query,
        verdict=None,
        alerts=alerts.open_alerts(session),
        alert_kinds=alerts.KINDS,
    )


@router.post("/settings/audit/alerts/{alert_id}/ack")
def acknowledge_alert(session: SessionDep, user: CanReadAudit, alert_id: int) -> Response:
    """The owner or an admin has looked at this alert."""
    if alert_id < 2**62:
        alerts.do_acknowledge(session, alert_id, user.id)
    return RedirectResponse("/settings/audit", status_code=303)


@router.post("/settings/audit/verify", response_class=HTMLResponse)
def verify_chain(request: Request, session: SessionDep, user: CanReadAudit) -> HTMLResponse:
    """Walk the whole chain now and show what it found."""
    people = list(session.execute(select(User.id, User.name).order_by(User.name)))
    return render(
        request,
        "settings_audit.html",
        rows=audit.entries(session, audit.AuditFilter(), limit=PAGE),
        older=None,
        kinds=KINDS,
        families=FAMILIES,
        people=people,
        query={},
        verdict=audit.verify(session),
        alerts=alerts.open_alerts(session),
        alert_kinds=alerts.KINDS,
    )


@router.get("/settings/audit.csv")
def audit_csv(
    request: Request,
    user: CanReadAudit,
    kind: Kind = "",
    who: Text = "",
    first: Text = "",
    last: Text = "",
    target: Text = "",
) -> StreamingResponse:
    """The matching entries as CSV, oldest first, with their chain fields."""
    state = request.app.state
    where = _filter(state.settings.timezone, kind, who, first, last, target)
    audit.record_now(
        state.session_factory,
        "data.export",
        actor=user_actor(request, user),
        target=("export", "audit"),
        details={"kind": "audit", "filter": {k: v for k, v in where.__dict__.items() if v}},
    )
    headers = {"Content-Disposition": 'attachment; filename="niaga-audit.csv"'}
    return StreamingResponse(
        _csv_chunks(state.read_session_factory, where),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )


COLUMNS = ("seq", "at", "kind", "actor", "via", "user_id", "ip", "target", "details", "hash")


def _csv_chunks(factory: Any, where: audit.AuditFilter) -> Iterator[str]:
    import json

    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(COLUMNS)
    with transaction(factory) as session:
        for n, entry in enumerate(audit.stream(session, where), 1):
            row = audit.as_dict(entry)
            row["details"] = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
            out.writerow([neutralise(row[c]) for c in COLUMNS])
            if n % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


CanReadAuditApi = Annotated[Any, Depends(require_role("owner", "admin"))]


@api_router.get("/audit")
def list_audit(
    request: Request,
    session: SessionDep,
    token: CanReadAuditApi,
    kind: Kind = "",
    user_id: Annotated[int | None, Query(ge=1, lt=2**62)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Annotated[int | None, Query(ge=1, lt=2**62, description="Older than this id")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """The newest audit entries (owner and admin tokens), filtered; page with ``before``."""
    if kind and kind not in KINDS and kind not in FAMILIES:
        raise DomainError("audit_kind", "Unknown kind of event.", field="kind")
    where = audit.AuditFilter(
        kind=kind or None,
        user_id=user_id,
        since=clock.as_utc(since) if since else None,
        until=clock.as_utc(until) if until else None,
    )
    return [
        {"id": e.id, **audit.as_dict(e)}
        for e in audit.entries(session, where, before_id=before, limit=limit)
    ]
