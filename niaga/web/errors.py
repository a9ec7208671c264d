"""Where a :class:`~niaga.core.errors.DomainError` becomes a response, once for the whole app.

- ``/api/v1`` and script calls: an RFC 9457 problem document (``application/problem+json``)
  with ``type``, ``title``, ``status``, ``detail`` (translated), ``code``, ``field`` and any
  extra data the error carries (e.g. ``closed_at`` for a closed window).
- Pages: a page that registered a form renderer (:func:`show_form_on_error`) shows the form
  again with the message at its field; another form post goes back to the page it came from
  with the message (``?flash=…&field=…``); anything else gets the error page with the status.

Input the database cannot hold (an integer beyond 64 bits, a value PostgreSQL refuses, JSON
nested too deeply to read) is a 422 of the same shape, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, StatementError

from niaga.core.errors import DomainError
from niaga.core.i18n import LOCALES, negotiate

PROBLEM_TYPE = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem document: every 4xx/5xx answer of ``/api/v1``."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None


# For ``APIRouter(responses=...)``: documents the shape in the OpenAPI.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": Problem, "description": "A problem document (RFC 9457)"},
}


def _locale(request: Request) -> str:
    locale = getattr(request.state, "locale", None)
    if locale in LOCALES:
        return locale
    return negotiate(request.headers.get("accept-language"), request.app.state.settings.locale)


def _wants_page(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/webhooks", "/sandbox")):
        return False
    if "x-csrf-token" in request.headers:  # the pages' own scripts: they read JSON
        return False
    return "text/html" in request.headers.get("accept", "")


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem document response."""
    body: dict[str, Any] = {
        "type": f"urn:niaga:error:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field:
        body["field"] = field
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def _form_page(path: str) -> str:
    """The page a form posting to ``path`` lives on: ``/settings/teams/3/members`` →
    ``/settings/teams``, ``/orders/5/status`` → ``/orders``."""
    segments = [s for s in path.split("/") if s]
    keep = 2 if segments[:1] == ["settings"] else 1
    return "/" + "/".join(segments[:keep])


def _back_to_form(request: Request, message: str, field: str | None) -> Response:
    """303 to the same-origin page the form was on (or the page it posts from), with the
    message."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if not referer or parts.netloc != request.url.netloc or not parts.path.startswith("/"):
        parts = urlsplit(_form_page(request.url.path))
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("flash", "field")]
    query.append(("flash", message))
    if field:
        query.append(("field", field))
    return RedirectResponse(f"{parts.path}?{urlencode(query)}", status_code=303)


FormRenderer = Callable[[DomainError, str], Response]


def show_form_on_error(request: Request, renderer: FormRenderer) -> None:
    """If a domain error ends this page request, answer ``renderer(error, message)``: the
    form again, with what the person typed and the message next to its field."""
    request.state.form_renderer = renderer


def render_error(request: Request, exc: DomainError) -> Response:
    """The response for ``exc`` in the shape this request wants."""
    message = exc.message(_locale(request))
    renderer = getattr(request.state, "form_renderer", None)
    if renderer is not None and _wants_page(request):
        return renderer(exc, message)
    if _wants_page(request):
        if request.method == "POST" and "form" in request.headers.get("content-type", ""):
            return _back_to_form(request, message, exc.field)
        from niaga.web.templating import render

        request.state.locale = _locale(request)
        request.state.user = None  # the error page needs no menu
        return render(request, "error.html", status_code=exc.status_code, error=message)
    return problem(exc.status_code, exc.code, message, field=exc.field, extra=exc.extra)


class InputOutOfRange(DomainError):
    """A value the database cannot hold or read."""


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return render_error(request, exc)

    async def out_of_range(request: Request, exc: Exception) -> Response:
        if isinstance(exc, StatementError) and not _is_input_error(exc):
            raise exc
        return render_error(
            request,
            InputOutOfRange(
                "value_out_of_range", "A value is out of range or not valid for its field."
            ),
        )

    async def too_deep(request: Request, exc: Exception) -> Response:
        return render_error(
            request, InputOutOfRange("nested_too_deeply", "The data is nested too deeply.")
        )

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(OverflowError, out_of_range)
    app.add_exception_handler(DataError, out_of_range)
    app.add_exception_handler(StatementError, out_of_range)
    app.add_exception_handler(RecursionError, too_deep)


def _is_input_error(exc: StatementError) -> bool:
    """A statement that failed on a parameter value (not on the database's state)."""
    original = exc.orig
    if isinstance(original, OverflowError | ValueError):
        return True
    return isinstance(exc, DataError)
