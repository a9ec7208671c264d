"""The shop settings page over real HTTP: profile and photo (synced to the sandbox's WhatsApp),
hours, holidays, the away switch and the automatic texts' preview."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import select

from niaga.automation import profile as shop
from niaga.automation.defaults import do_seed_defaults
from niaga.automation.models import BusinessProfile
from niaga.core import clock
from niaga.core.db import transaction
from niaga.core.i18n import format_day
from niaga.security.models import AuditEntry
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import SandboxControl
from tests.web.web_helpers import csrf, login, make_user

PHONE = "6281234500077"


def post(client: httpx.Client, path: str, **data: Any) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf(client), **data})


def flash(response: httpx.Response) -> str:
    return httpx.URL(response.headers["location"]).params["flash"]


def stored(factory: Any) -> BusinessProfile:
    with factory() as s:
        return shop.load_profile(s)


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#25d366").save(out, "PNG")
    return out.getvalue()


def test_owner_sets_profile_hours_holidays_and_texts(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    page = owner.get("/settings/shop")
    assert page.status_code == 200 and "Jam buka" in page.text and 'id="away-on"' in page.text

    r = post(
        owner,
        "/settings/shop/profile",
        name="Toko Sari",
        about="Busana muslim & batik",
        description="Busana muslim dan batik dari Bandung.",
        email="halo@tokosari.id",
        website="https://tokosari.id",
        category="APPAREL",
    )
    assert r.status_code == 303 and r.headers["location"].endswith("#profile")
    assert stored(factory).name == "Toko Sari"
    # A bad email is refused with the reason, nothing else changes.
    r = post(owner, "/settings/shop/profile", name="Toko Lain", email="bukan-email")
    assert r.status_code == 303 and "flash=" in r.headers["location"]
    assert stored(factory).name == "Toko Sari"

    # Hours: two spans on Monday, dots accepted, Sunday closed; a wrong shape names the day.
    days = {f"hours_{d}": "08:00-17:00" for d in ("tue", "wed", "thu", "fri")}
    r = post(
        owner,
        "/settings/shop/hours",
        hours_mon="08.00-12.00, 13:00-17:00",
        hours_sat="9:00-14:00",
        hours_sun="",
        timezone="Asia/Makassar",
        **days,
    )
    assert r.status_code == 303
    saved = stored(factory)
    assert saved.hours["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert saved.hours["sat"] == [["09:00", "14:00"]] and saved.hours["sun"] == []
    assert saved.timezone == "Asia/Makassar"
    r = post(owner, "/settings/shop/hours", hours_mon="jam 8 sampai 5", **days)
    assert r.status_code == 303 and "field=hours_mon" in r.headers["location"]
    assert "Senin" in flash(r)
    assert stored(factory).hours["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]

    # Next year's national holidays (Lebaran included), one of the owner's own, one removed.
    year = clock.now().year + 1
    r = post(owner, "/settings/shop/holidays/national", year=str(year))
    assert r.status_code == 303 and f"hari libur nasional {year} ditambahkan" in flash(r)
    saved = stored(factory)
    assert any("Idul Fitri" in name for name in saved.holiday_names.values())
    assert {f"{year}-01-01", f"{year}-08-17", f"{year}-12-25"} <= set(saved.holidays)
    count = len(saved.holidays)
    # Loading the year again adds nothing and keeps a name the owner changed.
    post(owner, "/settings/shop/holidays", day=f"{year}-08-17", name="HUT RI")
    post(owner, "/settings/shop/holidays/national", year=str(year))
    saved = stored(factory)
    assert len(saved.holidays) == count and saved.holiday_names[f"{year}-08-17"] == "HUT RI"
    post(owner, "/settings/shop/holidays", day=f"{year}-04-20", name="Stock opname")
    post(owner, "/settings/shop/holidays", day=f"{year}-01-01", name="")
    post(owner, f"/settings/shop/holidays/{year}-01-01/delete")
    saved = stored(factory)
    assert f"{year}-04-20" in saved.holidays and f"{year}-01-01" not in saved.holidays
    assert f"{year}-01-01" not in saved.holiday_names
    page = owner.get("/settings/shop").text
    assert format_day(date(year, 8, 17), "id") in page and "Stock opname" in page
    assert "Tahun Baru Masehi" not in page

    # Texts: the preview follows the typed words (nothing saved), then they are saved.
    r = owner.post(
        "/settings/shop/preview",
        json={"greeting_text": "Halo {name}! Selamat datang di {business}.", "ack_text": ""},
        headers={"X-CSRF-Token": csrf(owner), "Accept": "application/json"},
    )
    assert r.status_code == 200
    shown = r.json()
    assert shown["greeting"] == "Halo Budi! Selamat datang di Toko Sari."
    assert shown["ack"].startswith("Terima kasih, Budi!")
    assert stored(factory).greeting_text == ""
    r = post(
        owner,
        "/settings/shop/texts",
        greeting_text="Halo {name}! Selamat datang di {business}.",
        away_text="Maaf {name}, kami tutup. Buka lagi {reopens}.",
        ack_text="Siap {name}, {ahead} antrean di depan, balasan ±{eta}.",
        greeting_after_days="30",
    )
    assert r.status_code == 303
    saved = stored(factory)
    assert saved.ack_text.startswith("Siap {name}") and saved.greeting_after_days == 30
    page = owner.get("/settings/shop").text
    assert "Siap Budi, 2 antrean di depan" in page

    with factory() as s:
        kinds = s.scalars(select(AuditEntry.details).where(AuditEntry.kind == "settings.changed"))
        fields = {f for d in kinds for f in d.get("fields", [])}
    assert {"name", "hours", "holidays", "ack_text"} <= fields


def test_away_switch_answers_a_customer_with_the_owners_text(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "owner")
    with transaction(factory) as s:
        do_seed_defaults(s)
    owner = login(niaga.url, "owner@toko.test")
    always = {
        f"hours_{d}": "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    post(owner, "/settings/shop/hours", timezone="Asia/Jakarta", **always)
    post(owner, "/settings/shop/texts", away_text="Maaf {name}, toko sedang libur sebentar.")
    assert 'id="away-on"' in owner.get("/settings/shop").text
    r = post(owner, "/settings/shop/away", away="true")
    assert r.status_code == 303
    page = owner.get("/settings/shop").text
    assert stored(factory).away is True and 'id="away-off"' in page

    sb = SandboxControl(niaga.url)
    sb.customer(PHONE, "Rina")
    sb.send(PHONE, type="text", text="Kak, gamis hitam ukuran L ada?")
    wait_for(lambda: "Maaf Rina, toko sedang libur sebentar." in _texts(sb), timeout=15)
    post(owner, "/settings/shop/away", away="false")
    assert stored(factory).away is False


def _texts(sb: SandboxControl) -> list[str]:
    return [m["body"]["text"]["body"] for m in sb.messages(to=PHONE) if m["body"].get("text")]


def test_photo_is_squared_stored_and_sent_to_whatsapp(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "owner")
    owner = login(niaga.url, "owner@toko.test")
    token = csrf(owner)
    small = owner.post(
        "/settings/shop/photo",
        data={"csrf_token": token},
        files={"file": ("kecil.png", png(100, 100), "image/png")},
    )
    assert (
        small.status_code == 303 and "192" in httpx.URL(small.headers["location"]).params["flash"]
    )
    bad = owner.post(
        "/settings/shop/photo",
        data={"csrf_token": token},
        files={"file": ("x.png", b"<svg onload=alert(1)>", "image/png")},
    )
    assert bad.status_code == 303 and "flash=" in bad.headers["location"]
    assert stored(factory).photo_file is None

    r = owner.post(
        "/settings/shop/photo",
        data={"csrf_token": token},
        files={"file": ("toko.png", png(1200, 800), "image/png")},
    )
    assert r.status_code == 303
    photo = owner.get("/settings/shop/photo")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(photo.content)).size == (640, 640)
    first = stored(factory).photo_file
    assert first and (niaga.settings.data_dir / "media" / first).is_file()

    # The worker uploads it (Resumable Upload) and names the handle in the profile.
    settings = niaga.settings
    profile_url = (
        f"{niaga.url}/sandbox/{settings.wa_api_version}/{settings.wa_phone_number_id}"
        "/whatsapp_business_profile"
    )
    bearer = {"Authorization": f"Bearer {settings.wa_access_token}"}

    def handle() -> str | None:
        found = httpx.get(profile_url, headers=bearer).json()["data"][0]
        return found.get("profile_picture_handle")

    first_handle = wait_for(handle, timeout=15)
    assert first_handle.startswith("4::")
    wait_for(lambda: stored(factory).photo_synced_file == first)
    assert "Tampil di WhatsApp" in owner.get("/settings/shop").text

    # A new photo replaces it; once it reached WhatsApp the old file is gone.
    owner.post(
        "/settings/shop/photo",
        data={"csrf_token": token},
        files={"file": ("baru.png", png(700, 700), "image/png")},
    )
    second = stored(factory).photo_file
    assert second != first
    wait_for(lambda: handle() != first_handle, timeout=15)
    wait_for(lambda: not (niaga.settings.data_dir / "media" / first).exists())
    assert (niaga.settings.data_dir / "media" / second).is_file()


def test_only_who_may_change_settings_sees_the_shop(niaga: LiveServer, factory: Any) -> None:
    make_user(factory, "agent")
    make_user(factory, "analyst")
    for email in ("agent@toko.test", "analyst@toko.test"):
        client = login(niaga.url, email)
        assert client.get("/settings/shop").status_code == 403
        r = client.post("/settings/shop/away", data={"csrf_token": csrf(client), "away": "true"})
        assert r.status_code == 403
    assert stored(factory).away is False
    admin_id = make_user(factory, "admin")
    from niaga.security import permissions
    from niaga.security.models import User

    with transaction(factory) as s:
        permissions.do_set(s, s.get_one(User, admin_id), {"change_settings": False})
    admin = login(niaga.url, "admin@toko.test")
    assert admin.get("/settings/shop").status_code == 403
    assert re.search(r'href="/settings/shop"', admin.get("/inbox").text) is None
    owner_id = make_user(factory, "owner")
    assert owner_id
    assert 'href="/settings/shop"' in login(niaga.url, "owner@toko.test").get("/inbox").text
