"""The utility templates order notifications use outside the 24-hour window.

Each is a NAMED-parameter template in Indonesian. :func:`definitions` gives them as written,
to submit; Meta (or the sandbox) reviews them and the templates domain records what
it reports (:mod:`niaga.templates`). Until one is approved, notifications outside the window
are recorded as impossible.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from niaga.channels.template_definition import TemplateDefinition
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
    "baru": OrderTemplate(
        "pesanan_diterima",
        "Halo {{nama}}, pesanan {{nomor}} dengan total {{total}} sudah kami terima. "
        "Kami segera mengonfirmasinya, terima kasih!",
        ("nama", "nomor", "total"),
        _EXAMPLE,
    ),
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


def definitions() -> list[TemplateDefinition]:
    """Every order template as written (UTILITY, named parameters, with samples)."""
    return [
        TemplateDefinition(
            name=t.name,
            language=LANGUAGE,
            category="UTILITY",
            parameter_format="NAMED",
            body=t.body,
            samples={p: t.example[p] for p in t.params},
        )
        for t in BY_STATUS.values()
    ]


def approved(session: Session, name: str, language: str = LANGUAGE) -> bool:
    """True when Meta reported ``name`` APPROVED (and nothing has paused it since)."""
    return templates.approved(session, name, language)


def missing(session: Session) -> list[TemplateDefinition]:
    """Order templates WhatsApp does not know yet (never submitted)."""
    known = templates.known_names(session, LANGUAGE)
    return [d for d in definitions() if d.name not in known]
