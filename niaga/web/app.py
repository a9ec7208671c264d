"""The ASGI application: webhooks, API, health, and the sandbox in local mode."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp

from niaga import __version__
from niaga.channels.whatsapp import intake_db, webhook
from niaga.channels.whatsapp.ingest import WebhookWriter
from niaga.core import live, metrics
from niaga.core.config import Settings, get_settings
from niaga.core.db import make_engine, make_sessionmaker
from niaga.security import audit, crypto, secrets_at_rest

log = logging.getLogger(__name__)


class NiagaApp(FastAPI):
    """FastAPI with the webhook fast path outermost (see :mod:`niaga.channels.whatsapp.webhook`)."""

    def build_middleware_stack(self) -> ASGIApp:
        from niaga.web.request_context import RequestContext
        from niaga.web.security_headers import SecurityHeaders

        settings = self.state.settings
        inner = SecurityHeaders(
            super().build_middleware_stack(), settings.public_url, settings.allowed_hosts
        )
        return webhook.WebhookFastPath(RequestContext(inner), self.state)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    audit.use_secret(settings.secret_key)
    crypto.configure(settings.encryption_keys, settings.data_dir)
    engine = make_engine(settings.database_url)
    settings = secrets_at_rest.apply(settings, engine)  # credentials kept in the database
    settings.check_safe_to_start()
    factory = make_sessionmaker(engine)
    sandbox = _make_sandbox(settings) if settings.sandbox else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from niaga import listeners
        from niaga.core.jobs import pg_signals, signals
        from niaga.runtime import Worker  # the worker pulls in the Graph client and parser
        from niaga.worker_process import WorkerProcess

        listeners.register(settings, factory)
        pg_signals.acquire(settings.database_url)  # other machines' workers hear our webhooks
        hub: live.LiveHub = app.state.live_hub
        await hub.start(settings.redis_url)
        live.subscribe(hub)

        worker: Worker | None = None
        child: WorkerProcess | None = None
        if settings.embedded_worker and settings.worker_process:
            child = WorkerProcess(settings, hub.deliver_many_threadsafe)
        elif settings.embedded_worker:
            worker = Worker(settings, factory, dispatch=settings.embedded_dispatch)
        intake = await asyncio.to_thread(intake_db.open_intake, settings, engine)
        writer = WebhookWriter(
            engine,
            intake=intake,
            max_batch=settings.webhook_batch_max,
            on_stored=lambda: signals.notify(signals.WEBHOOKS_STORED),
            priority=child.priority.intake if child is not None and child.priority else None,
        )
        app.state.webhook_writer = writer
        app.state.worker = worker
        app.state.worker_process = child
        await writer.start()
        if sandbox is not None:
            await sandbox.start()
        if worker is not None:
            worker.start()
        if child is not None:
            child.start()
            signals.forward(child.wake)  # the child's loops hear this process's work
        demo_task = None
        if settings.demo and sandbox is not None:
            from niaga.demo import seed_demo_chats

            demo_task = asyncio.create_task(seed_demo_chats(sandbox, factory))
        try:
            yield
        finally:
            if demo_task is not None:
                demo_task.cancel()
            live.unsubscribe(hub)
            await hub.stop()
            pg_signals.release(settings.database_url)
            await writer.stop()
            if worker is not None:
                await worker.stop()
            if child is not None:
                signals.unforward(child.wake)
                await asyncio.to_thread(child.stop)
            if sandbox is not None:
                await sandbox.stop()
            if intake is not engine:
                intake.dispose()
            engine.dispose()
            metrics.process_exiting()

    app = NiagaApp(
        title="Niaga",
        version=__version__,
        description="Self-hosted WhatsApp Business growth and customer-service platform.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = factory
    app.state.read_session_factory = make_sessionmaker(engine, read_only=True)
    app.state.sandbox = sandbox
    app.state.live_hub = live.LiveHub()
    if sandbox is not None:
        # First among the routes: the sandbox's Graph API calls (a campaign's thousand a
        # second) are matched at once instead of after every page and API route.
        app.mount("/sandbox", sandbox.app)
    from niaga.web import errors as web_errors

    web_errors.install(app)
    app.include_router(webhook.router)
    from niaga.web.routers import (
        analytics_api,
        api,
        audit_pages,
        automation_api,
        campaigns_api,
        catalog_api,
        catalog_pages,
        community_api,
        contacts_import_api,
        links_api,
        loyalty_api,
        privacy_pages,
        segments_api,
        template_media,
        templates_api,
    )

    app.include_router(api.router)
    app.include_router(analytics_api.router)
    app.include_router(automation_api.router)
    app.include_router(templates_api.router)
    app.include_router(template_media.router)
    app.include_router(links_api.router)
    app.include_router(contacts_import_api.router)
    app.include_router(segments_api.router)
    app.include_router(loyalty_api.router)
    app.include_router(community_api.router)
    app.include_router(campaigns_api.router)
    app.include_router(campaigns_api.rates_router)
    app.include_router(audit_pages.api_router)
    app.include_router(privacy_pages.api_router)
    for router in catalog_api.ROUTERS:
        app.include_router(router)
    app.include_router(catalog_pages.router)
    _add_pages(app)

    from niaga.web.routers import ops

    app.include_router(ops.router)

    return app


def _add_pages(app: FastAPI) -> None:
    """The signed-in web app: login, inbox, settings, static files."""
    from fastapi import Request
    from fastapi.encoders import jsonable_encoder as jsonable
    from fastapi.responses import RedirectResponse, Response
    from fastapi.staticfiles import StaticFiles
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from niaga.web import errors as web_errors
    from niaga.web.auth import LoginRequired
    from niaga.web.routers import (
        account_pages,
        analytics_pages,
        audit_pages,
        auth_pages,
        campaigns_pages,
        catalog_admin_pages,
        community_pages,
        inbox,
        incident_pages,
        links_pages,
        loyalty_pages,
        privacy_pages,
        rules_pages,
        settings_pages,
        shop_pages,
        status_pages,
        templates_pages,
        tracking,
    )

    app.include_router(auth_pages.router)
    app.include_router(templates_pages.router)
    app.include_router(links_pages.router)
    app.include_router(tracking.router)
    app.include_router(campaigns_pages.router)
    app.include_router(analytics_pages.router)
    for router in inbox.ROUTERS:
        app.include_router(router)
    app.include_router(settings_pages.router)
    app.include_router(audit_pages.router)
    app.include_router(account_pages.router)
    app.include_router(privacy_pages.router)
    app.include_router(incident_pages.router)
    app.include_router(rules_pages.router)
    app.include_router(catalog_admin_pages.router)
    app.include_router(shop_pages.router)
    app.include_router(loyalty_pages.router)
    app.include_router(community_pages.router)
    app.include_router(status_pages.router)
    static = Path(__file__).resolve().parent / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        wants_html = "text/html" in request.headers.get("accept", "")
        if request.method == "GET" and wants_html:
            from urllib.parse import quote

            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return JSONResponse({"detail": "Sign in first."}, status_code=401)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        wants_html = "text/html" in request.headers.get("accept", "")
        path = request.url.path
        if wants_html and not path.startswith(("/api/", "/webhooks", "/sandbox")):
            from niaga.web.templating import render

            if not hasattr(request.state, "locale"):
                request.state.locale = app.state.settings.locale
            request.state.user = None  # its session is closed; the error page needs no menu
            return render(request, "error.html", status_code=exc.status_code, error=exc.detail)
        if path.startswith("/api/") and isinstance(exc.detail, str):
            return web_errors.problem(
                exc.status_code, f"http_{exc.status_code}", exc.detail, headers=exc.headers
            )
        return JSONResponse(
            {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if not request.url.path.startswith("/api/"):
            return JSONResponse({"detail": jsonable(errors)}, status_code=422)
        first = errors[0] if errors else {}
        field = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}: {e.get('msg', '')}"
            for e in errors[:10]
        )
        return web_errors.problem(
            422, "request_invalid", detail, field=field, extra={"errors": jsonable(errors)}
        )


def _make_sandbox(settings: Settings):  # type: ignore[no-untyped-def]
    from niaga.channels.sandbox.app import Sandbox
    from niaga.channels.sandbox.config import SandboxConfig

    return Sandbox(SandboxConfig.from_settings(settings))
