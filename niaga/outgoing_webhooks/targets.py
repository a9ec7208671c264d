"""Which addresses an outgoing webhook may reach: public ones only (no SSRF).

A rule's URL is written by a person, but what its name resolves to can change at any time, so
the check happens when connecting: every address the name resolves to must be global
(not loopback, private, link-local such as 169.254.169.254, carrier-grade NAT, multicast or
reserved), and the connection goes to the checked address, never to a second lookup. Redirects
are not followed. An owner can allow an internal system by its host name
(``NIAGA_WEBHOOK_ALLOW_HOSTS``), e.g. ``erp.toko.lan``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver
from aiohttp.resolver import ThreadedResolver

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class RefusedTarget(Exception):
    """The URL points at an address Niaga does not call."""


def is_public(address: str) -> bool:
    """Whether ``address`` (an IP literal) is a public, unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if mapped is not None:
            return is_public(str(mapped))
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def check_url(url: str, allowed: frozenset[str]) -> str:
    """The host of ``url`` after the checks that need no lookup; raises :class:`RefusedTarget`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedTarget("only http and https URLs are called")
    if parts.username or parts.password:
        raise RefusedTarget("credentials in the URL are not allowed")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise RefusedTarget("the URL has no host")
    if host in allowed:
        return host
    if host in LOCAL_NAMES or host.endswith((".localhost", ".local", ".internal")):
        raise RefusedTarget(f"{host} is an internal name")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        if all(re.fullmatch(r"0x[0-9a-f]*|[0-9]+", label) for label in host.split(".")):
            # 2130706433, 0x7f.1, 127.1: numbers that some resolvers read as 127.0.0.1
            raise RefusedTarget(f"{host} is not a canonical address") from None
        return host
    if not is_public(str(literal)):
        raise RefusedTarget(f"{host} is not a public address")
    return host


class GuardedResolver(AbstractResolver):
    """Resolves like the system, then refuses unless every address is public (or allowed)."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[Any]:
        found = await self._inner.resolve(host, port, family)
        if host.lower().rstrip(".") in self.allowed:
            return found
        bad = [r["host"] for r in found if not is_public(r["host"])]
        if bad or not found:
            raise RefusedTarget(f"{host} resolves to an internal address ({', '.join(bad)})")
        return found

    async def close(self) -> None:
        await self._inner.close()
