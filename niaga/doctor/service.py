"""Running the checks with what a process has: its settings and database engine."""

from __future__ import annotations

from sqlalchemy import Engine

from niaga.channels.whatsapp import intake_db
from niaga.channels.whatsapp.channel import make_channel
from niaga.core.config import Settings
from niaga.core.db import make_sessionmaker
from niaga.doctor import checks
from niaga.doctor.findings import Finding, ordered


async def run(settings: Settings, engine: Engine) -> list[Finding]:
    """Every finding, problems first."""
    factory = make_sessionmaker(engine, read_only=True)
    intake = intake_db.intake_factory(settings, engine)
    async with make_channel(settings) as channel:
        found = await checks.diagnose(settings, engine, factory, channel, intake)
    return ordered(found)


async def subscribe(settings: Settings) -> None:
    """Subscribe the app to the business account's webhooks (Meta's ``subscribed_apps``)."""
    async with make_channel(settings) as channel:
        await channel.subscribe_app(settings.wa_business_account_id)
