"""Phone numbers in E.164 (phonenumbers, default region ID)."""

from __future__ import annotations

import phonenumbers

from niaga.core.errors import DomainError


class InvalidPhoneError(DomainError, ValueError):
    """The text is not a valid phone number."""

    def __init__(self, raw: str) -> None:
        super().__init__(
            "invalid_phone", "Not a valid phone number: {phone}", field="phone", phone=raw
        )


def to_e164(raw: str, region: str = "ID") -> str:
    """Normalise ``raw`` ("0812-3456-7890", "6281234567890", "+62 812…") to ``+6281234567890``."""
    text = raw.strip()
    if text.isdigit() and not text.startswith("0"):
        text = "+" + text  # wa_id form: country code without "+"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneError(raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneError(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def wa_id_from_e164(e164: str) -> str:
    """Meta's ``wa_id``: the E.164 number without the plus."""
    return e164.removeprefix("+")


def e164_from_wa_id(wa_id: str) -> str | None:
    """E.164 from Meta's ``wa_id``; ``None`` when Meta's id is not a valid number."""
    try:
        return to_e164(wa_id)
    except InvalidPhoneError:
        return None


def mask(e164: str) -> str:
    """A number shown without its middle (``+62812****7890``), for people who need not see it
    in full; short or empty values become ``****``."""
    if len(e164) < 9:
        return "****" if e164 else ""
    return f"{e164[:6]}****{e164[-4:]}"
