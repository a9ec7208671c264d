"""One family of errors a person can act on, mapped to a response once (``niaga.web.errors``).

Domain code raises a :class:`DomainError` with a stable ``code`` (for API clients), an English
message id with ``{placeholders}`` (translated when shown), optionally the ``field`` it is
about and ``extra`` data for the client. Routes never catch them: ``/api/v1`` answers with an
RFC 9457 problem document, pages with the form again and the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from niaga.core.i18n import gettext


class DomainError(Exception):
    """A refusal a person can act on; ``code`` is stable for API clients."""

    status_code = 422

    def __init__(
        self,
        code: str,
        msgid: str,
        *,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
        **params: object,
    ) -> None:
        self.code = code
        self.msgid = msgid
        self.field = field
        self.extra = extra or {}
        self.params = params
        super().__init__(msgid.format(**params) if params else msgid)

    def message(self, locale: str) -> str:
        """The message in ``locale`` (``id`` or ``en``)."""
        return gettext(self.msgid, locale, **self.params)


class NotFoundError(DomainError):
    """Something asked for by id or key does not exist."""

    status_code = 404


class ConflictError(DomainError):
    """The request clashes with the current state (duplicate, closed window, bad move)."""

    status_code = 409


class PermissionDeniedError(DomainError):
    """The actor may not do this."""

    status_code = 403


class UpstreamError(DomainError):
    """A service Niaga depends on (Meta's Graph API) did not give what was needed."""

    status_code = 502


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception behind it (``__cause__``, else ``__context__``), once each."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
