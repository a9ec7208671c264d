"""Logging for every Niaga process: plain text for a person at a terminal, or one JSON object
per line (``NIAGA_LOG_FORMAT=json``) for a log collector, each line carrying the request id
of the web request it belongs to (``X-Request-ID``, given by a proxy or made here)."""

from __future__ import annotations

import logging
import uuid
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("niaga_request_id", default="")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``request_id``; ``request_tag`` for text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = request_id.get()
        record.request_id = rid
        record.request_tag = f" [{rid}]" if rid else ""
        return True


def new_request_id(given: str | None) -> str:
    """The proxy's id when it is a sane token, else a new one."""
    if given and 8 <= len(given) <= 128 and all(c.isalnum() or c in "-_.:" for c in given):
        return given
    return uuid.uuid4().hex


def configure(level: str = "info", fmt: str = "text", process: str = "niaga") -> None:
    """Set up the root logger (and uvicorn's) for this process."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        from pythonjsonlogger.core import RESERVED_ATTRS
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"levelname": "level", "name": "logger"},
                static_fields={"process": process},
                reserved_attrs=[*RESERVED_ATTRS, "request_tag", "color_message"],
                timestamp="time",  # ISO 8601, UTC
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
