"""Second factor, strong passwords, sessions and devices, over real HTTP against the live
server (the test's clock drives the codes: ``clock.advance`` moves both)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from niaga.core import clock
from niaga.core.db import transaction
from niaga.security import policy, two_factor
from niaga.security.models import AuditEntry, RecoveryCode, User
from tests.conftest import LiveServer
from tests.web.web_helpers import PASSWORD, csrf, login, make_user


def client(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"Accept": "text/html"}, timeout=30)


def password_step(c: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return c.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/inbox"},
    )


def code_step(c: httpx.Client, code: str, *, remember: bool = False) -> httpx.Response:
    page = c.get("/login/2fa", params={"next": "/inbox"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    data = {"code": code, "csrf_token": token, "next": "/inbox"}
    if remember:
        data["remember"] = "on"
    return c.post("/login/2fa", data=data)


def enrol(c: httpx.Client) -> tuple[str, list[str]]:
    """Turn the factor on from the account page; returns the secret and recovery codes."""
    page = c.post("/me/2fa/start", data={"csrf_token": csrf(c)})
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page.text).group(1)
    assert 'src="data:image/svg+xml' in page.text  # the QR code to scan
    done = c.post(
        "/me/2fa/confirm",
        data={"csrf_token": csrf(c), "code": two_factor.current_code(secret)},
    )
    assert done.status_code == 200, done.text
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.text)
    return secret, codes


def audit_kinds(factory: Any) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(AuditEntry.kind).order_by(AuditEntry.id)))


def set_policy(factory: Any, **changes: Any) -> None:
    values = {**policy.Policy().__dict__, **changes}
    with transaction(factory) as s:
        policy.do_save(s, **values)


def test_enrolment_sign_in_with_a_code_replay_and_recovery_codes(
    niaga: LiveServer, factory: Any
) -> None:
    uid = make_user(factory, "agent")
    me = login(niaga.url, "agent@toko.test")
    secret, codes = enrol(me)
    assert len(codes) == 10 and len(set(codes)) == 10
    with factory() as s:
        stored = s.get(User, uid)
        assert stored.totp_secret.startswith("enc1:") and secret not in stored.totp_secret
        assert len(list(s.scalars(select(RecoveryCode).where(RecoveryCode.user_id == uid)))) == 10
    assert 'data-2fa="on"' in me.get("/me/security").text

    clock.advance(timedelta(seconds=60))  # the enrolment's code is spent
    c = client(niaga.url)
    r = password_step(c, "agent@toko.test")
    assert r.status_code == 303 and r.headers["location"].startswith("/login/2fa")
    assert c.get("/inbox").status_code == 303  # no session yet: back to sign-in
    assert code_step(c, "000000").status_code == 401
    no_csrf = c.post("/login/2fa", data={"code": two_factor.current_code(secret)})
    assert no_csrf.status_code == 403  # the sign-in form's own CSRF token is needed
    code = two_factor.current_code(secret)
    ok = code_step(c, code)
    assert ok.status_code == 303 and ok.headers["location"] == "/inbox"
    assert c.get("/inbox").status_code == 200
    # The same code seen over a shoulder is worthless once used.
    thief = client(niaga.url)
    password_step(thief, "agent@toko.test")
    replay = code_step(thief, code)
    assert replay.status_code == 401 and "sudah dipakai" in replay.text
    # A recovery code works once.
    r = code_step(thief, codes[0].upper())
    assert r.status_code == 303
    again = client(niaga.url)
    password_step(again, "agent@toko.test")
    assert code_step(again, codes[0]).status_code == 401
    kinds = audit_kinds(factory)
    assert "2fa.enabled" in kinds and kinds.count("2fa.recovery_used") == 1
    failed = [k for k in kinds if k == "auth.sign_in_failed"]
    assert len(failed) == 3  # 000000, the replayed code, the spent recovery code


def test_the_challenge_cookie_cannot_be_forged_or_reused_after_a_password_change(
    niaga: LiveServer, factory: Any
) -> None:
    uid = make_user(factory, "agent")
    me = login(niaga.url, "agent@toko.test")
    secret, _ = enrol(me)
    forged = client(niaga.url)
    forged.cookies.set("niaga_2fa", f"{uid}.9999999999.abc.{'0' * 64}")
    assert forged.get("/login/2fa").status_code == 303  # back to the password
    c = client(niaga.url)
    password_step(c, "agent@toko.test")
    new = "kopi-susu-gula-aren-42"
    r = me.post(
        "/me/password",
        data={
            "csrf_token": csrf(me),
            "current_password": PASSWORD,
            "password": new,
            "password2": new,
        },
    )
    assert r.status_code == 303
    clock.advance(timedelta(seconds=60))
    # The challenge died with the old password: back to the password form, no code asked.
    assert c.get("/login/2fa").headers["location"] == "/login"
    posted = c.post("/login/2fa", data={"code": two_factor.current_code(secret)})
    assert posted.status_code == 303 and posted.headers["location"] == "/login"
    assert c.get("/inbox").status_code == 303


def test_codes_are_throttled_like_passwords(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    me = login(niaga.url, "agent@toko.test")
    secret, _ = enrol(me)
    c = client(niaga.url)
    password_step(c, "agent@toko.test")
    for _ in range(5):
        assert code_step(c, "123456").status_code == 401
    clock.advance(timedelta(seconds=1))
    locked = code_step(c, two_factor.current_code(secret))
    assert locked.status_code == 429 and "Terlalu banyak" in locked.text


def test_mandatory_second_factor_is_set_up_at_the_next_sign_in(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "owner")
    make_user(factory, "agent")
    agent_before = login(niaga.url, "agent@toko.test")
    owner = login(niaga.url, "owner@toko.test")
    r = owner.post(
        "/settings/security",
        data={
            "csrf_token": csrf(owner),
            "require_2fa": "everyone",
            "remember_days": "30",
            "idle_minutes": "600",
            "absolute_hours": "240",
            "max_devices": "",
        },
    )
    assert r.status_code == 303
    assert policy.Policy(require_2fa="everyone").needs_2fa(User(role="agent"))
    assert agent_before.get("/me/security").status_code == 200  # a running session goes on
    c = client(niaga.url)
    r = password_step(c, "agent@toko.test")
    assert r.headers["location"].startswith("/login/2fa")
    page = c.get("/login/2fa")
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page.text).group(1)
    assert c.get("/inbox").status_code == 303
    done = code_step(c, two_factor.current_code(secret))
    assert done.status_code == 200 and len(re.findall(r"<code>[a-z0-9-]{11}</code>", done.text))
    assert c.get("/inbox").status_code == 200
    # It cannot be turned off while required.
    off = c.post("/me/2fa/disable", data={"csrf_token": csrf(c), "current_password": PASSWORD})
    assert off.status_code == 422
    kinds = audit_kinds(factory)
    assert "settings.changed" in kinds and "2fa.enabled" in kinds


def test_a_remembered_device_skips_the_code_until_forgotten(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "agent")
    me = login(niaga.url, "agent@toko.test")
    secret, _ = enrol(me)
    clock.advance(timedelta(seconds=60))
    c = client(niaga.url)
    password_step(c, "agent@toko.test")
    assert code_step(c, two_factor.current_code(secret), remember=True).status_code == 303
    device_cookie = c.cookies.get("niaga_device")
    assert device_cookie
    c.post("/logout", data={"csrf_token": csrf(c)})
    r = password_step(c, "agent@toko.test")
    assert r.status_code == 303 and r.headers["location"] == "/inbox"  # no code asked
    device_id = re.search(r'data-device="(\d+)"', c.get("/me/security").text).group(1)
    c.post(f"/me/devices/{device_id}/forget", data={"csrf_token": csrf(c)})
    c.post("/logout", data={"csrf_token": csrf(c)})
    assert password_step(c, "agent@toko.test").headers["location"].startswith("/login/2fa")


def test_weak_passwords_are_refused_with_the_reason_in_indonesian(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    r = owner.post(
        "/settings/users/invite",
        data={
            "csrf_token": csrf(owner),
            "email": "budi@toko.test",
            "name": "Budi",
            "role": "agent",
        },
    )
    link = re.search(r"/invite/[A-Za-z0-9_-]+", r.headers["location"].replace("%2F", "/"))
    path = link.group(0)
    c = client(niaga.url)
    for weak, reason in (
        ("pendek1", "minimal 12 karakter"),
        ("password1234", "sangat umum"),
        ("budibudibudi", "Budi"),
    ):
        page = c.post(path, data={"password": weak, "password2": weak})
        assert page.status_code == 400, weak
        assert reason.lower() in page.text.lower() or "mudah ditebak" in page.text, weak
    strong = "sambal-terasi-pedas-99"
    assert c.post(path, data={"password": strong, "password2": strong}).status_code == 303
    me = login(niaga.url, "budi@toko.test", strong)
    weak = me.post(
        "/me/password",
        data={
            "csrf_token": csrf(me),
            "current_password": strong,
            "password": "qwertyuiop12",
            "password2": "qwertyuiop12",
        },
    )
    assert weak.status_code == 422 and 'class="error"' in weak.text
    assert "mirip kata sandi yang umum" in weak.text


def test_sessions_are_listed_ended_limited_and_time_out(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    laptop = login(niaga.url, "agent@toko.test")
    phone = login(niaga.url, "agent@toko.test")
    tablet = login(niaga.url, "agent@toko.test")
    page = laptop.get("/me/security").text
    rows = re.findall(r'<tr data-session="(\d+)">(.*?)</tr>', page, re.S)
    assert len(rows) == 3
    mine = [sid for sid, row in rows if "Perangkat ini" in row]
    assert len(mine) == 1
    # The most recently seen other one is the tablet; end it from the laptop.
    other = next(sid for sid, _ in rows if sid not in mine)
    assert laptop.post(f"/me/sessions/{other}/end", data={"csrf_token": csrf(laptop)}).status_code
    assert tablet.get("/inbox").status_code == 303  # signed out at once
    assert phone.get("/inbox").status_code == 200
    laptop.post("/me/sessions/end-others", data={"csrf_token": csrf(laptop)})
    assert phone.get("/inbox").status_code == 303
    assert laptop.get("/inbox").status_code == 200

    set_policy(factory, max_devices=1)
    refused = client(niaga.url)
    r = password_step(refused, "agent@toko.test")
    assert r.status_code == 409 and "perangkat" in r.text
    set_policy(factory, max_devices=None, idle_minutes=30, absolute_hours=2)
    clock.advance(timedelta(minutes=25))
    assert laptop.get("/inbox").status_code == 200  # slid forward
    clock.advance(timedelta(minutes=25))
    assert laptop.get("/inbox").status_code == 200
    clock.advance(timedelta(minutes=31))
    assert laptop.get("/inbox").status_code == 303  # idle too long
    fresh = login(niaga.url, "agent@toko.test")
    for _ in range(5):
        clock.advance(timedelta(minutes=25))
        fresh.get("/inbox")
    assert fresh.get("/inbox").status_code == 303  # over two hours since sign-in


def test_an_owner_signs_a_colleague_out_and_resets_their_second_factor(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "owner")
    admin_id = make_user(factory, "admin")
    agent_id = make_user(factory, "agent")
    agent = login(niaga.url, "agent@toko.test")
    enrol(agent)
    admin = login(niaga.url, "admin@toko.test")
    owner = login(niaga.url, "owner@toko.test")
    page = owner.get("/settings/security").text
    assert f'data-user="{agent_id}"' in page and "1 perangkat" in page
    assert admin.get("/settings/security").status_code == 403  # the policy is the owner's
    r = owner.post(f"/settings/users/{agent_id}/reset-2fa", data={"csrf_token": csrf(owner)})
    assert r.status_code == 303
    assert agent.get("/inbox").status_code == 303  # signed out with the reset
    with factory() as s:
        assert s.get(User, agent_id).totp_secret is None
    again = login(niaga.url, "agent@toko.test")  # no code asked any more
    r = admin.post(f"/settings/users/{agent_id}/end-sessions", data={"csrf_token": csrf(admin)})
    assert r.status_code == 303 and again.get("/inbox").status_code == 303
    owner_id = next(
        int(i) for i in re.findall(r'data-user="(\d+)"', page) if int(i) not in (admin_id, agent_id)
    )
    denied = admin.post(
        f"/settings/users/{owner_id}/end-sessions", data={"csrf_token": csrf(admin)}
    )
    assert denied.status_code == 303 and "flash=" in denied.headers["location"]
    assert owner.get("/inbox").status_code == 200  # an admin cannot sign the owner out
    kinds = audit_kinds(factory)
    assert "2fa.disabled" in kinds and kinds.count("session.revoked") >= 2
