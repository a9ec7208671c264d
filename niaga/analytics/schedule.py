"""Where the weekly and monthly reports go, as the owner sees it on the dashboard and through
the API: email recipients, WhatsApp numbers and the template's review state, the GA4 feed,
and the latest deliveries with their state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from niaga.analytics import delivery, ga4, whatsapp_report
from niaga.analytics.models import ReportDelivery
from niaga.core.config import Settings
from niaga.templates import service as templates


def overview(session: Session, settings: Settings) -> dict[str, Any]:
    """The scheduled reports as the owner sees them: where they go, whether the WhatsApp
    template is approved, the latest deliveries, and the GA4 feed."""
    template = templates.find(session, whatsapp_report.NAME, whatsapp_report.language(settings))
    d = ReportDelivery
    latest = session.scalars(select(d).order_by(d.id.desc()).limit(20)).all()
    return {
        "email": {
            "on": bool(settings.smtp_host),
            "to": [a for a, _ in delivery.recipients(session, settings)],
        },
        "whatsapp": {
            "to": whatsapp_report.numbers(settings),
            "template": whatsapp_report.NAME,
            "language": whatsapp_report.language(settings),
            "status": template.status if template else None,  # None: never submitted
            "reason": template.reason if template else None,
        },
        "ga4": ga4.status(session, settings),
        "weekly": settings.report_weekly,
        "monthly": settings.report_monthly,
        "hour": settings.report_hour,
        "deliveries": [
            {
                "kind": r.kind,
                "period_first": r.period_first.isoformat(),
                "channel": r.channel,
                "recipient": r.recipient,
                "state": r.state,
                "attempts": r.attempts,
                "error": r.error,
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            }
            for r in latest
        ],
    }
