"""The utility templates order notifications use outside the 24-hour window.

Each is a NAMED-parameter template in Indonesian. :func:`template_requests` gives the bodies
to submit to ``POST /{waba-id}/message_templates``; Meta (or the sandbox) reviews them and
reports APPROVED through the ``message_template_status_update`` webhook, which Niaga records
in :class:`~niaga.channels.whatsapp.models.MessageTemplate`. Until then, notifications outside
the window are recorded as impossible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.channels.whatsapp.models import MessageTemplate

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
    status = session.scalars(
        select(MessageTemplate.status).where(
            MessageTemplate.name == name, MessageTemplate.language == language
        )
    ).first()
    return status == "APPROVED"


def missing(session: Session) -> list[dict[str, Any]]:
    """Template requests Niaga has not yet submitted (no row in message_templates)."""
    known = set(
        session.scalars(
            select(MessageTemplate.name).where(MessageTemplate.language == LANGUAGE)
        ).all()
    )
    return [r for r in template_requests() if r["name"] not in known]


def do_record_submitted(
    session: Session, request: dict[str, Any], response: dict[str, Any]
) -> None:
    """Remember a submitted template (PENDING) so its review webhook finds the row."""
    row = session.scalars(
        select(MessageTemplate).where(
            MessageTemplate.name == request["name"], MessageTemplate.language == LANGUAGE
        )
    ).first()
    if row is None:
        row = MessageTemplate(name=request["name"], language=LANGUAGE)
        session.add(row)
    row.meta_id = str(response.get("id") or "") or row.meta_id
    if row.status != "APPROVED":
        row.status = str(response.get("status") or "PENDING")
    row.category = "UTILITY"
    row.parameter_format = "NAMED"
    row.components = request["components"]
    session.flush()
