"""Meta's template rules (FACTS.md §4), checked before submission, and the creation request.

:func:`problems` names the field of each rule a definition breaks (``body``, ``header_text``,
``buttons.2.text``, ``samples.nama``…) with an English message id that the templates domain
translates; :func:`creation_request` renders the body of
``POST /{waba-id}/message_templates``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from niaga.channels.template_definition import (
    MEDIA_HEADERS,
    CopyCodeButton,
    PhoneButton,
    QuickReplyButton,
    TemplateDefinition,
    UrlButton,
)

NAME = re.compile(r"^[a-z0-9_]{1,512}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2,4})?$")
NAMED = re.compile(r"^[a-z][a-z0-9_]*$")
POSITIONAL = re.compile(r"^[1-9][0-9]*$")
ADJACENT = re.compile(r"\}\}\s*\{\{")
PHONE = re.compile(r"^\+?[0-9]{6,19}$")
MARKDOWN = re.compile(r"[*_~`]")

BODY_MAX = 1024
HEADER_MAX = 60
FOOTER_MAX = 60
BUTTON_TEXT_MAX = 25
BUTTONS_MAX = 10
URL_MAX = 2000
PHONE_MAX = 20
CODE_MAX = 15


@dataclass(frozen=True)
class RuleProblem:
    """One broken rule: the field it is about and an English message id with its values."""

    field: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)


def _has_emoji(text: str) -> bool:
    return any(unicodedata.category(ch) == "So" for ch in text)


# Meta's own text of authentication templates (the business writes none of it).
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
AUTH_BUTTON = {"id": "Salin kode", "en": "Copy code"}


def _auth_problems(d: TemplateDefinition) -> list[RuleProblem]:
    out = []
    if d.body.strip():
        out.append(
            RuleProblem(
                "body", "WhatsApp writes an authentication template's text; leave it empty."
            )
        )
    if d.header != "none":
        out.append(RuleProblem("header", "An authentication template has no header."))
    if d.footer:
        out.append(
            RuleProblem("footer", "An authentication template's footer is the code's expiry.")
        )
    if d.buttons:
        out.append(
            RuleProblem("buttons", "An authentication template has only its copy-code button.")
        )
    return out


def problems(d: TemplateDefinition) -> list[RuleProblem]:
    """Every rule of Meta's review ``d`` breaks, in the order a person reads the form."""
    out: list[RuleProblem] = []
    if not NAME.match(d.name):
        out.append(RuleProblem("name", "Use lowercase letters, digits and _ only (at most 512)."))
    if not LANGUAGE.match(d.language):
        out.append(RuleProblem("language", "Use a language code such as id, en or en_US."))
    if d.category == "AUTHENTICATION":
        return out + _auth_problems(d)
    out += _header(d)
    out += _body(d)
    out += _footer(d)
    out += _buttons(d)
    for name in dict.fromkeys(d.parameters(d.header_text) + d.parameters(d.body)):
        if not (d.samples.get(name) or "").strip():
            out.append(
                RuleProblem(
                    f"samples.{name}", "Give a sample value for {{{{{name}}}}}.", {"name": name}
                )
            )
    return out


def _parameter_problems(d: TemplateDefinition, where: str, names: list[str]) -> list[RuleProblem]:
    out: list[RuleProblem] = []
    pattern = NAMED if d.parameter_format == "NAMED" else POSITIONAL
    for name in names:
        if not pattern.match(name):
            msgid = (
                "Write parameters as {{{{name}}}}: lowercase letters, digits and _ ({found})."
                if d.parameter_format == "NAMED"
                else "Write parameters as {{{{1}}}}, {{{{2}}}}… ({found})."
            )
            out.append(RuleProblem(where, msgid, {"found": "{{" + name + "}}"}))
    return out


def _header(d: TemplateDefinition) -> list[RuleProblem]:
    if d.header in MEDIA_HEADERS:
        if not d.header_sample:
            return [RuleProblem("header_sample", "Upload an example file for the header.")]
        return []
    if d.header == "location":
        if d.category not in ("MARKETING", "UTILITY"):
            return [RuleProblem("header", "A location header is for marketing and utility only.")]
        return []
    if d.header != "text":
        return []
    text = d.header_text or ""
    out: list[RuleProblem] = []
    if not text.strip():
        return [RuleProblem("header_text", "Write the header text, or choose no header.")]
    if len(text) > HEADER_MAX:
        out.append(
            RuleProblem(
                "header_text",
                "The header is {length} characters; at most {limit}.",
                {"length": len(text), "limit": HEADER_MAX},
            )
        )
    names = d.parameters(text)
    if len(names) > 1:
        out.append(RuleProblem("header_text", "A header may have at most one parameter."))
    if "\n" in text or _has_emoji(text) or MARKDOWN.search(text):
        out.append(RuleProblem("header_text", "No line breaks, emoji or formatting in the header."))
    return out + _parameter_problems(d, "header_text", names)


def _body(d: TemplateDefinition) -> list[RuleProblem]:
    text = d.body
    if not text.strip():
        return [RuleProblem("body", "Write the message body.")]
    out: list[RuleProblem] = []
    if len(text) > BODY_MAX:
        out.append(
            RuleProblem(
                "body",
                "The body is {length} characters; at most {limit}.",
                {"length": len(text), "limit": BODY_MAX},
            )
        )
    names = d.parameters(text)
    if not names:
        return out
    out += _parameter_problems(d, "body", names)
    stripped = text.strip()
    if stripped.startswith("{{") or stripped.endswith("}}"):
        out.append(RuleProblem("body", "A parameter may not start or end the body."))
    if ADJACENT.search(text):
        out.append(RuleProblem("body", "Put words between two parameters."))
    words = len(re.sub(r"\{\{[^{}]*\}\}", " ", text).split())
    if words < 2 * len(names) + 1:
        out.append(
            RuleProblem(
                "body",
                "Too many parameters for the length: {count} need at least {words} other words.",
                {"count": len(names), "words": 2 * len(names) + 1},
            )
        )
    if len(set(names)) != len(names):
        out.append(RuleProblem("body", "Use each parameter once."))
    if d.parameter_format == "POSITIONAL" and all(POSITIONAL.match(n) for n in names):
        numbers = sorted(int(n) for n in names)
        if numbers != list(range(1, len(numbers) + 1)):
            out.append(RuleProblem("body", "Number the parameters 1, 2, 3… with no gaps."))
    return out


def _footer(d: TemplateDefinition) -> list[RuleProblem]:
    text = d.footer or ""
    out: list[RuleProblem] = []
    if len(text) > FOOTER_MAX:
        out.append(
            RuleProblem(
                "footer",
                "The footer is {length} characters; at most {limit}.",
                {"length": len(text), "limit": FOOTER_MAX},
            )
        )
    if d.parameters(text):
        out.append(RuleProblem("footer", "The footer may not have parameters."))
    if "\n" in text or _has_emoji(text):
        out.append(RuleProblem("footer", "No line breaks or emoji in the footer."))
    return out


def _buttons(d: TemplateDefinition) -> list[RuleProblem]:
    buttons = d.buttons
    out: list[RuleProblem] = []
    if len(buttons) > BUTTONS_MAX:
        out.append(RuleProblem("buttons", "At most {limit} buttons.", {"limit": BUTTONS_MAX}))
    kinds = [b.kind for b in buttons]
    for kind, limit in (("url", 2), ("phone", 1), ("copy_code", 1)):
        if kinds.count(kind) > limit:
            out.append(
                RuleProblem(
                    "buttons",
                    "At most {limit} {kind} buttons.",
                    {"limit": limit, "kind": kind.replace("_", " ")},
                )
            )
    quick = [i for i, k in enumerate(kinds) if k == "quick_reply"]
    if quick and quick != list(range(quick[0], quick[0] + len(quick))):
        out.append(RuleProblem("buttons", "Keep the quick replies together."))
    for i, b in enumerate(buttons):
        where = f"buttons.{i}"
        if not isinstance(b, CopyCodeButton):
            if not b.text.strip():
                out.append(RuleProblem(f"{where}.text", "Write the button's label."))
            elif len(b.text) > BUTTON_TEXT_MAX:
                out.append(
                    RuleProblem(
                        f"{where}.text",
                        "The label is {length} characters; at most {limit}.",
                        {"length": len(b.text), "limit": BUTTON_TEXT_MAX},
                    )
                )
        if isinstance(b, UrlButton):
            out += _url_button(b, where)
        elif isinstance(b, PhoneButton) and (
            len(b.phone) > PHONE_MAX or not PHONE.match(b.phone.replace(" ", ""))
        ):
            out.append(
                RuleProblem(f"{where}.phone", "Give the phone number with its country code.")
            )
        elif isinstance(b, CopyCodeButton) and not 0 < len(b.sample.strip()) <= CODE_MAX:
            out.append(
                RuleProblem(
                    f"{where}.sample",
                    "Give an example code of at most {limit} characters.",
                    {"limit": CODE_MAX},
                )
            )
    return out


def _url_button(b: UrlButton, where: str) -> list[RuleProblem]:
    out: list[RuleProblem] = []
    if not b.url.startswith(("https://", "http://")) or len(b.url) > URL_MAX:
        out.append(
            RuleProblem(
                f"{where}.url",
                "Give an http(s) link of at most {limit} characters.",
                {"limit": URL_MAX},
            )
        )
    params = re.findall(r"\{\{[^{}]*\}\}", b.url)
    if params and (len(params) > 1 or not b.url.endswith("{{1}}")):
        out.append(
            RuleProblem(
                f"{where}.url",
                "Only one {parameter}, at the end of the link.",
                {"parameter": "{{1}}"},
            )
        )
    if params and not (b.sample or "").startswith(("https://", "http://")):
        out.append(
            RuleProblem(
                f"{where}.sample",
                "Give an example of the whole link, with {parameter} filled.",
                {"parameter": "{{1}}"},
            )
        )
    return out


def creation_request(d: TemplateDefinition, header_handle: str | None = None) -> dict[str, Any]:
    """The body of ``POST /{waba-id}/message_templates`` for ``d`` (check it first); a media
    header's example is the ``header_handle`` the Resumable Upload API gave for its file."""
    if d.category == "AUTHENTICATION":
        return _auth_request(d)
    named = d.parameter_format == "NAMED"
    components: list[dict[str, Any]] = []
    if d.header in MEDIA_HEADERS:
        media: dict[str, Any] = {"type": "HEADER", "format": d.header.upper()}
        if header_handle:
            media["example"] = {"header_handle": [header_handle]}
        components.append(media)
    if d.header == "text" and d.header_text:
        header: dict[str, Any] = {"type": "HEADER", "format": "TEXT", "text": d.header_text}
        names = d.parameters(d.header_text)
        if names:
            header["example"] = (
                {"header_text_named_params": [_named(n, d) for n in names]}
                if named
                else {"header_text": [d.samples.get(names[0], "")]}
            )
        components.append(header)
    elif d.header == "location":
        components.append({"type": "HEADER", "format": "LOCATION"})
    body: dict[str, Any] = {"type": "BODY", "text": d.body}
    names = d.parameters(d.body)
    if names:
        body["example"] = (
            {"body_text_named_params": [_named(n, d) for n in names]}
            if named
            else {"body_text": [[d.samples.get(n, "") for n in sorted(names, key=int)]]}
        )
    components.append(body)
    if d.footer:
        components.append({"type": "FOOTER", "text": d.footer})
    if d.buttons:
        components.append({"type": "BUTTONS", "buttons": [_button(b) for b in d.buttons]})
    request: dict[str, Any] = {
        "name": d.name,
        "language": d.language,
        "category": d.category,
        "components": components,
    }
    if named:
        request["parameter_format"] = "NAMED"
    return request


def _auth_request(d: TemplateDefinition) -> dict[str, Any]:
    components: list[dict[str, Any]] = [
        {"type": "BODY", "add_security_recommendation": d.security_recommendation}
    ]
    if d.code_expiration_minutes:
        components.append({"type": "FOOTER", "code_expiration_minutes": d.code_expiration_minutes})
    label = d.otp_button_text or AUTH_BUTTON.get(d.language.split("_")[0], AUTH_BUTTON["en"])
    components.append(
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": label}]}
    )
    return {
        "name": d.name,
        "language": d.language,
        "category": "AUTHENTICATION",
        "components": components,
    }


def listed_components(d: TemplateDefinition, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The components as Meta will list them: an authentication template gets Meta's own
    text (the code as its one parameter) and expiry footer."""
    components = [dict(c) for c in request["components"]]
    if d.category != "AUTHENTICATION":
        return components
    lang = d.language.split("_")[0] if d.language.split("_")[0] in AUTH_BODY else "en"
    for comp in components:
        if comp["type"] == "BODY":
            security = AUTH_SECURITY[lang] if d.security_recommendation else ""
            comp["text"] = AUTH_BODY[lang] + security
        elif comp["type"] == "FOOTER" and comp.get("code_expiration_minutes"):
            comp["text"] = AUTH_EXPIRY[lang].format(n=comp["code_expiration_minutes"])
    return components


def _named(name: str, d: TemplateDefinition) -> dict[str, str]:
    return {"param_name": name, "example": d.samples.get(name, "")}


def _button(b: QuickReplyButton | UrlButton | PhoneButton | CopyCodeButton) -> dict[str, Any]:
    if isinstance(b, QuickReplyButton):
        return {"type": "QUICK_REPLY", "text": b.text}
    if isinstance(b, UrlButton):
        out: dict[str, Any] = {"type": "URL", "text": b.text, "url": b.url}
        if "{{" in b.url and b.sample:
            out["example"] = [b.sample]
        return out
    if isinstance(b, PhoneButton):
        return {"type": "PHONE_NUMBER", "text": b.text, "phone_number": b.phone.replace(" ", "")}
    return {"type": "COPY_CODE", "example": b.sample}
