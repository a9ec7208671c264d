"""The weekly and monthly reports sent by WhatsApp: a utility template with the PDF as its
document header and the headline figures in its text, to the numbers in ``report_whatsapp``.

The template (:data:`NAME`, in the business's language) is Niaga's own: the owner submits it
from the analytics page and Meta reviews it; until it is approved nothing is sent and the page
says so. For each number and report, the delivery is claimed (as for email), the PDF is
uploaded to WhatsApp and the template is queued in the outbox under a key made of the report
and the number, so a crash at any point sends it at most once: the claim is simply taken again
and the outbox recognises the key. The message shows in the inbox as a chat with that number,
with WhatsApp's verdict (delivered, read, or failed with Meta's code).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.analytics import delivery, printable
from niaga.analytics.models import ReportDelivery
from niaga.channels.template_definition import TemplateDefinition
from niaga.channels.whatsapp.outgoing import TemplateMediaHeader, TemplateMessage
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.config import Settings
from niaga.core.db import transaction
from niaga.core.phone import InvalidPhoneError, to_e164, wa_id_from_e164
from niaga.inbox import service as inbox
from niaga.templates import authoring, samples
from niaga.templates import service as templates
from niaga.templates import sync as template_sync
from niaga.templates.sync import Submission

log = logging.getLogger(__name__)

NAME = "laporan_kinerja_niaga"
CHANNEL = "whatsapp"
# The body's parameters: who, which report, the headline figures on one line.
BODY = {
    "id": "Halo {{nama}}, berikut {{laporan}} untuk {{toko}}: {{ringkasan}}. "
    "Laporan lengkap dengan grafik ada di PDF terlampir.",
    "en": "Hi {{nama}}, here is the {{laporan}} of {{toko}}: {{ringkasan}}. "
    "The full report with its charts is in the attached PDF.",
}
SAMPLES = {
    "id": {
        "nama": "Bu Sari",
        "laporan": "laporan mingguan 30 Nov–6 Des 2026",
        "toko": "Toko Sari",
        "ringkasan": "terkirim 1.250, dibaca 81,0%, pesanan 42, pendapatan Rp6.300.000",
    },
    "en": {
        "nama": "Sari",
        "laporan": "weekly report 30 Nov–6 Dec 2026",
        "toko": "Toko Sari",
        "ringkasan": "sent 1,250, read 81.0%, orders 42, revenue Rp6,300,000",
    },
}
OWNER = {"id": "Bapak/Ibu", "en": "there"}  # when the number's contact has no name
SUMMARY = ("sent", "open_rate", "orders", "revenue")
MAX_SUMMARY = 300  # a body parameter stays short (Meta refuses long and multi-line ones)


def language(settings: Settings) -> str:
    return settings.locale if settings.locale in BODY else "id"


def numbers(settings: Settings) -> list[str]:
    """The E.164 numbers the reports go to (``report_whatsapp``); a wrong one is skipped and
    logged, not fatal."""
    out = []
    for raw in settings.report_whatsapp.split(","):
        if not raw.strip():
            continue
        try:
            out.append(to_e164(raw))
        except InvalidPhoneError:
            log.warning("report_whatsapp: %r is not a phone number; skipped", raw)
    return list(dict.fromkeys(out))


def definition(settings: Settings, header_sample: str) -> TemplateDefinition:
    """The template as submitted, with ``header_sample`` (a stored example PDF) as its
    document header's example."""
    lang = language(settings)
    return TemplateDefinition(
        name=NAME,
        language=lang,
        category="UTILITY",
        parameter_format="NAMED",
        header="document",
        header_sample=header_sample,
        body=BODY[lang],
        samples=SAMPLES[lang],
    )


def sample_pdf(settings: Settings) -> bytes:
    """An example report for Meta's review: the page's layout with no figures."""
    page = printable.example_html(language(settings), settings.business_name)
    return printable.pdf(page)


async def submit(settings: Settings) -> Submission:
    """Submit the template for Meta's review with an example PDF (stored like any header
    example). The caller records what Meta accepted (:func:`record`)."""
    stored = samples.do_store(
        await asyncio.to_thread(sample_pdf, settings), "document", settings.data_dir
    )
    return await template_sync.submit_with(settings, [definition(settings, stored.key)])


def record(session: Session, result: Submission) -> None:
    """Keep what Meta accepted of :func:`submit` (its review status follows by webhook)."""
    template_sync.raise_if_refused(result)
    for submitted, listing in result.accepted:
        authoring.do_record_submitted(session, submitted, listing)


async def send_due(factory: sessionmaker[Session], settings: Settings, channel: Any) -> int:
    """Send every due report by WhatsApp; how many were queued."""
    people = numbers(settings)
    if not people:
        return 0
    with factory() as s:
        if not templates.approved(s, NAME, language(settings)):
            return 0
    now = clock.now()
    _retake_stale(factory, now)
    queued = 0
    for item in delivery.due(settings, now):
        pdf: bytes | None = None
        text: str | None = None
        for phone in people:
            if not delivery.claim(factory, item, phone, now, channel=CHANNEL):
                continue
            try:
                if pdf is None:
                    pdf, text = await asyncio.to_thread(_pdf_and_summary, factory, item, settings)
                media_id = await channel.upload_media(
                    settings.wa_phone_number_id, pdf, "application/pdf", _filename(item)
                )
                with transaction(factory) as s:
                    _queue(s, settings, item, phone, media_id, text or "")
            except Exception as exc:
                log.warning(
                    "report %s %s to %s failed: %s", item.kind, item.period.first, phone, exc
                )
                delivery.finish(factory, item, phone, f"{type(exc).__name__}: {exc}"[:500], CHANNEL)
                continue
            delivery.finish(factory, item, phone, channel=CHANNEL)
            queued += 1
    return queued


def _pdf_and_summary(
    factory: sessionmaker[Session], item: delivery.Due, settings: Settings
) -> tuple[bytes, str]:
    locale = language(settings)
    data, _, pdf = delivery.render(factory, item, settings, locale)
    return pdf, one_line_summary(data, locale)


def one_line_summary(data: dict[str, Any], locale: str) -> str:
    """ "Terkirim: 1.250 · Tingkat dibaca: 81.0% · …": one line, short."""
    parts = [
        f"{f['name']}: {delivery.shown(f, locale)}" for f in data["figures"] if f["key"] in SUMMARY
    ]
    return " · ".join(parts)[:MAX_SUMMARY]


def _filename(item: delivery.Due) -> str:
    return f"niaga-{item.kind}-{item.period.first.isoformat()}.pdf"


def _queue(
    session: Session,
    settings: Settings,
    item: delivery.Due,
    phone: str,
    media_id: str,
    summary: str,
) -> None:
    """The template to ``phone`` in its chat, once per report and number (the outbox's key)."""
    lang = language(settings)
    wa_id = wa_id_from_e164(phone)
    contact = session.scalars(
        select(Contact).where(or_(Contact.wa_id == wa_id, Contact.phone == phone))
    ).first()
    if contact is None:
        contact = Contact(phone=phone, wa_id=wa_id)
        session.add(contact)
        session.flush()
    chat = inbox.do_get_or_create_conversation(session, contact, settings.wa_phone_number_id)
    label = f"{printable.title(item.kind, lang).lower()} {item.period.label()}"
    values = {
        "nama": contact.display_name or contact.profile_name or OWNER[lang],
        "laporan": label,
        "toko": settings.business_name,
        "ringkasan": summary or "-",
    }
    inbox.do_send_message(
        session,
        chat,
        TemplateMessage(
            name=NAME,
            language=lang,
            header=TemplateMediaHeader(
                type="document", media_id=media_id, filename=_filename(item)
            ),
            body_params=values,
        ),
        origin="automation",
        idempotency_key=f"report:{item.kind}:{item.period.first.isoformat()}:{phone}",
    )


def _retake_stale(factory: sessionmaker[Session], now: datetime) -> None:
    """A claim a crash left behind is taken again: the outbox's key keeps the message single."""
    d = ReportDelivery
    with transaction(factory) as s:
        s.execute(
            update(d)
            .where(
                d.channel == CHANNEL,
                d.state == "sending",
                d.claimed_at < now - delivery.IN_DOUBT_AFTER,
            )
            .values(state="failed", next_try_at=now, error="retaken after a crash")
        )
