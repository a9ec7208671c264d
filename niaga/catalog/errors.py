"""Catalog and order errors that carry a translatable message (English msgid + params)."""

from __future__ import annotations

from niaga.core.i18n import gettext


class DomainError(Exception):
    """A refusal a person can act on; ``code`` is stable for API clients."""

    status_code = 422

    def __init__(self, code: str, msgid: str, **params: object) -> None:
        self.code = code
        self.msgid = msgid
        self.params = params
        super().__init__(msgid.format(**params) if params else msgid)

    def message(self, locale: str) -> str:
        """The message in ``locale`` (``id`` or ``en``)."""
        return gettext(self.msgid, locale, **self.params)


class NotFoundError(DomainError):
    """Something asked for by id or SKU does not exist."""

    status_code = 404


class ConflictError(DomainError):
    """The request clashes with the current state (duplicate SKU, bad status move)."""

    status_code = 409
