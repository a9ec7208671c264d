"""Templates as a domain: review and quality webhooks, the list from Meta and our submissions
all move a template through one service, which keeps the history and answers "approved?".

Real database and the real webhook processing; the list and submission answers are the typed
listings the WhatsApp channel reports.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from niaga.channels.whatsapp.types import TemplateListing
from niaga.core import events
from niaga.core.db import transaction
from niaga.orders import templates as order_templates
from niaga.templates import service
from niaga.templates.models import MessageTemplate
from tests.factories import envelope
from tests.heard import heard
from tests.intake import drain, store

BODY = [{"type": "BODY", "text": "Halo {{nama}}, pesanan {{nomor}} sudah dikirim."}]


@pytest.fixture
def db(own_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    return own_factory


@pytest.fixture
def own_engine(module_engine: Any) -> Any:
    return module_engine


def review(event: str, reason: str = "NONE", template_id: int = 5550001) -> dict[str, Any]:
    value = {
        "event": event,
        "message_template_id": template_id,
        "message_template_name": "pesanan_dikirim",
        "message_template_language": "id",
        "reason": reason,
    }
    return envelope(value, field="message_template_status_update")


def quality(score: str, template_id: int = 5550001) -> dict[str, Any]:
    value = {
        "previous_quality_score": "UNKNOWN",
        "new_quality_score": score,
        "message_template_id": template_id,
        "message_template_name": "pesanan_dikirim",
        "message_template_language": "id",
    }
    return envelope(value, field="message_template_quality_update")


def submitted(db: sessionmaker[Session]) -> None:
    with transaction(db) as s:
        service.do_store_listed(
            s,
            [
                TemplateListing(
                    meta_id="5550001",
                    name="pesanan_dikirim",
                    language="id",
                    status="PENDING",
                    category="UTILITY",
                    parameter_format="NAMED",
                    components=BODY,
                )
            ],
            source="submit",
        )


def test_review_and_quality_move_the_template_and_keep_its_history(
    db: sessionmaker[Session],
) -> None:
    with heard(events.TEMPLATE_STATUS_CHANGED) as announced:
        submitted(db)
        store(db, review("APPROVED"))
        drain(db)
        with db() as s:
            assert order_templates.approved(s, "pesanan_dikirim")
        store(db, quality("RED"), review("PAUSED", reason="Kualitas rendah"))
        drain(db)
    with db() as s:
        template = s.scalars(select(MessageTemplate)).one()
        assert (template.status, template.quality, template.reason) == (
            "PAUSED",
            "RED",
            "Kualitas rendah",
        )
        assert not service.approved(s, "pesanan_dikirim", "id")
        steps = [
            (c.kind, c.old_value, c.new_value, c.source) for c in service.history(s, template.id)
        ]
    assert steps == [
        ("status", "PENDING", "APPROVED", "webhook"),
        ("quality", None, "RED", "webhook"),
        ("status", "APPROVED", "PAUSED", "webhook"),
    ]
    assert [e.data["status"] for e in announced] == ["APPROVED", "PAUSED"]


def test_the_list_from_meta_and_a_resubmission_do_not_undo_what_the_webhook_said(
    db: sessionmaker[Session],
) -> None:
    submitted(db)
    store(db, review("APPROVED"))
    drain(db)
    submitted(db)  # submitted again (e.g. a second click): Meta answers PENDING
    with db() as s:
        assert service.approved(s, "pesanan_dikirim", "id")
    with transaction(db) as s:  # the hourly list says what Meta holds now
        listed = TemplateListing(
            meta_id="5550001",
            name="pesanan_dikirim",
            language="id",
            status="REJECTED",
            category="UTILITY",
            parameter_format="NAMED",
            components=BODY,
        )
        assert service.do_store_listed(s, [listed]) == 1
    with db() as s:
        template = s.scalars(select(MessageTemplate)).one()
        assert template.status == "REJECTED"
        assert service.history(s, template.id)[-1].source == "sync"


def test_a_review_for_a_template_niaga_never_saw_creates_it(db: sessionmaker[Session]) -> None:
    store(db, review("APPROVED", template_id=777))
    drain(db)
    with db() as s:
        template = s.scalars(select(MessageTemplate)).one()
        assert (template.meta_id, template.name, template.status) == (
            "777",
            "pesanan_dikirim",
            "APPROVED",
        )


def test_the_composer_gets_approved_templates_with_their_parameters(
    db: sessionmaker[Session],
) -> None:
    submitted(db)
    with db() as s:
        assert service.composer_templates(s) == []
    store(db, review("APPROVED"))
    drain(db)
    with db() as s:
        (fields,) = service.composer_templates(s)
    assert fields["named"] and fields["body_params"] == ["nama", "nomor"]
