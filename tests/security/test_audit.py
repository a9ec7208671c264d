"""The audit log: sealed into a hash chain at commit, refused changes, tampering named by
``niaga audit verify``, and an entry for each security and data event when it happens."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from niaga.campaigns import service as campaigns
from niaga.campaigns.models import Campaign
from niaga.core import clock
from niaga.core.db import transaction
from niaga.security import audit
from niaga.security.models import AuditEntry, User
from niaga.templates.models import MessageTemplate
from tests.catalog.helpers import api, token
from tests.conftest import LiveServer
from tests.test_cli import niaga as run_cli
from tests.web.web_helpers import csrf, login, make_user

ALICE = audit.AuditActor(label="Alice", via="web", user_id=None, ip="10.0.0.1")


def kinds(factory: Any, *, after: int = 0) -> list[str]:
    with factory() as s:
        return list(
            s.scalars(select(AuditEntry.kind).where(AuditEntry.id > after).order_by(AuditEntry.id))
        )


def last_id(factory: Any) -> int:
    with factory() as s:
        return s.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc())).first() or 0


def write_entries(factory: Any, n: int) -> None:
    for i in range(n):
        with transaction(factory) as s:
            audit.act_as(s, ALICE)
            audit.record(s, "settings.changed", target=("settings", "profile"), details={"i": i})


def tamper(factory: Any, sql: str) -> None:
    """Change the log as someone with database access would: past the triggers."""
    with transaction(factory) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            s.execute(text(sql))
            s.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
        else:
            triggers = s.execute(
                text(
                    "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'audit_log' "
                    "AND type = 'trigger'"
                )
            ).all()
            for name, _ in triggers:
                s.execute(text(f"DROP TRIGGER {name}"))
            s.execute(text(sql))
            for _, ddl in triggers:
                s.execute(text(ddl))


def verdict(factory: Any) -> audit.Verdict:
    with factory() as s:
        return audit.verify(s)


def test_entries_are_sealed_in_order_at_commit_and_verify(niaga: LiveServer, factory: Any) -> None:
    write_entries(factory, 3)
    with factory() as s:
        rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "" and rows[1].prev_hash == rows[0].hash
    assert rows[0].actor == "Alice" and rows[0].ip == "10.0.0.1" and rows[0].via == "web"
    result = verdict(factory)
    assert result.intact and result.checked == 3 and result.head_seq == 3
    # A rolled-back change leaves no entry; a rolled-back savepoint drops only its own.
    with pytest.raises(RuntimeError), transaction(factory) as s:
        audit.record(s, "settings.changed")
        raise RuntimeError("batal")
    with transaction(factory) as s:
        audit.record(s, "rule.created", target=("rule", 1))
        try:
            with s.begin_nested():
                audit.record(s, "rule.deleted", target=("rule", 1))
                s.flush()
                raise RuntimeError("batal")
        except RuntimeError:
            pass
    assert kinds(factory) == ["settings.changed"] * 3 + ["rule.created"]
    assert verdict(factory).intact


def test_sealed_entries_cannot_be_changed_or_deleted(niaga: LiveServer, factory: Any) -> None:
    write_entries(factory, 2)
    for sql in ("UPDATE audit_log SET actor = 'Mallory'", "DELETE FROM audit_log WHERE seq = 1"):
        with pytest.raises(DatabaseError, match="append-only"), transaction(factory) as s:
            s.execute(text(sql))
    assert verdict(factory).intact


def test_verify_names_an_edited_a_deleted_and_a_cut_off_entry(
    niaga: LiveServer, factory: Any, database_url: str
) -> None:
    write_entries(factory, 6)
    ok = run_cli(database_url, "audit", "verify")
    assert ok.returncode == 0 and "intact: 6 entries" in ok.stderr, ok.stderr

    tamper(factory, "UPDATE audit_log SET details = '{\"i\": 99}' WHERE seq = 2")
    result = verdict(factory)
    assert result.problems == ["entry #2 was changed after it was written"]
    bad = run_cli(database_url, "audit", "verify")
    assert bad.returncode == 1 and "entry #2 was changed" in bad.stderr

    tamper(factory, "DELETE FROM audit_log WHERE seq = 4")
    assert "entries #4–#4 are missing (deleted)" in verdict(factory).problems
    tamper(factory, "DELETE FROM audit_log WHERE seq = 6")
    assert "entries #6–#6 are missing (deleted)" in verdict(factory).problems

    # Someone rewriting an entry's hash without the key breaks the link to the next one.
    tamper(factory, "UPDATE audit_log SET hash = '00000000' WHERE seq = 1")
    problems = verdict(factory).problems
    assert "entry #1 was changed after it was written" in problems
    assert "entry #2 does not follow the entry before it" in problems


def test_a_chain_read_with_another_secret_key_is_not_trusted(
    niaga: LiveServer, factory: Any
) -> None:
    write_entries(factory, 1)
    with factory() as s:
        result = audit.verify(s, secret_key="kunci-lain-sama-sekali")
    assert not result.intact and "sealed with another key" in result.problems[0]


def test_concurrent_writers_seal_one_unbroken_chain(niaga: LiveServer, factory: Any) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(5):
                with transaction(factory) as s:
                    s.execute(select(User.id)).all()
                    audit.record(s, "settings.changed", details={"writer": n, "i": i})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    result = verdict(factory)
    assert result.intact and result.checked == 40 and result.head_seq == 40


# ------------------------------------------------------------------ an entry per event


def test_sign_in_failure_lock_and_sign_out_are_logged(niaga: LiveServer, factory: Any) -> None:
    uid = make_user(factory, "agent")
    client = httpx.Client(base_url=niaga.url, headers={"Accept": "text/html"}, timeout=30)
    page = client.get("/login").text
    import re

    csrf_login = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    wrong = {"email": "agent@toko.test", "password": "salah-tebak-123", "csrf_token": csrf_login}
    for _ in range(6):
        client.post("/login", data=wrong)
    clock.advance(timedelta(hours=2))
    signed_in = login(niaga.url, "agent@toko.test")
    signed_in.post("/logout", data={"csrf_token": csrf(signed_in)})
    with factory() as s:
        rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    by_kind = [r.kind for r in rows if r.kind.startswith("auth.")]
    assert by_kind == ["auth.sign_in_failed"] * 6 + ["auth.sign_in", "auth.sign_out"]
    failed = [r for r in rows if r.kind == "auth.sign_in_failed"]
    assert [f.details["reason"] for f in failed] == ["password"] * 5 + ["locked"]
    assert failed[4].details["failures"] == 5 and failed[0].ip == "127.0.0.1"
    sign_in = next(r for r in rows if r.kind == "auth.sign_in")
    assert sign_in.actor_user_id == uid and sign_in.target_id == str(uid)
    assert "python-httpx" in sign_in.details["device"]
    sign_out = next(r for r in rows if r.kind == "auth.sign_out")
    assert sign_out.actor_user_id == uid and sign_out.actor == "Agent"
    assert verdict(factory).intact


def test_a_role_change_is_logged_with_who_and_what(niaga: LiveServer, factory: Any) -> None:
    owner_id = make_user(factory, "owner")
    agent_id = make_user(factory, "agent")
    login(niaga.url, "agent@toko.test")
    owner = login(niaga.url, "owner@toko.test")
    before = last_id(factory)
    r = owner.post(
        f"/settings/users/{agent_id}",
        data={"role": "admin", "active": "on", "capacity": "20", "csrf_token": csrf(owner)},
    )
    assert r.status_code == 303
    with factory() as s:
        rows = list(
            s.scalars(select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id))
        )
    assert [r.kind for r in rows] == ["user.changed", "session.revoked"]
    assert rows[0].details == {"role": ["agent", "admin"]}
    assert rows[0].actor_user_id == owner_id and rows[0].target_id == str(agent_id)
    assert rows[1].details == {"sessions": 1}


def test_tokens_made_used_and_revoked_are_logged(niaga: LiveServer, factory: Any) -> None:
    owner = token(factory, "owner")
    assert api(niaga, "GET", "/automation/rules", owner).status_code == 200
    assert api(niaga, "GET", "/automation/rules", owner).status_code == 200  # within 5 minutes
    with factory() as s:
        rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [r.kind for r in rows] == ["token.created", "token.used"]
    assert rows[1].via == "api" and rows[1].actor.startswith("API token nga_")
    assert rows[1].details == {"method": "GET", "path": "/api/v1/automation/rules"}
    r = run_cli(niaga.settings.database_url, "token", "revoke", rows[0].target_id or "")
    assert r.returncode == 0, r.stderr
    with factory() as s:
        revoked = s.scalars(select(AuditEntry).where(AuditEntry.kind == "token.revoked")).one()
    assert revoked.via == "cli" and revoked.actor.startswith("CLI (")


def test_exports_and_settings_are_logged(niaga: LiveServer, factory: Any) -> None:
    owner = token(factory, "owner")
    today = date.today().isoformat()
    r = api(niaga, "GET", f"/analytics/exports/contacts?first={today}&last={today}", owner)
    assert r.status_code == 200
    assert api(niaga, "PUT", "/automation/profile", owner, json={"away": True}).status_code == 200
    bands = {"open_rate": {"good": 70, "poor": 40}}
    assert api(niaga, "PUT", "/analytics/bands", owner, json=bands).status_code == 200
    with factory() as s:
        rows = {r.kind + ":" + (r.target_id or ""): r for r in s.scalars(select(AuditEntry))}
    export = rows["data.export:contacts"]
    assert export.details == {
        "kind": "contacts",
        "first": today,
        "last": today,
        "format": "csv",
        "numbers": "full",
    }
    assert rows["settings.changed:profile"].details == {"fields": ["away"]}
    assert rows["settings.changed:bands"].details == {"fields": ["open_rate"]}


def test_rule_changes_are_logged(niaga: LiveServer, factory: Any) -> None:
    owner = token(factory, "owner")
    rule = {
        "name": "Voucher",
        "trigger": {"type": "message_received"},
        "conditions": [{"type": "text_contains", "keywords": ["voucher"]}],
        "actions": [{"type": "add_label", "label": "Promo"}],
    }
    made = api(niaga, "POST", "/automation/rules", owner, json=rule).json()
    path = f"/automation/rules/{made['id']}"
    assert api(niaga, "PUT", path, owner, json={**rule, "name": "Voucher 2"}).status_code == 200
    assert api(niaga, "PATCH", path, owner, json={"enabled": False}).status_code == 200
    assert api(niaga, "DELETE", path, owner).status_code == 204
    with factory() as s:
        rows = list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.kind.startswith("rule."))
                .order_by(AuditEntry.id)
            )
        )
    assert [r.kind for r in rows] == [
        "rule.created",
        "rule.updated",
        "rule.disabled",
        "rule.deleted",
    ]
    assert {r.target_id for r in rows} == {str(made["id"])}
    assert rows[1].details["name"] == "Voucher 2" and rows[0].via == "api"


def test_campaign_changes_are_logged(niaga: LiveServer, factory: Any) -> None:
    with transaction(factory) as s:
        audit.act_as(s, ALICE)
        template = MessageTemplate(name="promo", language="id", status="APPROVED")
        s.add(template)
        s.flush()
        campaign = Campaign(
            name="Promo Lebaran", template_id=template.id, params={}, rule={}, phone_number_id="1"
        )
        campaign.status = "draft"
        s.add(campaign)
        s.flush()
        campaigns.do_schedule(s, campaign, clock.now() + timedelta(days=1))
        campaigns.do_pause(s, campaign)
        campaigns.do_resume(s, campaign)
        campaigns.do_cancel(s, campaign)
        campaign_id = campaign.id
    with factory() as s:
        rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [r.kind for r in rows] == [
        "campaign.scheduled",
        "campaign.paused",
        "campaign.resumed",
        "campaign.cancelled",
    ]
    assert all(r.target_id == str(campaign_id) and r.actor == "Alice" for r in rows)
    assert rows[0].details["name"] == "Promo Lebaran"


# ------------------------------------------------------------------ reading the log


def test_the_owner_reads_filters_downloads_and_checks_the_log(
    niaga: LiveServer, factory: Any
) -> None:
    owner_id = make_user(factory, "owner")
    make_user(factory, "agent")
    login(niaga.url, "agent@toko.test")
    owner = login(niaga.url, "owner@toko.test")
    page = owner.get("/settings/audit", params={"kind": "auth", "who": str(owner_id)})
    assert page.status_code == 200
    assert page.text.count('data-kind="auth.sign_in"') == 1 and "Masuk" in page.text
    everyone = owner.get("/settings/audit", params={"kind": "auth.sign_in"})
    assert everyone.text.count('data-kind="auth.sign_in"') == 2
    assert 'data-kind="user.created"' not in everyone.text
    bad = owner.get("/settings/audit", params={"kind": "bukan.jenis"})
    assert bad.status_code == 422
    csv_text = owner.get("/settings/audit.csv", params={"kind": "user"}).text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("seq,at,kind") and len(lines) == 3  # the two users created
    checked = owner.post("/settings/audit/verify", data={"csrf_token": csrf(owner)})
    assert 'data-verdict="intact"' in checked.text
    tamper(factory, "UPDATE audit_log SET ip = '1.2.3.4' WHERE seq = 1")
    broken = owner.post("/settings/audit/verify", data={"csrf_token": csrf(owner)})
    assert 'data-verdict="broken"' in broken.text and "entry #1 was changed" in broken.text
    assert "data.export:audit" in {
        f"{k}:{t}" for k, t in zip(kinds(factory), targets(factory), strict=True)
    }


def targets(factory: Any) -> list[str | None]:
    with factory() as s:
        return list(s.scalars(select(AuditEntry.target_id).order_by(AuditEntry.id)))


def test_the_api_lists_the_log_for_owners_and_admins_only(niaga: LiveServer, factory: Any) -> None:
    owner = token(factory, "owner")
    agent = token(factory, "agent")
    assert api(niaga, "GET", "/audit", agent).status_code == 403
    listed = api(niaga, "GET", "/audit", owner, params={"kind": "token"}).json()
    assert [e["kind"] for e in listed][-2:] == ["token.created", "token.created"]
    assert listed[0]["kind"] == "token.used" and listed[0]["seq"] >= 3
    older = api(niaga, "GET", "/audit", owner, params={"before": listed[0]["id"], "limit": 1})
    assert len(older.json()) == 1 and older.json()[0]["id"] < listed[0]["id"]
    assert api(niaga, "GET", "/audit", owner, params={"kind": "x.y"}).status_code == 422
