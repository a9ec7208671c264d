"""Host names as requests and settings write them: one parser for every check that needs it."""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_of(header: str) -> str:
    """``[::1]:8000`` → ``::1``; ``Toko.ID:443`` → ``toko.id``; ``toko.id.`` → ``toko.id``."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    if value.count(":") == 1:
        value = value.rsplit(":", 1)[0]
    return value.rstrip(".")


def host_names(setting: str) -> frozenset[str]:
    """``"erp.toko.lan, 10.0.0.5"`` (a comma-separated setting) → its lower-case names."""
    return frozenset(h.strip().lower().rstrip(".") for h in setting.split(",") if h.strip())


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` (a client's IP, possibly with an IPv6 zone) is this machine."""
    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
