"""Answering a breach in the app: open an incident from the audit log, see what it touched,
walk the five steps with their times, contain it in one go, edit and keep the drafts."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from niaga.contacts.models import Contact
from niaga.core.csv_safe import neutralise
from niaga.core.db import transaction
from niaga.core.errors import DomainError
from niaga.incidents import playbook
from niaga.incidents.models import Incident
from niaga.security import audit, sessions
from niaga.security.models import User
from niaga.web.auth import require, user_actor
from niaga.web.deps import SessionDep
from niaga.web.forms import day_bound
from niaga.web.templating import render

router = APIRouter(prefix="/settings/incidents", include_in_schema=False)
CanHandle = Annotated[User, Depends(require("handle_incidents"))]


@router.get("", response_class=HTMLResponse)
def incidents_page(request: Request, session: SessionDep, user: CanHandle) -> HTMLResponse:
    """Incidents so far, and a form to open one (prefilled from the audit log's filter)."""
    q = request.query_params
    return render(
        request,
        "incidents.html",
        incidents=list(session.scalars(select(Incident).order_by(Incident.id.desc()))),
        people=list(session.scalars(select(User).order_by(User.name))),
        prefill={k: q.get(k, "") for k in ("who", "first", "last", "ip")},
        steps=playbook.STEPS,
        flash=q.get("flash"),
    )


@router.post("")
def open_incident(
    request: Request,
    session: SessionDep,
    user: CanHandle,
    title: Annotated[str, Form(max_length=200)],
    first: Annotated[str, Form(max_length=10)],
    last: Annotated[str, Form(max_length=10)] = "",
    user_ids: Annotated[list[int] | None, Form()] = None,
    ips: Annotated[str, Form(max_length=500)] = "",
    tokens: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    tz = request.app.state.settings.timezone
    start = day_bound(first, "first", tz)
    if start is None:
        raise DomainError("incident_window", "Give the day it started.", field="first")
    incident = playbook.do_open(
        session,
        title=title,
        window_from=start,
        window_to=day_bound(last, "last", tz, end=True),
        user_ids=[u for u in user_ids or [] if 0 < u < 2**62],
        ips=ips.replace(",", " ").split(),
        tokens=tokens.replace(",", " ").split(),
        by_user_id=user.id,
    )
    return RedirectResponse(f"/settings/incidents/{incident.id}", status_code=303)


@router.get("/{incident_id}", response_class=HTMLResponse)
def incident_page(
    request: Request, session: SessionDep, user: CanHandle, incident_id: int
) -> HTMLResponse:
    """What the incident touched, the five steps, the drafts."""
    incident = playbook.get(session, incident_id)
    found = playbook.scope(session, incident, request.app.state.settings.timezone)
    shop = request.app.state.settings.business_name
    customers = playbook.affected(session, found.customer_ids)
    return render(
        request,
        "incident.html",
        incident=incident,
        found=found,
        customers=customers[:100],
        customer_count=len(customers),
        steps=playbook.STEPS,
        notice=incident.customer_notice
        or playbook.draft_customer_notice(
            incident, found, shop, request.state.locale, request.app.state.settings.timezone
        ),
        report=incident.authority_report
        or playbook.draft_authority_report(
            incident, found, shop, len(customers), request.app.state.settings.timezone
        ),
        flash=request.query_params.get("flash"),
    )


@router.post("/{incident_id}/steps/{key}")
def mark_step(
    session: SessionDep,
    user: CanHandle,
    incident_id: int,
    key: str,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    playbook.do_step(
        session, playbook.get(session, incident_id), key, note=note, by_user_id=user.id
    )
    return RedirectResponse(f"/settings/incidents/{incident_id}#steps", status_code=303)


@router.post("/{incident_id}/drafts")
def save_drafts(
    session: SessionDep,
    user: CanHandle,
    incident_id: int,
    customer_notice: Annotated[str, Form(max_length=20000)] = "",
    authority_report: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    incident = playbook.get(session, incident_id)
    playbook.do_save_drafts(session, incident, customer_notice, authority_report)
    return RedirectResponse(f"/settings/incidents/{incident_id}#drafts", status_code=303)


@router.post("/{incident_id}/contain")
def contain(request: Request, session: SessionDep, user: CanHandle, incident_id: int) -> Response:
    """Step one at once: suspects signed out and disabled, tokens revoked, secrets re-sealed."""
    current = sessions.find_session(session, request.cookies.get(sessions.COOKIE_NAME))
    done = playbook.do_contain(
        session,
        playbook.get(session, incident_id),
        keep_session_id=current[0].id if current else None,
        by_user_id=user.id,
    )
    flash = ", ".join(f"{k}: {v}" for k, v in done.items())
    return RedirectResponse(f"/settings/incidents/{incident_id}?flash={flash}", status_code=303)


@router.get("/{incident_id}/affected.csv")
def affected_csv(request: Request, user: CanHandle, incident_id: int) -> Response:
    """The affected customers with their full numbers, to send the notice (logged)."""
    state = request.app.state
    with transaction(state.session_factory) as session:
        audit.act_as(session, user_actor(request, user))
        found = playbook.scope(session, playbook.get(session, incident_id), state.settings.timezone)
        rows = session.execute(
            select(Contact.id, Contact.display_name, Contact.profile_name, Contact.phone)
            .where(Contact.id.in_(found.customer_ids), Contact.erased_at.is_(None))
            .order_by(Contact.id)
        ).all()
        audit.record(
            session,
            "data.export",
            target=("incident", incident_id),
            details={"kind": "incident_customers", "rows": len(rows)},
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "name", "phone"])
    for r in rows:
        writer.writerow([r.id, neutralise(r.display_name or r.profile_name or ""), r.phone])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="insiden-{incident_id}.csv"'},
    )
