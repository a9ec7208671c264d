"""Message templates as Meta keeps them: seeds, review rules, parameter checks (FACTS.md §4)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from niaga.channels.sandbox.errors import SandboxError
from niaga.channels.sandbox.uploads import FORMAT_TYPES, Uploads

POSITIONAL = re.compile(r"\{\{\s*(\d+)\s*\}\}")
NAMED = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
ANY_PARAM = re.compile(r"\{\{\s*([^}]*)\s*\}\}")
NAME_RE = re.compile(r"^[a-z0-9_]{1,512}$")
_ids = itertools.count(1_100_000_000_000_000)


@dataclass
class Template:
    """One template in one language."""

    name: str
    language: str
    category: str
    components: list[dict[str, Any]]
    parameter_format: str = "POSITIONAL"
    status: str = "APPROVED"
    id: str = field(default_factory=lambda: str(next(_ids)))
    quality: str = "GREEN"
    edited_at: list[float] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "status": self.status,
            "parameter_format": self.parameter_format,
            "components": self.components,
            "quality_score": {"score": self.quality},
        }

    def component(self, kind: str) -> dict[str, Any] | None:
        return next((c for c in self.components if c.get("type", "").upper() == kind), None)

    def expected(self, kind: str) -> list[str]:
        """Parameter names (or numbers) a component's text expects, in order."""
        comp = self.component(kind)
        if comp is None:
            return []
        if kind == "HEADER" and comp.get("format", "TEXT").upper() != "TEXT":
            return ["media"]
        text = comp.get("text", "")
        pattern = NAMED if self.parameter_format == "NAMED" else POSITIONAL
        return pattern.findall(text)

    def url_buttons_with_param(self) -> list[int]:
        comp = self.component("BUTTONS")
        if comp is None:
            return []
        return [
            i
            for i, b in enumerate(comp.get("buttons", []))
            if (b.get("type", "").upper() == "URL" and "{{" in b.get("url", ""))
            or b.get("type", "").upper() == "OTP"  # the code again, for the copy button
        ]


def seed_templates() -> list[Template]:
    """The templates every sandbox starts with (all APPROVED)."""
    return [
        Template(
            "hello_world",
            "en_US",
            "UTILITY",
            [
                {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
                {
                    "type": "BODY",
                    "text": "Welcome and congratulations!! This message demonstrates "
                    "your ability to send a WhatsApp message notification from the Cloud API.",
                },
                {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"},
            ],
        ),
        Template(
            "konfirmasi_pesanan",
            "id",
            "UTILITY",
            [
                {
                    "type": "BODY",
                    "text": "Halo {{1}}, pesanan {{2}} sebesar {{3}} sudah kami terima. "
                    "Terima kasih sudah berbelanja!",
                },
                {
                    "type": "BUTTONS",
                    "buttons": [
                        {
                            "type": "URL",
                            "text": "Lihat pesanan",
                            "url": "https://tokosari.id/pesanan/{{1}}",
                        }
                    ],
                },
            ],
        ),
        Template(
            "status_pengiriman",
            "id",
            "UTILITY",
            [
                {
                    "type": "BODY",
                    "text": "Halo {{nama}}, pesanan {{nomor_pesanan}} sudah dikirim "
                    "lewat {{kurir}}. Terima kasih!",
                },
            ],
            parameter_format="NAMED",
        ),
        Template(
            "promo_bulanan",
            "id",
            "MARKETING",
            [
                {"type": "HEADER", "format": "IMAGE"},
                {
                    "type": "BODY",
                    "text": "Halo {{1}}! Diskon {{2}} untuk semua koleksi sampai akhir "
                    "bulan. Yuk belanja sekarang.",
                },
                {
                    "type": "BUTTONS",
                    "buttons": [
                        {"type": "QUICK_REPLY", "text": "Lihat promo"},
                        {"type": "QUICK_REPLY", "text": "Berhenti promosi"},
                    ],
                },
            ],
        ),
        Template(
            "minta_rating",
            "id",
            "UTILITY",
            [
                {
                    "type": "BODY",
                    "text": "Bagaimana pelayanan kami hari ini? Pilih nilai di bawah ya.",
                },
                {
                    "type": "BUTTONS",
                    "buttons": [
                        {"type": "QUICK_REPLY", "text": f"{n} ⭐"} for n in (5, 4, 3, 2, 1)
                    ],
                },
            ],
        ),
    ]


def review(body: dict[str, Any], uploads: Uploads | None = None) -> tuple[Template, str | None]:
    """Check a creation request like Meta: sync errors raise; returns (template, rejection).
    A media header's example must name a file ``uploads`` finished."""
    name = body.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SandboxError(100, "name must be lowercase letters, digits and _ (max 512)")
    category = str(body.get("category", "")).upper()
    if category not in ("MARKETING", "UTILITY", "AUTHENTICATION"):
        raise SandboxError(100, "category must be MARKETING, UTILITY or AUTHENTICATION")
    language = body.get("language")
    if not isinstance(language, str) or not language:
        raise SandboxError(100, "language is required")
    fmt = str(body.get("parameter_format", "POSITIONAL")).upper()
    components = body.get("components")
    if not isinstance(components, list):
        raise SandboxError(100, "components must be a list")
    kinds = [str(c.get("type", "")).upper() for c in components if isinstance(c, dict)]
    if kinds.count("BODY") != 1:
        raise SandboxError(100, "a template needs exactly one BODY component")
    if category == "AUTHENTICATION":
        return _authentication(name, language, components), None
    rejection = None
    for comp in components:
        kind = str(comp.get("type", "")).upper()
        text = comp.get("text", "") or ""
        if kind == "BODY":
            rejection = _check_body(text, fmt) or rejection
        elif kind == "HEADER" and str(comp.get("format", "TEXT")).upper() in FORMAT_TYPES:
            fmt_name = str(comp.get("format")).upper()
            (uploads or Uploads()).check_example(
                fmt_name, (comp.get("example") or {}).get("header_handle")
            )
        elif kind == "HEADER" and comp.get("format", "TEXT").upper() == "TEXT":
            if len(text) > 60:
                raise SandboxError(100, "header text is longer than 60 characters")
            if len(ANY_PARAM.findall(text)) > 1:
                raise SandboxError(100, "a text header may have at most one parameter")
        elif kind == "FOOTER" and len(text) > 60:
            raise SandboxError(100, "footer text is longer than 60 characters")
        elif kind == "BUTTONS":
            _check_buttons(comp.get("buttons") or [])
    template = Template(
        name=name,
        language=language,
        category=category,
        components=components,
        parameter_format=fmt,
        status="PENDING",
    )
    return template, rejection


# Meta writes an authentication template's text itself, in the template's language.
AUTH_BODY = {
    "id": "*{{1}}* adalah kode verifikasi Anda.",
    "en": "*{{1}}* is your verification code.",
}
AUTH_SECURITY = {
    "id": " Demi keamanan, jangan bagikan kode ini.",
    "en": " For your security, do not share this code.",
}
AUTH_EXPIRY = {
    "id": "Kode ini kedaluwarsa dalam {n} menit.",
    "en": "This code expires in {n} minutes.",
}
OTP_TYPES = ("COPY_CODE", "ONE_TAP", "ZERO_TAP")


def _authentication(name: str, language: str, components: list[Any]) -> Template:
    """An authentication template: no text of the business's, a copy-code (or one-tap)
    button, an optional security line and expiry; Meta fills in its own words."""
    lang = language.split("_")[0] if language.split("_")[0] in AUTH_BODY else "en"
    out: list[dict[str, Any]] = []
    for comp in components:
        kind = str(comp.get("type", "")).upper()
        if kind == "BODY":
            if comp.get("text"):
                raise SandboxError(100, "an authentication template's body has no text")
            security = AUTH_SECURITY[lang] if comp.get("add_security_recommendation") else ""
            out.append({**comp, "text": AUTH_BODY[lang] + security})
        elif kind == "FOOTER":
            minutes = comp.get("code_expiration_minutes")
            if not isinstance(minutes, int) or not 1 <= minutes <= 90:
                raise SandboxError(100, "code_expiration_minutes must be 1 to 90")
            out.append({**comp, "text": AUTH_EXPIRY[lang].format(n=minutes)})
        elif kind == "BUTTONS":
            buttons = comp.get("buttons") or []
            if len(buttons) != 1 or str(buttons[0].get("type", "")).upper() != "OTP":
                raise SandboxError(100, "an authentication template has one OTP button")
            if str(buttons[0].get("otp_type", "")).upper() not in OTP_TYPES:
                raise SandboxError(100, f"otp_type must be one of {OTP_TYPES}")
            out.append(comp)
        else:
            raise SandboxError(100, f"an authentication template cannot have a {kind}")
    if not any(c["type"].upper() == "BUTTONS" for c in out):
        raise SandboxError(100, "an authentication template needs its OTP button")
    return Template(
        name=name,
        language=language,
        category="AUTHENTICATION",
        components=out,
        status="PENDING",
    )


def _check_body(text: str, fmt: str) -> str | None:
    if not text or len(text) > 1024:
        raise SandboxError(100, "body text is required and at most 1024 characters")
    params = ANY_PARAM.findall(text)
    if not params:
        return None
    stripped = text.strip()
    if stripped.startswith("{{") or stripped.endswith("}}"):
        raise SandboxError(
            100, "Variables can't be at the start or end of the template.", subcode=2388299
        )
    words = len(ANY_PARAM.sub(" ", text).split())
    if words < 2 * len(params) + 1:
        raise SandboxError(
            100, "This template has too many variables for its length.", subcode=2388293
        )
    if fmt == "POSITIONAL":
        numbers = [int(p) for p in POSITIONAL.findall(text)]
        if len(numbers) != len(params) or sorted(set(numbers)) != list(range(1, max(numbers) + 1)):
            raise SandboxError(100, "positional parameters must be {{1}}, {{2}}, … with no gaps")
    else:
        names = NAMED.findall(text)
        if len(names) != len(params) or len(set(names)) != len(names):
            raise SandboxError(100, "named parameters must be unique lowercase names")
    if re.search(r"\}\}\s*\{\{", text):
        return "Template has adjacent parameters; add words between them."
    return None


def _check_buttons(buttons: list[dict[str, Any]]) -> None:
    if len(buttons) > 10:
        raise SandboxError(100, "at most 10 buttons")
    kinds = [str(b.get("type", "")).upper() for b in buttons]
    if kinds.count("URL") > 2 or kinds.count("PHONE_NUMBER") > 1 or kinds.count("COPY_CODE") > 1:
        raise SandboxError(100, "at most 2 URL, 1 PHONE_NUMBER and 1 COPY_CODE buttons")
    for b in buttons:
        if len(str(b.get("text", ""))) > 25:
            raise SandboxError(100, "button text is longer than 25 characters")


def check_send(template: Template | None, name: str, language: str, spec: dict[str, Any]) -> None:
    """Validate a template send's parameters against the template, as Meta does."""
    if template is None or template.status in ("PENDING", "REJECTED", "DELETED"):
        raise SandboxError(
            132001, f"template name ({name}) does not exist in {language} or is not approved"
        )
    if template.status == "PAUSED":
        raise SandboxError(132015, f"template {name} is paused because of low quality")
    if template.status == "DISABLED":
        raise SandboxError(132016, f"template {name} is disabled")
    given: dict[str, list[dict[str, Any]]] = {"HEADER": [], "BODY": []}
    buttons: dict[int, list[dict[str, Any]]] = {}
    for comp in spec.get("components") or []:
        kind = str(comp.get("type", "")).upper()
        params = comp.get("parameters") or []
        if kind == "BUTTON":
            buttons[int(comp.get("index", 0))] = params
        elif kind in given:
            given[kind] = params
    for kind in ("HEADER", "BODY"):
        expected = template.expected(kind)
        params = given[kind]
        if kind == "HEADER" and expected == ["media"]:
            comp = template.component("HEADER") or {}
            wanted = str(comp.get("format", "IMAGE")).lower()
            if len(params) != 1 or params[0].get("type") != wanted:
                raise SandboxError(132012, f"header needs one {wanted} parameter")
            continue
        if len(params) != len(expected):
            raise SandboxError(
                132000,
                f"body: number of localizable_params ({len(params)}) does not match the "
                f"expected number of params ({len(expected)})"
                if kind == "BODY"
                else f"header: expected {len(expected)} parameters, got {len(params)}",
            )
        named = [p.get("parameter_name") for p in params]
        if template.parameter_format == "NAMED":
            if any(n is None for n in named):
                raise SandboxError(132012, "this template uses named parameters")
            if sorted(named) != sorted(expected):  # type: ignore[type-var]
                raise SandboxError(132000, f"expected parameters {expected}, got {named}")
        elif any(n is not None for n in named):
            raise SandboxError(132012, "this template uses positional parameters")
        for p in params:
            if p.get("type") == "text" and not str(p.get("text", "")).strip():
                raise SandboxError(132012, "text parameters may not be empty")
    for index in template.url_buttons_with_param():
        if len(buttons.get(index, [])) != 1:
            raise SandboxError(132000, f"URL button {index} needs one text parameter")


EDITS_PER_DAY = 1
EDITS_PER_MONTH = 10


def edit(template: Template, body: dict[str, Any], uploads: Uploads, now: float) -> str | None:
    """Change a template like Meta's ``POST /{template-id}``: only an approved, rejected or
    paused one, at most once a day and ten times in 30 days when approved; it goes back to
    review (PENDING). Returns the rejection the review will give, if any."""
    if template.status not in ("APPROVED", "REJECTED", "PAUSED"):
        raise SandboxError(100, f"A template that is {template.status} cannot be edited")
    if template.status == "APPROVED":
        day = [t for t in template.edited_at if now - t < 86400]
        month = [t for t in template.edited_at if now - t < 30 * 86400]
        if len(day) >= EDITS_PER_DAY or len(month) >= EDITS_PER_MONTH:
            raise SandboxError(
                100, "This template was edited too often: once a day, ten times in 30 days"
            )
    changed, rejection = review(
        {
            "name": template.name,
            "language": template.language,
            "category": body.get("category") or template.category,
            "parameter_format": template.parameter_format,
            "components": body.get("components", template.components),
        },
        uploads,
    )
    template.category = changed.category
    template.components = changed.components
    template.status = "PENDING"
    template.edited_at.append(now)
    return rejection
