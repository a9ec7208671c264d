"""A/B tests: the statistics against a known result, recipients split by share (the same split
on every run), each variant sent with its own template, and the verdict in the report."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from niaga.campaigns import segments, sender, variants
from niaga.campaigns import service as campaigns
from niaga.campaigns.abtest import Arm, compare, needed_per_arm, z_test
from niaga.campaigns.models import CampaignRecipient, CampaignVariant
from niaga.campaigns.personalise import ParameterValue
from niaga.campaigns.segments import SegmentRule
from niaga.campaigns.service import CampaignInvalid, VariantSpec
from niaga.contacts import consent
from niaga.contacts.models import Contact
from niaga.core import clock
from niaga.core.db import transaction
from niaga.inbox.models import Message
from niaga.outbox.models import OutboxMessage
from niaga.templates.models import MessageTemplate
from tests.conftest import make_settings


def test_the_two_proportion_test_matches_the_textbook() -> None:
    # 250/1000 against 200/1000: pooled p = 0.225, z = 2.6774, two-sided p = 0.00742.
    z, p = z_test(Arm("B", 250, 1000), Arm("A", 200, 1000))
    assert math.isclose(z, 2.6774, abs_tol=1e-4)
    assert math.isclose(p, 0.00742, abs_tol=1e-5)
    assert compare([Arm("A", 200, 1000), Arm("B", 250, 1000)]).text() == (
        "variant B wins (p = 0.0074)"
    )
    # The same rates on a tenth of the data are not enough yet: the usual sample size formula
    # (80 % power, 5 % two-sided) asks about 1,091 per variant.
    assert needed_per_arm(0.25, 0.20) == 1091
    small = compare([Arm("A", 20, 100), Arm("B", 25, 100)])
    assert not small.significant and small.more_needed == 991
    assert small.text().startswith("not significant yet (p = 0.4)")
    assert compare([Arm("A", 0, 0)]).text() == "not enough data yet"


@pytest.fixture
def ab_shop(own_factory: sessionmaker[Session]) -> tuple[Any, int, dict[str, int]]:
    with transaction(own_factory) as s:
        short = MessageTemplate(
            name="promo_pendek",
            language="id",
            status="APPROVED",
            category="MARKETING",
            parameter_format="NAMED",
            components=[{"type": "BODY", "text": "Hai {{nama}}, diskon 20% hari ini!"}],
        )
        long = MessageTemplate(
            name="promo_panjang",
            language="id",
            status="APPROVED",
            category="MARKETING",
            parameter_format="NAMED",
            components=[{"type": "BODY", "text": "Halo {{nama}}, koleksi baru dan diskon 20%."}],
        )
        s.add_all([short, long])
        s.flush()
        for n in range(400):
            c = Contact(
                phone=f"+628123666{n:04d}", wa_id=f"628123666{n:04d}", display_name=f"Pelanggan {n}"
            )
            s.add(c)
            s.flush()
            consent.do_record(s, c, granted=True, source="import", proof="daftar")
        params = {"nama": ParameterValue(source="first_name")}
        campaign = campaigns.do_create(
            s,
            name="Uji pesan",
            template_id=short.id,
            params=params,
            phone_number_id="106540352242922",
            rule=SegmentRule(),
            variants=[
                VariantSpec(label="A", template_id=short.id, params=params, share=1),
                VariantSpec(label="B", template_id=long.id, params=params, share=3),
            ],
        )
        campaigns.do_schedule(s, campaign, None)
        ids = {"campaign": campaign.id, "short": short.id, "long": long.id}
    return own_factory, campaign.id, ids


def test_recipients_are_split_by_share_and_get_their_variants_template(ab_shop: Any) -> None:
    factory, campaign_id, _ = ab_shop
    settings = make_settings("sqlite://", 1, wa_messages_per_second=1000)
    while sender.tick(factory, settings) or _queued(factory, campaign_id):
        pass
    with factory() as s:
        labels = dict(s.execute(select(CampaignVariant.id, CampaignVariant.label)).all())
        split = Counter(
            labels[v]
            for v in s.scalars(
                select(CampaignRecipient.variant_id).where(
                    CampaignRecipient.campaign_id == campaign_id
                )
            )
        )
        assert split["A"] + split["B"] == 400
        assert 70 <= split["A"] <= 130  # one share in four: 100 expected
        # Each recipient's message names their variant's template.
        rows = s.execute(
            select(CampaignRecipient.variant_id, OutboxMessage.message).join(
                OutboxMessage, OutboxMessage.message_id == CampaignRecipient.message_id
            )
        ).all()
        assert {(labels[v], m["name"]) for v, m in rows} == {
            ("A", "promo_pendek"),
            ("B", "promo_panjang"),
        }
        # The split is the same on every run (a hash of campaign and customer).
        arms = variants.variants_of(s, campaign_id)
        again = Counter(
            labels[variants.assign(arms, campaign_id, c)]  # type: ignore[index]
            for c in s.scalars(select(CampaignRecipient.contact_id))
        )
        assert again == split


def test_the_report_names_the_winner_on_the_chosen_metric(ab_shop: Any) -> None:
    factory, campaign_id, _ = ab_shop
    settings = make_settings("sqlite://", 1, wa_messages_per_second=1000)
    while sender.tick(factory, settings) or _queued(factory, campaign_id):
        pass
    with transaction(factory) as s:  # customers read B's message far more often
        labels = dict(s.execute(select(CampaignVariant.id, CampaignVariant.label)).all())
        for n, (variant_id, message_id) in enumerate(
            s.execute(select(CampaignRecipient.variant_id, CampaignRecipient.message_id))
        ):
            read = (n % 2 == 0) if labels[variant_id] == "B" else (n % 5 == 0)
            s.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(status="read" if read else "delivered")
            )
    with factory() as s:
        ab = campaigns.ab_report(s, s.get_one(campaigns.Campaign, campaign_id))
    assert ab is not None and ab["metric"] == "read" and ab["leader"] == "B"
    assert ab["significant"] and ab["p_value"] < 0.001
    assert ab["verdict"].startswith("variant B wins (p = ")
    assert [v["label"] for v in ab["variants"]] == ["A", "B"]
    # One click to the next audience: who did not read, who read but did not reply.
    read = sum(v["read"] for v in ab["variants"])
    with transaction(factory) as s:
        campaign = s.get_one(campaigns.Campaign, campaign_id)
        unread = campaigns.do_retarget(s, campaign, "not_read")
        quiet = campaigns.do_retarget(s, campaign, "read_no_reply")
        assert unread.name == "Uji pesan: belum dibaca"
        assert segments.count(s, SegmentRule.model_validate(unread.rule)) == 400 - read
        assert segments.count(s, SegmentRule.model_validate(quiet.rule)) == read


def test_an_ab_test_needs_two_variants(own_factory: Any) -> None:
    with transaction(own_factory) as s:
        t = MessageTemplate(
            name="x",
            language="id",
            status="APPROVED",
            category="MARKETING",
            components=[{"type": "BODY", "text": "Halo semua"}],
        )
        s.add(t)
        s.flush()
        with pytest.raises(CampaignInvalid) as refused:
            campaigns.do_create(
                s,
                name="x",
                template_id=t.id,
                params={},
                phone_number_id="1",
                rule=SegmentRule(),
                variants=[VariantSpec(label="A", template_id=t.id)],
            )
    assert refused.value.field == "variants"


def _queued(factory: Any, campaign_id: int) -> bool:
    with factory() as s, s.begin():
        s.execute(update(Message).where(Message.status == "pending").values(status="sent"))
        return (
            bool(
                s.scalars(
                    select(CampaignRecipient.id).where(
                        CampaignRecipient.campaign_id == campaign_id,
                        CampaignRecipient.state == "queued",
                    )
                ).first()
            )
            or s.get_one(campaigns.Campaign, campaign_id).status != "completed"
        )


def test_a_test_share_first_then_the_winner_to_the_rest(own_factory: Any) -> None:
    with transaction(own_factory) as s:
        a = MessageTemplate(
            name="a",
            language="id",
            status="APPROVED",
            category="MARKETING",
            parameter_format="NAMED",
            components=[{"type": "BODY", "text": "Halo semua, promo A"}],
        )
        b = MessageTemplate(
            name="b",
            language="id",
            status="APPROVED",
            category="MARKETING",
            parameter_format="NAMED",
            components=[{"type": "BODY", "text": "Halo semua, promo B"}],
        )
        s.add_all([a, b])
        s.flush()
        for n in range(200):
            c = Contact(phone=f"+628123555{n:04d}", wa_id=f"628123555{n:04d}")
            s.add(c)
            s.flush()
            consent.do_record(s, c, granted=True, source="import", proof="daftar")
        campaign = campaigns.do_create(
            s,
            name="Uji dulu",
            template_id=a.id,
            params={},
            phone_number_id="1",
            rule=SegmentRule(),
            test_share=20,
            winner_after_hours=2,
            variants=[
                VariantSpec(label="A", template_id=a.id),
                VariantSpec(label="B", template_id=b.id),
            ],
        )
        campaigns.do_schedule(s, campaign, None)
        campaign_id = campaign.id
    settings = make_settings("sqlite://", 1, wa_messages_per_second=1000)
    for _ in range(5):  # the test share goes; the rest stays held
        sender.tick(own_factory, settings)
        _queued(own_factory, campaign_id)
    with own_factory() as s:
        c = s.get_one(campaigns.Campaign, campaign_id)
        report = campaigns.report(s, c)
        assert c.status == "running"  # the rest waits for the winner
        assert 20 <= report["sent"] <= 60 and report["sent"] + report["held"] == 200
    with transaction(own_factory) as s:  # B's readers answer far better
        labels = dict(s.execute(select(CampaignVariant.id, CampaignVariant.label)).all())
        for variant_id, message_id in s.execute(
            select(CampaignRecipient.variant_id, CampaignRecipient.message_id).where(
                CampaignRecipient.message_id.is_not(None)
            )
        ):
            s.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(status="read" if labels[variant_id] == "B" else "delivered")
            )

    clock.advance(timedelta(hours=3))
    try:
        while sender.tick(own_factory, settings) or _queued(own_factory, campaign_id):
            pass
    finally:
        clock.reset()
    with own_factory() as s:
        c = s.get_one(campaigns.Campaign, campaign_id)
        assert (c.status, c.winner_label) == ("completed", "B")
        rest = s.scalars(
            select(CampaignVariant.label).join(
                CampaignRecipient, CampaignRecipient.variant_id == CampaignVariant.id
            )
        ).all()
        assert rest.count("B") > 150 and len(rest) == 200
