"""Graph API errors as typed exceptions.

Meta reports errors synchronously (``{"error": {...}}`` with an HTTP status) or later in
webhooks (``statuses[].errors``, ``messages[].errors``, ``value.errors``). Both become a
:class:`GraphError` subclass chosen by Meta's ``code`` (FACTS.md §3.2); logic builds on
``code``, ``kind`` and ``retryable``, never on the message text.

Network problems are a separate :class:`GraphTransportError` whose ``maybe_delivered`` tells
the dispatcher whether a blind retry could send the message twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "KINDS",
    "NO_CODE",
    "AuthError",
    "GraphError",
    "GraphPermissionError",
    "GraphTransportError",
    "InvalidRequestError",
    "PairRateLimitError",
    "PolicyError",
    "RateLimitError",
    "RecipientError",
    "TemplateError",
    "TransientGraphError",
    "WindowClosedError",
    "error_from_info",
    "error_from_response",
]

#: ``code`` of an error that carried no Meta error code (e.g. an HTML 502 from a proxy).
NO_CODE = -1

KINDS = (
    "rate_limit",
    "pair_rate_limit",
    "transient",
    "window_closed",
    "recipient",
    "template",
    "auth",
    "permission",
    "invalid_request",
    "policy",
    "unknown",
)


class GraphError(Exception):
    """An error Meta returned (or reported by webhook) for a Graph API call.

    ``retry_after`` is a suggested minimum delay in seconds before trying again; it may be set
    even when ``retryable`` is False (131049: do not resend within 24 h).
    """

    kind: ClassVar[str] = "unknown"
    default_retryable: ClassVar[bool] = False

    def __init__(
        self,
        code: int,
        message: str,
        *,
        http_status: int | None = None,
        details: str | None = None,
        fbtrace_id: str | None = None,
        error_type: str | None = None,
        subcode: int | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.http_status = http_status
        self.details = details
        self.fbtrace_id = fbtrace_id
        self.error_type = error_type
        self.subcode = subcode
        self._retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        super().__init__(str(self))

    @property
    def retryable(self) -> bool:
        """True when sending the same request again later may succeed."""
        return self._retryable

    def __str__(self) -> str:
        text = f"({self.code}) {self.message}"
        if self.details and self.details not in self.message:
            text += f": {self.details}"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code}, message={self.message!r}, "
            f"http_status={self.http_status}, retryable={self.retryable})"
        )


class RateLimitError(GraphError):
    """Throughput or API call-rate limit (130429, 80007, 4): slow down and retry."""

    kind = "rate_limit"
    default_retryable = True


class PairRateLimitError(GraphError):
    """Too many messages to this one recipient (131056); other recipients are fine."""

    kind = "pair_rate_limit"
    default_retryable = True


class TransientGraphError(GraphError):
    """Temporary failure at Meta (131000, 131016, 2, 5xx...): retry with backoff."""

    kind = "transient"
    default_retryable = True


class WindowClosedError(GraphError):
    """More than 24 h since the customer's last message (131047): send a template."""

    kind = "window_closed"


class RecipientError(GraphError):
    """This recipient cannot receive the message (not on WhatsApp, opted out, ...)."""

    kind = "recipient"


class TemplateError(GraphError):
    """The template is missing, paused, disabled, or its parameters do not fit."""

    kind = "template"


class AuthError(GraphError):
    """The access token is invalid or expired (0, 190)."""

    kind = "auth"


class GraphPermissionError(GraphError):
    """The app, number or account may not do this (10, 200-299, 131005, registration...)."""

    kind = "permission"


class InvalidRequestError(GraphError):
    """The request itself is wrong (100, 131008, 131009, ...): fix it, do not retry."""

    kind = "invalid_request"


class PolicyError(GraphError):
    """Blocked for policy or quality reasons (368, 131048, 130497, ...)."""

    kind = "policy"


@dataclass(frozen=True, slots=True)
class _Rule:
    cls: type[GraphError]
    retry_after: float | None = None


_DAY = 24 * 3600.0

#: Meta code → error class and suggested delay. FACTS.md §3.2 plus a few pywa codes.
_CODES: dict[int, _Rule] = {
    0: _Rule(AuthError),
    1: _Rule(InvalidRequestError),  # 5xx responses with code 1 are treated as transient
    2: _Rule(TransientGraphError, 5.0),
    3: _Rule(GraphPermissionError),
    4: _Rule(RateLimitError, 5.0),
    10: _Rule(GraphPermissionError),
    33: _Rule(GraphPermissionError),
    100: _Rule(InvalidRequestError),
    190: _Rule(AuthError),
    368: _Rule(PolicyError),
    80007: _Rule(RateLimitError, 5.0),
    80008: _Rule(RateLimitError, 5.0),
    130429: _Rule(RateLimitError, 2.0),
    130472: _Rule(RecipientError),
    130497: _Rule(PolicyError),
    131000: _Rule(TransientGraphError, 1.0),
    131005: _Rule(GraphPermissionError),
    131008: _Rule(InvalidRequestError),
    131009: _Rule(InvalidRequestError),
    131016: _Rule(TransientGraphError, 2.0),
    131021: _Rule(RecipientError),
    131026: _Rule(RecipientError),
    131031: _Rule(PolicyError),
    131037: _Rule(GraphPermissionError),
    131042: _Rule(GraphPermissionError),
    131045: _Rule(GraphPermissionError),
    131047: _Rule(WindowClosedError),
    131048: _Rule(PolicyError),
    131049: _Rule(RecipientError, _DAY),
    131050: _Rule(RecipientError),
    131051: _Rule(InvalidRequestError),
    131052: _Rule(InvalidRequestError),
    131053: _Rule(InvalidRequestError),
    131056: _Rule(PairRateLimitError, 6.0),
    131057: _Rule(TransientGraphError, 60.0),
    131062: _Rule(RecipientError),
    131063: _Rule(GraphPermissionError),
    131064: _Rule(PolicyError),
    132000: _Rule(TemplateError),
    132001: _Rule(TemplateError),
    132005: _Rule(TemplateError),
    132007: _Rule(TemplateError),
    132012: _Rule(TemplateError),
    132015: _Rule(TemplateError),
    132016: _Rule(TemplateError),
    132068: _Rule(TemplateError),
    132069: _Rule(RateLimitError, 360.0),  # flow throttled: 10 messages per hour
    133000: _Rule(GraphPermissionError),
    133004: _Rule(TransientGraphError, 5.0),
    133005: _Rule(GraphPermissionError),
    133006: _Rule(GraphPermissionError),
    133008: _Rule(GraphPermissionError),
    133009: _Rule(GraphPermissionError),
    133010: _Rule(GraphPermissionError),
    133015: _Rule(TransientGraphError, 300.0),
    133016: _Rule(RateLimitError, 60.0),
    134011: _Rule(GraphPermissionError),
    135000: _Rule(InvalidRequestError),
}

#: Template-creation sub-errors (``error_subcode``, usually with code 100).
TEMPLATE_SUBCODES = frozenset({2388019, 2388040, 2388047, 2388072, 2388073, 2388293, 2388299})


def _rule_for(code: int, http_status: int | None, subcode: int | None) -> _Rule:
    if subcode in TEMPLATE_SUBCODES or code in TEMPLATE_SUBCODES:
        return _Rule(TemplateError)
    if code == 1 and http_status is not None and http_status >= 500:
        return _Rule(TransientGraphError, 1.0)
    rule = _CODES.get(code)
    if rule is not None:
        return rule
    if 200 <= code <= 299:
        return _Rule(GraphPermissionError)
    if http_status is None:
        return _Rule(GraphError)
    if http_status == 429:
        return _Rule(RateLimitError, 2.0)
    if http_status >= 500:
        return _Rule(TransientGraphError, 1.0)
    if http_status == 401:
        return _Rule(AuthError)
    if http_status == 403:
        return _Rule(GraphPermissionError)
    return _Rule(GraphError)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_str(value: Any) -> str | None:
    return None if value is None else str(value)


def error_from_info(
    code: int,
    title: str | None = None,
    message: str | None = None,
    details: str | None = None,
    *,
    http_status: int | None = None,
    fbtrace_id: str | None = None,
    error_type: str | None = None,
    subcode: int | None = None,
    transient: bool | None = None,
) -> GraphError:
    """Build the typed error for a Meta error code.

    Used for synchronous responses and for webhook errors (``statuses[].errors`` of a
    ``failed`` status carry ``code``, ``title``, ``message`` and ``error_data.details``).
    ``transient`` is Meta's ``is_transient`` flag; it only decides for unknown codes.
    """
    rule = _rule_for(code, http_status, subcode)
    cls = rule.cls
    retryable: bool | None = None
    if cls is GraphError and transient:
        retryable = True
    text = message or title or details or f"Graph API error {code}"
    return cls(
        code,
        text,
        http_status=http_status,
        details=details,
        fbtrace_id=fbtrace_id,
        error_type=error_type,
        subcode=subcode,
        retryable=retryable,
        retry_after=rule.retry_after,
    )


def error_from_response(status: int, payload: Mapping[str, Any] | None) -> GraphError:
    """Map a non-2xx Graph API response (its HTTP status and decoded JSON body) to an error.

    A body without Meta's ``error`` object gets ``code=NO_CODE`` and is classified by the HTTP
    status alone: 5xx transient and retryable, 429 rate limit, other 4xx not retryable.
    """
    err = payload.get("error") if isinstance(payload, Mapping) else None
    if not isinstance(err, Mapping):
        return error_from_info(
            NO_CODE, message=f"HTTP {status} without a Graph API error body", http_status=status
        )
    code = _as_int(err.get("code"))
    data = err.get("error_data")
    details = data.get("details") if isinstance(data, Mapping) else None
    transient = err.get("is_transient")
    return error_from_info(
        NO_CODE if code is None else code,
        title=_as_str(err.get("error_user_title")),
        message=_as_str(err.get("message")),
        details=_as_str(details),
        http_status=status,
        fbtrace_id=_as_str(err.get("fbtrace_id")),
        error_type=_as_str(err.get("type")),
        subcode=_as_int(err.get("error_subcode")),
        transient=bool(transient) if transient is not None else None,
    )


class GraphTransportError(Exception):
    """The request failed at the network level, without a Graph API answer.

    ``maybe_delivered`` is True when the request may have reached Meta (sent, then a timeout
    or a dropped connection), so resending could duplicate the message; False when it
    certainly did not (connection refused, DNS failure, failure before sending).
    """

    def __init__(self, message: str, *, maybe_delivered: bool) -> None:
        super().__init__(message)
        self.message = message
        self.maybe_delivered = maybe_delivered

    def __repr__(self) -> str:
        return f"GraphTransportError({self.message!r}, maybe_delivered={self.maybe_delivered})"


class UnsendableMessage(ValueError):
    """The channel cannot turn this message into a request (nothing was sent)."""
