"""The conversation list's filters on the real database: views, status, labels, paging.

The label filter takes few labelled conversations by id and walks the newest conversations
when many carry the label (``LABEL_CAP = 0`` forces the walk); both must agree.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from niaga.contacts.models import Contact, Label
from niaga.core import clock
from niaga.inbox import inbox_queries
from niaga.inbox.inbox_queries import InboxFilter, conversation_list
from niaga.inbox.models import Conversation, ConversationLabel
from niaga.security.models import Team, TeamMember, User
from niaga.security.users import do_create_user


@pytest.fixture(params=["by id", "walk"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "walk":
        monkeypatch.setattr(inbox_queries, "LABEL_CAP", 0)
    return request.param


@pytest.fixture
def shop(factory: Any) -> dict[str, Any]:
    """Twelve conversations, one a minute: statuses, assignees, a team and a label vary."""
    with factory() as s, s.begin():
        me = do_create_user(
            s, email="me@toko.test", name="Me", password="rahasia-sekali-123", role="agent"
        )
        other = do_create_user(
            s, email="other@toko.test", name="Other", password="rahasia-sekali-123", role="agent"
        )
        team = Team(name="Penjualan")
        label = Label(name="VIP")
        s.add_all([team, label])
        s.flush()
        s.add(TeamMember(team_id=team.id, user_id=me.id))
        start = clock.now() - timedelta(hours=1)
        ids = []
        for i in range(12):
            contact = Contact(phone=f"+62812000000{i:02d}", wa_id=f"62812000000{i:02d}")
            s.add(contact)
            s.flush()
            conv = Conversation(
                contact_id=contact.id,
                phone_number_id="106540352242922",
                status=("open", "pending", "resolved")[i % 3],
                assigned_user_id=(me.id, other.id, None)[i % 3 if i % 2 else 2],
                team_id=team.id if i % 4 == 0 else None,
                last_message_at=start + timedelta(minutes=i),
            )
            s.add(conv)
            s.flush()
            if i % 2 == 0:
                s.add(ConversationLabel(conversation_id=conv.id, label_id=label.id))
            ids.append(conv.id)
        s.flush()
        return {"me": me.id, "label": label.id, "team": team.id, "ids": ids}


def _list(s: Session, user_id: int, **flt: Any) -> list[int]:
    user = s.get(User, user_id)
    assert user is not None
    return [r.conversation.id for r in conversation_list(s, InboxFilter(**flt), user)]


def _expected(s: Session, keep: Any) -> list[int]:
    rows = [c for c in s.query(Conversation).all() if keep(c)]
    rows.sort(key=lambda c: (c.last_message_at, c.id), reverse=True)
    return [c.id for c in rows]


def test_views_statuses_and_labels(factory: Any, shop: dict[str, Any], way: str) -> None:
    me, label, team = shop["me"], shop["label"], shop["team"]
    labelled = set(shop["ids"][::2])
    with factory() as s:
        for status in ("open", "pending", "resolved", None):
            for view in ("all", "mine", "unassigned", "team"):
                for label_id in (None, label):

                    def keep(c: Conversation, status=status, view=view, label_id=label_id) -> bool:
                        return (
                            (status is None or c.status == status)
                            and (view != "mine" or c.assigned_user_id == me)
                            and (view != "unassigned" or c.assigned_user_id is None)
                            and (view != "team" or c.team_id == team)
                            and (label_id is None or c.id in labelled)
                        )

                    got = _list(s, me, status=status, view=view, label_id=label_id)
                    assert got == _expected(s, keep), (status, view, label_id)


def test_pages_follow_the_cursor(factory: Any, shop: dict[str, Any], way: str) -> None:
    with factory() as s:
        first = _list(s, shop["me"], status=None, label_id=shop["label"])
        user = s.get(User, shop["me"])
        assert user is not None
        rows = conversation_list(s, InboxFilter(status=None, label_id=shop["label"]), user, limit=2)
        cursor = (rows[-1].conversation.last_message_at, rows[-1].conversation.id)
        rest = _list(s, shop["me"], status=None, label_id=shop["label"], before=cursor)
        assert [r.conversation.id for r in rows] + rest == first
        assert len(first) == 6
