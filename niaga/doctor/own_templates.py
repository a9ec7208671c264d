"""The templates Niaga itself needs, in one place: what each is for, where the feature that
uses it is set up, its review state, and one call that submits every one Meta does not know.

Order news and the order confirmation (:mod:`niaga.orders.templates`), the satisfaction survey
(:mod:`niaga.automation.csat`), points earned (:mod:`niaga.loyalty.announce`) and the
performance report by WhatsApp (:mod:`niaga.analytics.whatsapp_report`, submitted with an
example PDF, only when report numbers are set). Meta's answers arrive by webhook and move
each template's state.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from niaga.analytics import whatsapp_report
from niaga.automation import csat
from niaga.channels.template_definition import TemplateDefinition
from niaga.core.config import Settings
from niaga.loyalty import announce as loyalty_announce
from niaga.orders import templates as order_templates
from niaga.templates import authoring, sync
from niaga.templates import service as templates


@dataclass(frozen=True)
class OwnTemplate:
    """A template a feature of Niaga sends outside the 24-hour window."""

    name: str
    language: str
    purpose: str  # msgid
    settings_url: str


def needed(settings: Settings) -> list[OwnTemplate]:
    """Every template Niaga's features use, with where each feature is set up."""
    out = [
        OwnTemplate(
            spec.name,
            order_templates.LANGUAGE,
            "Order confirmation for a cart the shop reaches after 24 hours"
            if status == "baru"
            else "Order news outside the 24-hour window",
            "/settings/shop#orders" if status == "baru" else "/orders",
        )
        for status, spec in order_templates.BY_STATUS.items()
    ]
    out.append(
        OwnTemplate(
            csat.DEFAULT_TEMPLATE.name,
            csat.DEFAULT_TEMPLATE.language,
            "Satisfaction survey after a chat is resolved outside the 24-hour window",
            "/settings/rules",
        )
    )
    out.append(
        OwnTemplate(
            loyalty_announce.TEMPLATE,
            loyalty_announce.LANGUAGE,
            "Points earned, told outside the 24-hour window",
            "/loyalty",
        )
    )
    out.append(
        OwnTemplate(
            loyalty_announce.REWARD_TEMPLATE,
            loyalty_announce.LANGUAGE,
            "A new reward, announced to customers with enough points",
            "/loyalty#rewards",
        )
    )
    out.append(
        OwnTemplate(
            whatsapp_report.NAME,
            whatsapp_report.language(settings),
            "The weekly and monthly report by WhatsApp (NIAGA_REPORT_WHATSAPP)",
            "/analytics#reports",
        )
    )
    return out


def states(session: Session, settings: Settings) -> list[tuple[OwnTemplate, str]]:
    """Each needed template with Meta's state: APPROVED, PENDING, PAUSED … or NOT_SUBMITTED."""
    out = []
    for own in needed(settings):
        row = templates.find(session, own.name, own.language)
        status = row.status if row is not None and row.status != "DRAFT" else "NOT_SUBMITTED"
        out.append((own, status))
    return out


def _definitions(settings: Settings) -> list[TemplateDefinition]:
    return [
        *order_templates.definitions(),
        csat.template_definition(),
        loyalty_announce.template_definition(),
        loyalty_announce.reward_template_definition(),
    ]


async def submit_missing(settings: Settings, factory: sessionmaker[Session]) -> list[str]:
    """Learn what Meta already holds, then submit every needed template it does not know;
    the names submitted. A refusal raises (its reason named), keeping what went before."""
    from niaga.channels.whatsapp.channel import make_channel

    async with make_channel(settings) as channel:
        await sync.sync(channel, factory, settings.wa_business_account_id)
    with factory() as session:
        known = {
            (own.name, own.language)
            for own, status in states(session, settings)
            if status != "NOT_SUBMITTED"
        }
    wanted = [d for d in _definitions(settings) if (d.name, d.language) not in known]
    submitted: list[str] = []
    if wanted:
        result = await sync.submit_with(settings, wanted)
        with factory() as session:
            for definition, listing in result.accepted:
                authoring.do_record_submitted(session, definition, listing)
            session.commit()
        submitted += [d.name for d, _ in result.accepted]
        sync.raise_if_refused(result)
    report_key = (whatsapp_report.NAME, whatsapp_report.language(settings))
    if whatsapp_report.numbers(settings) and report_key not in known:
        result = await whatsapp_report.submit(settings)
        with factory() as session:
            whatsapp_report.record(session, result)
            session.commit()
        submitted.append(whatsapp_report.NAME)
    return submitted
