"""The utility templates order notifications use outside the 24-hour window.

Each is a NAMED-parameter template in Indonesian. :func:`template_requests` gives the
definitions to submit; Meta (or the sandbox) reviews them and the templates domain records what
it reports (:mod:`niaga.templates`). Until one is approved, notifications outside the window
are recorded as impossible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from niaga.templates import service as templates

LANGUAGE = "id"


@dataclass(frozen=True)
class OrderTemplate:
    """A template: its name, body text and the parameters it names."""

    name: str
    body: str
    params: tuple[str, ...]
    example: dict[str, str]


_EXAMPLE = {
    "nama": "Siti",
    "nomor": "#10001",
    "total": "Rp150.000",
    "kurir": "JNE REG",
    "lacak": "https://jne.co.id/lacak/JNE123",
}

BY_STATUS: dict[str, OrderTemplate] = {
    "dikonfirmasi": OrderTemplate(
        "pesanan_dikonfirmasi",
        "Halo {{nama}}, pesanan {{nomor}} sudah kami konfirmasi dengan total {{total}}. "
        "Kami segera memprosesnya, terima kasih!",
        ("nama", "nomor", "total"),
        _EXAMPLE,
    ),
    "dibayar": OrderTemplate(
        "pembayaran_diterima",
        "Halo {{nama}}, pembayaran pesanan {{nomor}} sebesar {{total}} sudah kami terima. "
        "Pesanan segera kami kirim, terima kasih!",
        ("nama", "nomor", "total"),
        _EXAMPLE,
    ),
    "dikirim": OrderTemplate(
        "pesanan_dikirim",
        "Halo {{nama}}, pesanan {{nomor}} sudah dikirim lewat {{kurir}}. "
        "Lacak paket Anda di {{lacak}} kapan saja. Terima kasih sudah berbelanja!",
        ("nama", "nomor", "kurir", "lacak"),
        _EXAMPLE,
    ),
    "selesai": OrderTemplate(
        "pesanan_selesai",
        "Halo {{nama}}, pesanan {{nomor}} sudah selesai. "
        "Terima kasih sudah berbelanja, kami tunggu pesanan berikutnya!",
        ("nama", "nomor"),
        _EXAMPLE,
    ),
}


def template_requests() -> list[dict[str, Any]]:
    """Creation bodies for every order template (UTILITY, named parameters, with samples)."""
    return [
        {
            "name": t.name,
            "language": LANGUAGE,
            "category": "UTILITY",
            "parameter_format": "NAMED",
            "components": [
                {
                    "type": "BODY",
                    "text": t.body,
                    "example": {
                        "body_text_named_params": [
                            {"param_name": p, "example": t.example[p]} for p in t.params
                        ]
                    },
                }
            ],
        }
        for t in BY_STATUS.values()
    ]


def approved(session: Session, name: str, language: str = LANGUAGE) -> bool:
    """True when Meta reported ``name`` APPROVED (and nothing has paused it since)."""
    return templates.approved(session, name, language)


def missing(session: Session) -> list[dict[str, Any]]:
    """Template requests Niaga has not yet submitted (unknown to the templates domain)."""
    known = templates.known_names(session, LANGUAGE)
    return [r for r in template_requests() if r["name"] not in known]
