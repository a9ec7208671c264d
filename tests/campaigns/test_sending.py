"""Campaigns: an approved template to an audience through the live server and the sandbox
(each consenting customer once, every other one skipped with the reason, the funnel), and the
sender's guarantees on a database of its own (bounded hand-over, an opt-out mid-campaign,
quiet hours, exactly once across a failure and concurrent rounds)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.campaigns import pricing, sender
from niaga.campaigns import service as campaigns
from niaga.campaigns.models import Campaign, CampaignRecipient
from niaga.campaigns.personalise import ParameterValue
from niaga.campaigns.segments import SegmentRule
from niaga.contacts import consent
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox import service as inbox
from niaga.inbox.models import Message
from niaga.outbox.models import OutboxMessage
from niaga.templates.models import MessageTemplate
from tests.catalog.helpers import api, token
from tests.conftest import LiveServer, make_settings, wait_for
from tests.sandbox_client import SandboxControl

WIB = ZoneInfo("Asia/Jakarta")

BODY = "Hai {{nama}}! Dapatkan diskon 20% untuk {{produk}} minggu ini."
PARAMS = {
    "nama": {"source": "first_name", "fallback": "Kak"},
    "produk": {"source": "attribute", "key": "produk", "if_missing": "skip"},
}


def approved_template(niaga: LiveServer, admin: dict[str, str]) -> int:
    draft = {
        "name": "promo_pekan_ini",
        "language": "id",
        "category": "MARKETING",
        "body": BODY,
        "footer": "Balas BERHENTI untuk berhenti menerima promo",
        "samples": {"nama": "Siti", "produk": "gamis"},
    }
    template = api(niaga, "POST", "/templates", admin, json=draft).json()
    assert api(niaga, "POST", f"/templates/{template['id']}/submit", admin).status_code == 200
    wait_for(
        lambda: (
            api(niaga, "GET", f"/templates/{template['id']}", admin).json()["status"] == "APPROVED"
        ),
        timeout=15,
    )
    return int(template["id"])


def audience(factory: Any) -> dict[str, int]:
    """Customers in Jakarta: four who agreed, and one each who opted out, never agreed, lack
    the product attribute, or already had this week's two promotions."""
    ids: dict[str, int] = {}
    with transaction(factory) as s:

        def customer(key: str, n: int, *, agreed: bool | None, **attrs: str) -> Contact:
            c = Contact(
                phone=f"+628123999{n:04d}",
                wa_id=f"628123999{n:04d}",
                display_name=f"{key.title()} Pelanggan",
                attributes={"kota": "Jakarta", **attrs},
            )
            s.add(c)
            s.flush()
            if agreed is not None:
                consent.do_record(s, c, granted=agreed, source="import", proof="daftar")
            ids[key] = c.id
            return c

        for n, key in enumerate(("ani", "bayu", "citra", "dodi")):
            customer(key, n + 1, agreed=True, produk="gamis navy")
        customer("eko", 5, agreed=False, produk="gamis")
        customer("fani", 6, agreed=None, produk="gamis")
        customer("gita", 7, agreed=True)
        customer("hadi", 8, agreed=True, produk="gamis")
    return ids


def test_a_campaign_reaches_each_consenting_customer_once_and_reports_its_funnel(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    template_id = approved_template(niaga, admin)
    ids = audience(factory)
    rule = {"conditions": [{"field": "attribute", "key": "kota", "value": "Jakarta"}]}
    # Hadi already had two promotions this week (the default cap).
    with transaction(factory) as s:
        for days in (1, 3):
            earlier = Campaign(
                name=f"{days} hari lalu",
                template_id=template_id,
                params={},
                rule={},
                phone_number_id="106540352242922",
                status="completed",
                audience_built=True,
            )
            s.add(earlier)
            s.flush()
            s.add(
                CampaignRecipient(
                    campaign_id=earlier.id,
                    contact_id=ids["hadi"],
                    state="sent",
                    sent_at=clock.now() - timedelta(days=days),
                )
            )

    r = api(
        niaga,
        "POST",
        "/campaigns",
        admin,
        json={
            "name": "Diskon pekan ini",
            "template_id": template_id,
            "rule": rule,
            "params": PARAMS,
        },
    )
    assert r.status_code == 201, r.text
    campaign = r.json()
    assert campaign["status"] == "draft"
    assert api(niaga, "POST", f"/campaigns/{campaign['id']}/schedule", admin, json={}).json()[
        "status"
    ] in ("scheduled", "running")

    def finished() -> dict[str, Any] | None:
        got = api(niaga, "GET", f"/campaigns/{campaign['id']}", admin).json()
        done = got["status"] == "completed" and got["report"]["read"] == 4
        return got if done else None

    got = wait_for(finished, timeout=30)
    report = got["report"]
    assert (report["recipients"], report["sent"], report["queued"]) == (8, 4, 0)
    assert report["skipped"] == {
        "opted_out": 1,
        "no_consent": 1,
        "missing_value": 1,
        "frequency_cap": 1,
    }
    assert report["open_rate"] == 100.0
    accepted = SandboxControl(niaga.url).messages(type="template")
    keys = Counter(m["biz_opaque_callback_data"] for m in accepted)
    expected = {f"camp{campaign['id']}-c{ids[k]}" for k in ("ani", "bayu", "citra", "dodi")}
    assert {k for k in keys if k.startswith(f"camp{campaign['id']}-")} == expected
    assert all(keys[k] == 1 for k in expected)
    body = next(m for m in accepted if m["biz_opaque_callback_data"] in expected)["body"]
    params = body["template"]["components"][0]["parameters"]
    assert {p["parameter_name"]: p["text"] for p in params}["produk"] == "gamis navy"
    # Ani orders from the catalog after the promotion: a conversion, with its revenue.
    sb = SandboxControl(niaga.url)
    sb.customer("6281239990001", "Ani")
    sb.send("6281239990001", type="order", items=[{"sku": "GMS", "quantity": 1, "price": 150000}])
    got = wait_for(
        lambda: (
            (g := api(niaga, "GET", f"/campaigns/{campaign['id']}", admin).json())["report"][
                "orders"
            ]
            and g
        )
    )
    assert (got["report"]["revenue"], got["report"]["conversion_rate"]) == (150_000, 25.0)
    retarget = api(
        niaga,
        "POST",
        f"/campaigns/{campaign['id']}/retarget",
        admin,
        json={"outcome": "read_no_reply"},
    )
    assert retarget.status_code == 201 and retarget.json()["count"] == 3  # Ani replied (ordered)
    # A finished campaign cannot be scheduled again, nor paused.
    assert api(niaga, "POST", f"/campaigns/{campaign['id']}/pause", admin).status_code == 409


def test_only_an_approved_template_with_every_parameter_can_make_a_campaign(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    with transaction(factory) as s:
        pending = MessageTemplate(
            name="belum", language="id", status="PENDING", category="MARKETING", components=[]
        )
        s.add(pending)
    with factory() as s:
        pending_id = s.scalars(select(MessageTemplate.id)).one()
    rule = {"conditions": []}
    r = api(
        niaga,
        "POST",
        "/campaigns",
        admin,
        json={"name": "x", "template_id": pending_id, "rule": rule},
    )
    assert r.status_code == 422 and r.json()["field"] == "template_id"
    template_id = approved_template(niaga, admin)
    r = api(
        niaga,
        "POST",
        "/campaigns",
        admin,
        json={
            "name": "x",
            "template_id": template_id,
            "rule": rule,
            "params": {"nama": {"source": "name"}},
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "params.produk"
    assert (
        api(
            niaga,
            "POST",
            "/campaigns",
            token(factory, "analyst"),
            json={"name": "x", "template_id": template_id, "rule": rule},
        ).status_code
        == 403
    )


# ---------------------------------------------------------------------- the sender alone


@pytest.fixture
def shop(own_factory: sessionmaker[Session]) -> tuple[sessionmaker[Session], int, list[int]]:
    """An approved utility-free marketing template, 30 consenting customers, a campaign."""
    with transaction(own_factory) as s:
        template = MessageTemplate(
            name="promo",
            language="id",
            status="APPROVED",
            category="MARKETING",
            parameter_format="NAMED",
            components=[{"type": "BODY", "text": "Hai {{nama}}, promo minggu ini!"}],
        )
        s.add(template)
        ids = []
        for n in range(30):
            c = Contact(phone=f"+628123888{n:04d}", wa_id=f"628123888{n:04d}", display_name=f"P{n}")
            s.add(c)
            s.flush()
            consent.do_record(s, c, granted=True, source="import", proof="daftar")
            ids.append(c.id)
        campaign = campaigns.do_create(
            s,
            name="Promo",
            template_id=template.id,
            params={"nama": ParameterValue(source="name")},
            phone_number_id="106540352242922",
            rule=SegmentRule(),
        )
        campaigns.do_schedule(s, campaign, None)
        campaign_id = campaign.id
    return own_factory, campaign_id, ids


def slow(**kw: Any) -> Any:
    """Five messages a second, two seconds of them in the outbox: ten per hand-over."""
    values: dict[str, Any] = {"wa_messages_per_second": 5, "campaign_window_seconds": 2}
    return make_settings("sqlite://", 1, **{**values, **kw})


def delivered(factory: Any) -> None:
    """What the dispatcher would do: the outbox hands everything waiting to Meta."""
    with transaction(factory) as s:
        s.execute(update(Message).where(Message.status == "pending").values(status="sent"))


def recipients(factory: Any, campaign_id: int) -> dict[int, tuple[str, str | None]]:
    with factory() as s:
        rows = s.execute(
            select(
                CampaignRecipient.contact_id, CampaignRecipient.state, CampaignRecipient.reason
            ).where(CampaignRecipient.campaign_id == campaign_id)
        )
        return {c: (state, reason) for c, state, reason in rows}


def test_hand_over_is_bounded_so_an_opt_out_mid_campaign_is_honoured(shop: Any) -> None:
    factory, campaign_id, ids = shop
    settings = slow()
    sender.tick(factory, settings)  # starts and builds the audience
    assert sender.tick(factory, settings) == 10
    assert sender.tick(factory, settings) == 0  # ten still waiting in the outbox: no more
    with transaction(factory) as s:  # the 20th customer writes STOP meanwhile
        consent.do_record(
            s, s.get_one(Contact, ids[19]), granted=False, source="chat", proof="STOP"
        )
    while True:
        delivered(factory)
        if not sender.tick(factory, settings):
            delivered(factory)
            if not sender.tick(factory, settings):
                break
    states = recipients(factory, campaign_id)
    assert states[ids[19]] == ("skipped", "opted_out")
    assert Counter(state for state, _ in states.values()) == {"sent": 29, "skipped": 1}
    with factory() as s:
        assert s.get_one(Campaign, campaign_id).status == "completed"
        keys = s.scalars(select(OutboxMessage.idempotency_key)).all()
    assert len(keys) == len(set(keys)) == 29


def test_nothing_is_sent_in_quiet_hours(shop: Any) -> None:
    factory, campaign_id, _ = shop
    settings = slow(campaign_quiet_hours="21:00-08:00")
    # Tonight (or tomorrow night, past it) at 22.00 in Jakarta: always ahead of the campaign,
    # which the shop made now.
    local = clock.now().astimezone(WIB)
    night = datetime.combine(local.date(), time(22), WIB)
    if night <= local:
        night += timedelta(days=1)
    morning = datetime.combine(night.date() + timedelta(days=1), time(8), WIB)
    assert sender.quiet_now(settings, night) == morning.astimezone(UTC)
    assert sender.quiet_now(settings, night - timedelta(hours=12)) is None  # 10.00
    clock.advance(night - clock.now())
    try:
        sender.tick(factory, settings)
        assert sender.tick(factory, settings) == 0
        with factory() as s:
            assert (s.get_one(Campaign, campaign_id).note or "").startswith("quiet_hours_until")
    finally:
        clock.reset()


def test_a_failure_mid_hand_over_sends_nobody_twice(
    shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory, campaign_id, _ = shop
    settings = slow(wa_messages_per_second=100)
    sender.tick(factory, settings)
    real = sender.inbox.do_send_messages

    def crash(*args: Any, **kw: Any) -> Any:
        real(*args, **kw)
        raise RuntimeError("worker killed after queueing, before commit")

    monkeypatch.setattr(sender.inbox, "do_send_messages", crash)
    with pytest.raises(RuntimeError):
        sender.tick(factory, settings)
    monkeypatch.undo()
    assert Counter(s for s, _ in recipients(factory, campaign_id).values()) == {"queued": 30}
    while sender.tick(factory, settings):
        delivered(factory)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 30
        assert s.scalar(select(func.count(func.distinct(Message.contact_id)))) == 30


def test_concurrent_rounds_share_the_work_and_send_each_customer_once(shop: Any) -> None:
    factory, campaign_id, ids = shop
    settings = slow(wa_messages_per_second=100)
    sender.tick(factory, settings)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                sender.tick(factory, settings)
                delivered(factory)
        except BaseException as exc:  # a lost race is allowed; a duplicate is not
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    while sender.tick(factory, settings):
        delivered(factory)
    states = recipients(factory, campaign_id)
    assert Counter(s for s, _ in states.values()) == {"sent": 30}
    with factory() as s:
        keys = s.scalars(select(OutboxMessage.idempotency_key)).all()
    assert sorted(keys) == sorted(f"camp{campaign_id}-c{i}" for i in ids)


def test_the_cost_is_estimated_before_and_counted_after(shop: Any) -> None:
    factory, campaign_id, ids = shop
    settings = slow(wa_messaging_limit=10, wa_messages_per_second=100)
    with transaction(factory) as s:  # one customer opted out meanwhile
        consent.do_record(s, s.get_one(Contact, ids[0]), granted=False, source="chat", proof="STOP")
    with factory() as s:
        plan = sender.plan(s, s.get_one(Campaign, campaign_id), settings)
    assert (plan["audience"], plan["will_send"], plan["skipped"]) == (30, 29, {"opted_out": 1})
    assert plan["held_by_messaging_limit"] == 19
    (line,) = plan["estimate"]["lines"]
    assert (line["country_code"], line["category"], line["messages"]) == ("62", "marketing", 29)
    assert plan["estimate"]["total_usd"] == round(29 * 0.0411, 4)
    assert plan["estimate"]["total_idr"] == round(29 * 0.0411 * settings.pricing_usd_idr)
    with transaction(factory) as s:
        pricing.do_replace_rates(
            s, [{"country_code": "62", "category": "marketing", "currency": "IDR", "rate": 600}]
        )
    with factory() as s:
        plan = sender.plan(s, s.get_one(Campaign, campaign_id), settings)
    assert plan["estimate"]["total_idr"] == 29 * 600

    sender.tick(factory, settings)  # starts and builds the audience
    while sender.tick(factory, settings):
        delivered(factory)
    billable = {"billable": True, "pricing_model": "PMP", "category": "marketing"}
    with transaction(factory) as s:
        s.execute(update(Message).values(pricing=billable))
    with factory() as s:
        actual = pricing.actual(s, s.get_one(Campaign, campaign_id), settings)
    assert actual["lines"][0]["messages"] == 10  # the limit held the rest back
    assert actual["total_idr"] == 10 * 600


def test_a_customer_in_a_free_entry_point_costs_nothing_in_the_estimate(shop: Any) -> None:
    """Wrote from a Click-to-WhatsApp ad, answered within 24 hours: the next 72 hours are free
    (FACTS.md §3.4). Not answered in time, or the 72 hours over: charged as usual."""
    factory, campaign_id, ids = shop
    settings = slow(wa_messages_per_second=100)
    now = clock.now()
    ad = {"source_kind": "ad", "source_ref": "120226305854810726"}

    def entry(contact_id: int, wrote: timedelta, answered: timedelta | None) -> None:
        with transaction(factory) as s:
            contact = s.get_one(Contact, contact_id)
            conversation = inbox.do_get_or_create_conversation(s, contact, "106540352242922")
            s.add(
                Message(
                    conversation_id=conversation.id,
                    contact_id=contact_id,
                    direction="in",
                    wamid=f"wamid.AD{contact_id}",
                    type="text",
                    text="Halo, saya lihat iklannya",
                    referral=ad,
                    status="received",
                    created_at=now - wrote,
                )
            )
            if answered is not None:
                s.add(
                    Message(
                        conversation_id=conversation.id,
                        contact_id=contact_id,
                        direction="out",
                        type="text",
                        text="Halo kak!",
                        status="read",
                        created_at=now - wrote + answered,
                    )
                )

    entry(ids[0], timedelta(hours=30), timedelta(hours=2))  # free until 70 h after the ad
    entry(ids[1], timedelta(hours=2), timedelta(minutes=5))  # free
    entry(ids[2], timedelta(hours=40), timedelta(hours=25))  # answered too late: charged
    entry(ids[3], timedelta(hours=80), timedelta(hours=1))  # 72 hours over: charged
    entry(ids[4], timedelta(hours=3), None)  # not answered yet: charged
    with factory() as s:
        plan = sender.plan(s, s.get_one(Campaign, campaign_id), settings)
        assert pricing.free_entry_open(s, ids, now) == {ids[0], ids[1]}
    assert (plan["will_send"], plan["free_entry_point"]) == (30, 2)
    (line,) = plan["estimate"]["lines"]
    assert line["messages"] == 28
    assert plan["estimate"]["total_usd"] == round(28 * 0.0411, 4)


def test_the_rate_card_and_the_cost_preview_through_the_api(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    shipped = api(niaga, "GET", "/pricing/rates", token(factory, "analyst")).json()
    assert {(r["country_code"], r["category"]) for r in shipped} >= {("62", "marketing")}
    assert all("estimate" in (r["source"] or "") for r in shipped)
    card = [
        {
            "country_code": "62",
            "category": "marketing",
            "currency": "IDR",
            "rate": 586.5,
            "source": "Meta rate card 2026-10",
        }
    ]
    assert (
        api(niaga, "PUT", "/pricing/rates", token(factory, "analyst"), json=card).status_code == 403
    )
    assert api(niaga, "PUT", "/pricing/rates", admin, json=card).json()[0]["rate"] == 586.5
    bad = [{**card[0], "category": "gratis"}]
    assert api(niaga, "PUT", "/pricing/rates", admin, json=bad).status_code == 422
    template_id = approved_template(niaga, admin)
    audience(factory)
    rule = {"conditions": [{"field": "attribute", "key": "kota", "value": "Jakarta"}]}
    campaign = api(
        niaga,
        "POST",
        "/campaigns",
        admin,
        json={"name": "Cek biaya", "template_id": template_id, "rule": rule, "params": PARAMS},
    ).json()
    plan = api(niaga, "GET", f"/campaigns/{campaign['id']}/cost", admin).json()
    assert plan["will_send"] == 5 and plan["estimate"]["total_idr"] == round(5 * 586.5)
    assert plan["skipped"] == {"opted_out": 1, "no_consent": 1, "missing_value": 1}


def test_each_recipient_gets_a_tracked_link_counted_when_clicked(
    niaga: LiveServer, factory: Any
) -> None:
    import httpx

    admin = token(factory, "admin")
    draft = {
        "name": "promo_dengan_tautan",
        "language": "id",
        "body": BODY,
        "footer": "Balas BERHENTI untuk berhenti menerima promo",
        "buttons": [
            {
                "kind": "url",
                "text": "Lihat promo",
                "url": f"{niaga.url}/l/{{{{1}}}}",
                "sample": f"{niaga.url}/l/contoh",
            }
        ],
        "samples": {"nama": "Siti", "produk": "gamis"},
    }
    template = api(niaga, "POST", "/templates", admin, json=draft).json()
    assert api(niaga, "POST", f"/templates/{template['id']}/submit", admin).status_code == 200
    wait_for(
        lambda: (
            api(niaga, "GET", f"/templates/{template['id']}", admin).json()["status"] == "APPROVED"
        ),
        timeout=15,
    )
    ids = audience(factory)
    rule = {
        "conditions": [
            {"field": "attribute", "key": "produk", "value": "gamis navy"},
        ]
    }
    body = {
        "name": "Promo Akhir Tahun",
        "template_id": template["id"],
        "rule": rule,
        "params": PARAMS,
    }
    missing = api(niaga, "POST", "/campaigns", admin, json=body)
    assert missing.status_code == 422 and missing.json()["field"] == "link_url"
    campaign = api(
        niaga,
        "POST",
        "/campaigns",
        admin,
        json={**body, "link_url": "https://toko.example/promo?ref=wa"},
    ).json()
    api(niaga, "POST", f"/campaigns/{campaign['id']}/schedule", admin, json={})
    wait_for(
        lambda: (
            api(niaga, "GET", f"/campaigns/{campaign['id']}", admin).json()["status"] == "completed"
        ),
        timeout=30,
    )
    sent = [
        m
        for m in SandboxControl(niaga.url).messages(type="template")
        if m["biz_opaque_callback_data"] == f"camp{campaign['id']}-c{ids['ani']}"
    ]
    button = sent[0]["body"]["template"]["components"][-1]
    assert button["sub_type"] == "url"
    code = button["parameters"][0]["text"]
    for _ in range(2):
        r = httpx.get(f"{niaga.url}/l/{code}", follow_redirects=False, timeout=10)
        assert r.status_code == 302
    location = r.headers["location"]
    assert location.startswith("https://toko.example/promo?ref=wa&utm_source=whatsapp")
    assert f"utm_campaign=promo-akhir-tahun-{campaign['id']}" in location
    report = api(niaga, "GET", f"/campaigns/{campaign['id']}", admin).json()["report"]
    assert (report["clicked"], report["sent"], report["click_through_rate"]) == (1, 4, 25.0)
    assert httpx.get(f"{niaga.url}/l/tidakada123", timeout=10).status_code == 404


def test_metas_refusals_131049_once_more_after_a_day_131050_never(shop: Any) -> None:
    factory, campaign_id, ids = shop
    settings = slow(wa_messages_per_second=100)
    with transaction(factory) as s:
        s.get_one(Campaign, campaign_id).retry_limited = True
    sender.tick(factory, settings)
    while sender.tick(factory, settings):
        delivered(factory)
    limited, stopped = ids[3], ids[4]
    with transaction(factory) as s:
        for contact_id, code in ((limited, 131049), (stopped, 131050)):
            s.execute(
                update(Message)
                .where(Message.contact_id == contact_id)
                .values(status="failed", error_code=code)
            )
    sender.tick(factory, settings)
    states = recipients(factory, campaign_id)
    assert states[limited] == ("sent", "limited_by_meta")
    assert states[stopped] == ("sent", "meta_opted_out")
    with factory() as s:
        assert consent.state(s, stopped).granted is False
        assert consent.history(s, stopped)[-1].source == "whatsapp"
    assert sender.tick(factory, settings) == 0  # not within 24 hours
    clock.advance(timedelta(hours=25))
    try:
        sender.tick(factory, settings)  # queued once more
        assert recipients(factory, campaign_id)[limited] == ("queued", None)
        assert sender.tick(factory, settings) == 1
        clock.advance(timedelta(hours=25))
        delivered(factory)
        sender.tick(factory, settings)
    finally:
        clock.reset()
    with factory() as s:
        keys = set(s.scalars(select(OutboxMessage.idempotency_key)))
        assert f"camp{campaign_id}-c{limited}-a1" in keys
        assert not any(k.startswith(f"camp{campaign_id}-c{stopped}-a") for k in keys)
        assert s.get_one(Campaign, campaign_id).status == "completed"


def test_the_messaging_limit_is_read_from_whatsapp(niaga: LiveServer, factory: Any) -> None:
    """The sandbox reports a tier like Meta; the hourly job stores it and campaigns obey it."""
    import asyncio

    from niaga.campaigns.models import MessagingLimit
    from niaga.core.jobs.registry import JobContext

    SandboxControl(niaga.url).configure(messaging_limit_tier="TIER_250")
    ctx = JobContext(
        settings=niaga.app.state.settings,
        factory=factory,
        read_factory=factory,
        worker_id="test",
        channel_factory=lambda: _channel(niaga),
    )
    asyncio.run(_run(ctx))
    with factory() as s:
        row = s.get_one(MessagingLimit, niaga.app.state.settings.wa_phone_number_id)
        assert (row.tier, row.limit) == ("TIER_250", 250)
        assert sender.messaging_limit(s, row.phone_number_id, niaga.app.state.settings) == 250


def _channel(niaga: LiveServer) -> Any:
    from niaga.channels.whatsapp.channel import make_channel

    return make_channel(niaga.app.state.settings)


async def _run(ctx: Any) -> None:
    from niaga.campaigns.jobs import _read_limit

    try:
        await _read_limit(ctx)
    finally:
        await ctx.close()
