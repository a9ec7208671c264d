"""The sandbox: Meta's Graph API as a local app (DESIGN.md §4).

Mount it in Niaga with ``app.mount("/sandbox", sandbox.app)`` and call ``start``/``stop``
from Niaga's lifespan (mounted apps' lifespans do not run), or serve it alone with
:func:`create_standalone_app` (``niaga sandbox``).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Annotated, Any

import aiohttp
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from niaga.channels.sandbox import groups as wa_groups
from niaga.channels.sandbox import templates as tpl
from niaga.channels.sandbox.commerce import Catalog
from niaga.channels.sandbox.config import SandboxConfig
from niaga.channels.sandbox.control import control_router
from niaga.channels.sandbox.customers import (
    InboundRequest,
    autoreply_for,
    build_message,
    contact_of,
    random_chatter,
    random_customer,
)
from niaga.channels.sandbox.errors import SandboxError
from niaga.channels.sandbox.faults import Faults, Timeout
from niaga.channels.sandbox.groups import Groups
from niaga.channels.sandbox.phone import phone_router
from niaga.channels.sandbox.ratelimit import Limits
from niaga.channels.sandbox.state import Customer, SandboxState, new_wamid
from niaga.channels.sandbox.statuses import StatusPlanner
from niaga.channels.sandbox.uploads import Uploads
from niaga.channels.sandbox.validation import normalise_recipient, validate_message
from niaga.channels.sandbox.webhooks import WebhookSender, envelope, messages_value
from niaga.core.tokens import tokens_equal


def _error(exc: SandboxError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.http_status)


class Sandbox:
    """The emulator: state, webhook sender, simulated customers and the FastAPI app."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self._defaults = self.config.model_copy(deep=True)
        self.state = SandboxState(max_log=self.config.max_log)
        self.faults = Faults(self.config)
        self.webhooks = WebhookSender(self.config, self.state, self.faults)
        self.statuses = StatusPlanner(self.config, self.state, self.faults, self.webhooks)
        self.limits = Limits()
        self._chatter: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.app = FastAPI(
            title="Niaga sandbox (WhatsApp Cloud API emulator)",
            description="Graph API paths Niaga uses, simulated customers and fault injection.",
        )
        self._routes()

    async def start(self) -> None:
        """Open the webhook session and start background tasks (call from Niaga's lifespan)."""
        self.state.load_customers(self.config.state_file)
        await self.webhooks.start()
        self._chatter = asyncio.create_task(self._chatter_loop(), name="sandbox-chatter")

    async def stop(self) -> None:
        """Stop background tasks and close the webhook session."""
        if self._chatter is not None:
            self._chatter.cancel()
            with suppress(asyncio.CancelledError):
                await self._chatter
        for t in list(self._tasks):
            t.cancel()
        await self.webhooks.stop()

    def reset(self) -> None:
        """Back to a fresh sandbox with the configured defaults (seed templates kept)."""
        for key, value in self._defaults.model_dump().items():
            setattr(self.config, key, value)
        self.state.customers.clear()
        self.state.save_customers(self.config.state_file)
        self.state.messages.clear()
        self.state.inbound.clear()
        self.state.media.clear()
        self.state.uploads = Uploads()
        self.state.catalog = Catalog()
        self.state.groups = Groups()
        self.state.webhook_log.clear()
        self.state.stats.clear()
        self.state.errors.clear()
        self.state.templates = tpl.seed_templates()
        self.webhooks.clear()
        self.limits.reset()

    # --- helpers ------------------------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return tokens_equal(header, f"Bearer {self.config.access_token}")

    def _token_alive(self) -> None:
        if not self.config.token_valid:
            raise SandboxError(
                190,
                "Error validating access token: Session has expired on Monday, 07-Dec-26 "
                "00:00:00 PST.",
                subcode=463,
            )

    def _later(self, delay: float, coro: Any) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)
            await coro

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _fail(self, exc: SandboxError) -> JSONResponse:
        self.state.errors[str(exc.code)] += 1
        return _error(exc)

    async def customer_sends(self, customer: Customer, req: InboundRequest) -> dict[str, Any]:
        """Build the inbound webhook, open the window, deliver it; returns wamid and answer."""
        msg = build_message(self.state, customer, req, self.config.display_phone_number)
        if req.type == "changed_number" and req.new_phone:
            self.state.customers.pop(customer.phone, None)
            customer.phone = req.new_phone
            self.state.customers[customer.phone] = customer
        customer.last_inbound_at = time.time()
        self.state.save_customers(self.config.state_file)
        self.state.remember_inbound(msg["id"], {"from": customer.phone, "message": msg})
        payload = envelope(
            self.config,
            messages_value(self.config, contacts=[contact_of(customer)], messages=[msg]),
        )
        self.state.stats["inbound"] += 1
        status = await self.webhooks.deliver_now(payload)
        return {"wamid": msg["id"], "status": status, "payload": payload}

    async def _chatter_loop(self) -> None:
        while True:
            rate = self.config.chatter_per_minute
            await asyncio.sleep(60.0 / rate if rate > 0 else 1.0)
            if rate > 0:
                with suppress(Exception):
                    await self.customer_sends(random_customer(self.state), random_chatter())

    # --- routes -------------------------------------------------------------------------

    def _routes(self) -> None:
        app = self.app

        @app.exception_handler(SandboxError)
        async def sandbox_error(_: Request, exc: SandboxError) -> JSONResponse:
            return self._fail(exc)

        # control API first, so "/_control/x" never matches "/{version}/{id}"
        app.include_router(control_router(self))
        app.include_router(phone_router(self))

        @app.get("/media-download/{media_id}", tags=["graph"])
        async def download(media_id: str, request: Request) -> Response:
            if not self._authorised(request):
                raise SandboxError(190, "Invalid OAuth access token.")
            media = self.state.media.get(media_id)
            if media is None:
                raise SandboxError(100, f"media {media_id} does not exist")
            return Response(media.data, media_type=media.mime_type)

        @app.post("/{version}/{phone_number_id}/messages", tags=["graph"])
        async def send(version: str, phone_number_id: str, request: Request) -> Any:
            return await self._send(version, phone_number_id, request)

        @app.post("/{version}/{phone_number_id}/media", tags=["graph"])
        async def upload(
            version: str,
            phone_number_id: str,
            request: Request,
            file: Annotated[UploadFile, File()],
            type: Annotated[str, Form()],
            messaging_product: Annotated[str, Form()],
        ) -> dict[str, str]:
            self._check(version, phone_number_id, request)
            if messaging_product != "whatsapp":
                raise SandboxError(100, "messaging_product must be whatsapp")
            data = await file.read()
            limit = {"image": 5, "video": 16, "audio": 16, "document": 100}.get(
                type.split("/")[0], 100
            )
            if len(data) > limit * 1024 * 1024:
                raise SandboxError(131053, f"file is larger than {limit} MB")
            return {"id": self.state.add_media(data, type).id}

        @app.get("/{version}/{phone_number_id}/whatsapp_business_profile", tags=["graph"])
        async def get_profile(version: str, phone_number_id: str, request: Request) -> Any:
            self._check(version, phone_number_id, request)
            return {"data": [{"messaging_product": "whatsapp", **self.state.profile}]}

        @app.post("/{version}/{phone_number_id}/whatsapp_business_profile", tags=["graph"])
        async def set_profile(version: str, phone_number_id: str, request: Request) -> Any:
            self._check(version, phone_number_id, request)
            data = await request.json()
            allowed = {
                "about",
                "address",
                "description",
                "email",
                "websites",
                "vertical",
                "profile_picture_handle",
            }
            unknown = set(data) - allowed - {"messaging_product"}
            if unknown:
                raise SandboxError(100, f"unknown profile fields: {sorted(unknown)}")
            if len(str(data.get("about", ""))) > 139:
                raise SandboxError(100, "about is longer than 139 characters")
            handle = data.get("profile_picture_handle")
            if handle is not None and self.state.uploads.handles.get(str(handle)) not in (
                "image/jpeg",
                "image/jpg",
                "image/png",
            ):
                raise SandboxError(
                    100, "Invalid parameter: profile_picture_handle is not an uploaded image"
                )
            self.state.profile.update({k: v for k, v in data.items() if k in allowed})
            return {"success": True}

        @app.post("/{version}/{phone_number_id}/groups", tags=["graph"])
        async def create_group(version: str, phone_number_id: str, request: Request) -> Any:
            self._check(version, phone_number_id, request)
            self._groups_open()
            try:
                group = self.state.groups.create(await request.json())
            except ValueError as exc:
                raise SandboxError(100, f"Invalid parameter: {exc}") from None
            value = wa_groups.lifecycle_value(self._metadata(), group)
            self.webhooks.schedule(0.2, envelope(self.config, value, "group_lifecycle_update"))
            return {"messaging_product": "whatsapp", "request_id": group.request_id}

        @app.post("/{version}/{group_id}/invite_link", tags=["graph"])
        async def group_invite_link(version: str, group_id: str, request: Request) -> Any:
            self._check(version, None, request)
            self._groups_open()
            group = self._group(group_id)
            return {
                "messaging_product": "whatsapp",
                "invite_link": self.state.groups.invite_link(group),
            }

        @app.delete("/{version}/{group_id}/participants", tags=["graph"])
        async def remove_participants(version: str, group_id: str, request: Request) -> Any:
            self._check(version, None, request)
            self._groups_open()
            group = self._group(group_id)
            body = await request.json()
            people = body.get("participants") if isinstance(body, dict) else None
            if not isinstance(people, list) or not 1 <= len(people) <= 8:
                raise SandboxError(100, "Invalid parameter: participants: 1 to 8 of {user}")
            for person in people:
                wa_id = str((person or {}).get("user") or "")
                if wa_id in group.participants:
                    group.participants.remove(wa_id)
            return {"success": True}

        @app.post("/{version}/{catalog_id}/items_batch", tags=["graph"])
        async def items_batch(version: str, catalog_id: str, request: Request) -> Any:
            self._check(version, None, request)
            self._check_catalog(catalog_id)
            try:
                body = await request.json()
            except ValueError:
                raise SandboxError(100, "The request body is not JSON") from None
            requests = body.get("requests") if isinstance(body, dict) else None
            if isinstance(requests, str):
                try:
                    requests = json.loads(requests)
                except ValueError:
                    requests = None
            if not isinstance(requests, list) or not requests:
                raise SandboxError(100, "(#100) The parameter requests is required")
            if len(requests) > 5000:
                raise SandboxError(100, "(#100) At most 5000 requests per batch")
            if body.get("item_type", "PRODUCT_ITEM") != "PRODUCT_ITEM":
                raise SandboxError(100, "(#100) item_type must be PRODUCT_ITEM")
            async with aiohttp.ClientSession() as session:
                handle = await self.state.catalog.apply(requests, session)
            return {"handles": [handle]}

        @app.get("/{version}/{catalog_id}/check_batch_request_status", tags=["graph"])
        async def batch_status(
            version: str, catalog_id: str, request: Request, handle: str = ""
        ) -> Any:
            self._check(version, None, request)
            self._check_catalog(catalog_id)
            found = self.state.catalog.batches.get(handle)
            if found is None:
                raise SandboxError(100, f"Batch handle {handle!r} does not exist")
            return {"data": [found]}

        @app.get("/{version}/{waba_id}/subscribed_apps", tags=["graph"])
        async def subscribed_apps(version: str, waba_id: str, request: Request) -> Any:
            self._check(version, None, request, waba_id=waba_id)
            if not self.config.webhooks_subscribed:
                return {"data": []}
            app = {"id": self.config.app_id, "name": "Niaga", "link": "https://niaga.local"}
            return {"data": [{"whatsapp_business_api_data": app}]}

        @app.post("/{version}/{waba_id}/subscribed_apps", tags=["graph"])
        async def subscribe_app(version: str, waba_id: str, request: Request) -> Any:
            self._check(version, None, request, waba_id=waba_id)
            self.config.webhooks_subscribed = True
            return {"success": True}

        @app.get("/{version}/{waba_id}/message_templates", tags=["graph"])
        async def list_templates(
            version: str,
            waba_id: str,
            request: Request,
            name: str | None = None,
            status: str | None = None,
            limit: int = 25,
            after: str | None = None,
        ) -> Any:
            self._check(version, None, request, waba_id=waba_id)
            rows = [
                t
                for t in self.state.templates
                if (name is None or t.name == name) and (status is None or t.status == status)
            ]
            start = int(after) if after and after.isdigit() else 0
            page = rows[start : start + limit]
            out: dict[str, Any] = {
                "data": [t.public() for t in page],
                "paging": {"cursors": {"before": str(start), "after": str(start + len(page))}},
            }
            if start + len(page) < len(rows):
                out["paging"]["next"] = str(
                    request.url.include_query_params(after=str(start + len(page)))
                )
            return out

        @app.post("/{version}/{waba_id}/message_templates", tags=["graph"])
        async def create_template(version: str, waba_id: str, request: Request) -> Any:
            self._check(version, None, request, waba_id=waba_id)
            body = await request.json()
            template, rejection = tpl.review(body, self.state.uploads)
            if self.state.template(template.name, template.language) is not None:
                raise SandboxError(100, "a template with this name and language already exists")
            self.state.templates.append(template)
            self._later(
                self.config.template_review_seconds, self._finish_review(template, rejection)
            )
            return {"id": template.id, "status": "PENDING", "category": template.category}

        @app.delete("/{version}/{waba_id}/message_templates", tags=["graph"])
        async def delete_template(
            version: str, waba_id: str, request: Request, name: str, hsm_id: str | None = None
        ) -> Any:
            self._check(version, None, request, waba_id=waba_id)
            before = len(self.state.templates)
            self.state.templates = [
                t
                for t in self.state.templates
                if not (t.name == name and (hsm_id is None or t.id == hsm_id))
            ]
            if len(self.state.templates) == before:
                raise SandboxError(100, f"template {name} does not exist")
            return {"success": True}

        @app.post("/{version}/{app_id}/uploads", tags=["graph"])
        async def open_upload(
            version: str,
            app_id: str,
            request: Request,
            file_name: str = "",
            file_length: str | None = None,
            file_type: str | None = None,
        ) -> dict[str, str]:
            """Resumable Upload API, step 1: a session for one file of this app."""
            self._check(version, None, request)
            if app_id != self.config.app_id:
                raise SandboxError(100, f"Object with ID '{app_id}' does not exist")
            return {"id": self.state.uploads.open(file_name, file_length, file_type)}

        @app.post("/{version}/{object_id}", tags=["graph"])
        async def post_object(version: str, object_id: str, request: Request) -> Any:
            """The bytes of an upload session (from ``file_offset``), or a template edit."""
            if object_id.startswith("upload:"):
                self._check_upload(version, request)
                handle = self.state.uploads.write(
                    object_id, request.headers.get("file_offset"), await request.body()
                )
                if handle is None:
                    return {"id": object_id, "file_offset": self.state.uploads.offset(object_id)}
                return {"h": handle}
            self._check(version, None, request)
            template = next((t for t in self.state.templates if t.id == object_id), None)
            if template is None:
                raise SandboxError(
                    100, f"Unsupported post request. Object with ID '{object_id}' does not exist"
                )
            body = await request.json()
            rejection = tpl.edit(template, body, self.state.uploads, time.time())
            self._later(
                self.config.template_review_seconds, self._finish_review(template, rejection)
            )
            return {"success": True}

        @app.get("/{version}/{object_id}", tags=["graph"])
        async def get_object(version: str, object_id: str, request: Request) -> Any:
            if object_id.startswith("upload:"):  # where a broken upload resumes
                self._check_upload(version, request)
                return {"id": object_id, "file_offset": self.state.uploads.offset(object_id)}
            if object_id == "debug_token":  # Meta's token inspection (niaga doctor)
                return self._debug_token(version, request)
            self._check(version, None, request)
            if object_id == self.config.phone_number_id:
                return {
                    "id": object_id,
                    "display_phone_number": self.config.display_phone_number,
                    "verified_name": self.config.verified_name,
                    "name_status": self.config.name_status,
                    "quality_rating": self.config.quality_rating,
                    "messaging_limit_tier": self.config.messaging_limit_tier,
                    "code_verification_status": "VERIFIED",
                    "platform_type": "CLOUD_API",
                    "throughput": {
                        "level": "HIGH" if self.config.messages_per_second > 80 else "STANDARD"
                    },
                }
            media = self.state.media.get(object_id)
            if media is not None:
                return {
                    "messaging_product": "whatsapp",
                    "url": f"{self.config.public_url}/media-download/{media.id}",
                    "mime_type": media.mime_type,
                    "sha256": media.sha256,
                    "file_size": len(media.data),
                    "id": media.id,
                }
            template = next((t for t in self.state.templates if t.id == object_id), None)
            if template is not None:
                return template.public()
            group = self.state.groups.by_id.get(object_id)
            if group is not None:
                return group.public()
            raise SandboxError(
                100, f"Unsupported get request. Object with ID '{object_id}' does not exist"
            )

        @app.delete("/{version}/{object_id}", tags=["graph"])
        async def delete_object(version: str, object_id: str, request: Request) -> Any:
            self._check(version, None, request)
            if self.state.media.pop(object_id, None) is None:
                raise SandboxError(100, f"media {object_id} does not exist")
            return {"success": True}

    def _groups_open(self) -> None:
        if not self.config.groups_api:
            raise SandboxError(
                10,
                "Application does not have permission for this action: the Groups API is open "
                "to Official Business Accounts",
            )

    def _group(self, group_id: str) -> wa_groups.Group:
        group = self.state.groups.by_id.get(group_id)
        if group is None:
            raise SandboxError(
                100, f"Unsupported request. Object with ID '{group_id}' does not exist"
            )
        return group

    def _metadata(self) -> dict[str, str]:
        return {
            "display_phone_number": self.config.display_phone_number,
            "phone_number_id": self.config.phone_number_id,
        }

    def follow_invite(self, wa_id: str, text: str) -> None:
        """A customer who gets an invite link follows it (while the group has room)."""
        found = re.search(r"https://chat\.whatsapp\.com/[\w-]+", text or "")
        group = self.state.groups.by_link(found.group(0)) if found else None
        if group is None or wa_id in group.participants:
            return
        if len(group.participants) >= wa_groups.MAX_PARTICIPANTS:
            return
        group.participants.append(wa_id)
        value = wa_groups.participants_value(self._metadata(), group, wa_id, joined=True)
        self.webhooks.schedule(0.5, envelope(self.config, value, "group_participants_update"))

    def _check_catalog(self, catalog_id: str) -> None:
        if catalog_id != self.config.catalog_id:
            raise SandboxError(
                100, f"Unsupported request. Object with ID '{catalog_id}' does not exist"
            )

    def _debug_token(self, version: str, request: Request) -> dict[str, Any]:
        """``GET /debug_token?input_token=…``: is the token valid, for which app, which scopes."""
        if not re.match(self.config.api_versions, version):
            raise SandboxError(100, f"Unknown path components: /{version}")
        if not self._authorised(request):
            raise SandboxError(190, "Invalid OAuth access token - Cannot parse access token")
        given = request.query_params.get("input_token", "")
        valid = tokens_equal(given, self.config.access_token) and self.config.token_valid
        data: dict[str, Any] = {
            "app_id": self.config.app_id,
            "type": "SYSTEM_USER",
            "application": "Niaga",
            "expires_at": 0,
            "is_valid": valid,
            "scopes": list(self.config.token_scopes) if valid else [],
        }
        if not valid:
            data["error"] = {"code": 190, "message": "Session has expired", "subcode": 463}
        return {"data": data}

    def _check_upload(self, version: str, request: Request) -> None:
        """Upload sessions take the token as ``Authorization: OAuth …``, like Meta's."""
        if not re.match(self.config.api_versions, version):
            raise SandboxError(100, f"Unknown path components: /{version}")
        header = request.headers.get("authorization", "")
        if not tokens_equal(header, f"OAuth {self.config.access_token}"):
            raise SandboxError(190, "Invalid OAuth access token - Cannot parse access token")

    def _check(
        self,
        version: str,
        phone_number_id: str | None,
        request: Request,
        waba_id: str | None = None,
    ) -> None:
        if not re.match(self.config.api_versions, version):
            raise SandboxError(100, f"Unknown path components: /{version}")
        if not self._authorised(request):
            raise SandboxError(190, "Invalid OAuth access token - Cannot parse access token")
        self._token_alive()
        if phone_number_id is not None and phone_number_id != self.config.phone_number_id:
            raise SandboxError(
                100,
                f"Unsupported post request. Object with ID '{phone_number_id}' does not "
                "exist, cannot be loaded due to missing permissions, or does not support this "
                "operation",
            )
        if waba_id is not None and waba_id != self.config.waba_id:
            raise SandboxError(100, f"Object with ID '{waba_id}' does not exist")

    async def _finish_review(self, template: tpl.Template, rejection: str | None) -> None:
        template.status = "REJECTED" if rejection else "APPROVED"
        self.template_event(template, template.status, rejection)

    def template_event(self, template: tpl.Template, event: str, rejection: str | None) -> None:
        """Send a signed ``message_template_status_update`` webhook for ``template``."""
        value: dict[str, Any] = {
            "event": event,
            "message_template_id": int(template.id),
            "message_template_name": template.name,
            "message_template_language": template.language,
            "message_template_category": template.category,
            "reason": "INVALID_FORMAT" if rejection else "NONE",
        }
        if rejection:
            value["rejection_info"] = {"reason": rejection, "recommendation": rejection}
        self.webhooks.schedule(0, envelope(self.config, value, "message_template_status_update"))

    async def _send(self, version: str, phone_number_id: str, request: Request) -> Any:
        c = self.config
        self.state.stats["requests"] += 1
        try:
            self._check(version, phone_number_id, request)
            await self.faults.latency()
            try:
                body = await request.json()
            except ValueError:
                raise SandboxError(100, "request body is not JSON") from None
            if not isinstance(body, dict):
                raise SandboxError(100, "request body must be a JSON object")
            injected = self.faults.sync_error()
            if injected is not None:
                raise injected
            if not self.limits.throughput(phone_number_id, c.messages_per_second):
                raise SandboxError(130429, "Cloud API message throughput has been reached.")
            if body.get("status") == "read":
                return self._mark_read(body)
            kind = validate_message(body, lambda mid: mid in self.state.media)
            body.setdefault("type", kind)
            to = normalise_recipient(body.get("to"))
            if kind == "template":
                t = body["template"]
                tpl.check_send(
                    self.state.template(t["name"], t["language"]["code"]),
                    t["name"],
                    t["language"]["code"],
                    t,
                )
            if c.pair_rate_enabled and not self.limits.pair(
                to, c.pair_rate_burst, c.pair_rate_seconds
            ):
                raise SandboxError(
                    131056,
                    "Too many messages sent from this phone number to the same phone "
                    "number in a short period of time.",
                )
        except SandboxError as exc:
            return self._fail(exc)
        timeout = self.faults.timeout()
        if timeout is not Timeout.NONE:
            self.state.stats["timeouts"] += 1
        if timeout is Timeout.DROP:
            await asyncio.sleep(c.timeout_seconds)
            return self._fail(SandboxError(131000, "Injected timeout without processing."))
        wamid = new_wamid()
        self.state.stats["accepted"] += 1
        self.state.log_message(
            {
                "wamid": wamid,
                "to": to,
                "type": kind,
                "body": body,
                "biz_opaque_callback_data": body.get("biz_opaque_callback_data"),
                "received_at": time.time(),
            }
        )
        self.statuses.plan(wamid, to, body, kind)
        if kind == "text" and "chat.whatsapp.com/" in str(body.get("text", {}).get("body", "")):
            self.follow_invite(to, str(body["text"]["body"]))
        customer = self.state.customer(to)
        if customer is not None and customer.autoreply:
            reply = autoreply_for(body)
            if reply is not None:
                if reply.type in ("button_reply", "list_reply"):
                    reply.context_wamid = wamid
                self._later(c.autoreply_delay, self.customer_sends(customer, reply))
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body.get("to"), "wa_id": to}],
            "messages": [{"id": wamid}],
        }
        if kind == "template":
            answer["messages"][0]["message_status"] = "accepted"
        if timeout is Timeout.HOLD:
            await asyncio.sleep(c.timeout_seconds)
        return answer

    def _mark_read(self, body: dict[str, Any]) -> Any:
        wamid = body.get("message_id")
        if not isinstance(wamid, str):
            raise SandboxError(131008, "The parameter message_id is required.")
        if wamid not in self.state.inbound:
            raise SandboxError(
                100, f"Invalid parameter: message_id {wamid} is not a received message"
            )
        self.state.stats["marked_read"] += 1
        self.state.inbound[wamid]["read"] = True
        return {"success": True}


def create_standalone_app(config: SandboxConfig) -> FastAPI:
    """The sandbox alone, with a lifespan that starts and stops it (``niaga sandbox``)."""
    sandbox = Sandbox(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await sandbox.start()
        try:
            yield
        finally:
            await sandbox.stop()

    sandbox.app.router.lifespan_context = lifespan
    return sandbox.app
