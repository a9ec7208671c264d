"""Media headers and editing what Meta holds: an example file kept by Niaga, uploaded through
Meta's Resumable Upload API (the sandbox plays it) when the template is submitted, sent as the
header of every campaign message; an approved template changed and reviewed again, within
Meta's limits. Real HTTP on loopback, the sandbox standing in for Meta."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from niaga.channels.template_definition import TemplateDefinition
from niaga.channels.whatsapp.graph import GraphClient
from niaga.channels.whatsapp.template_rules import creation_request, problems
from niaga.contacts import consent
from niaga.contacts.models import Contact
from niaga.core.db import transaction
from niaga.core.errors import DomainError
from niaga.templates import samples
from tests.catalog.helpers import api, token
from tests.conftest import LiveServer, wait_for
from tests.sandbox_client import CONTROL, SandboxControl


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 32), "navy").save(out, "PNG")
    return out.getvalue()


def draft(sample: str | None, **change: Any) -> dict[str, Any]:
    return {
        "name": "koleksi_baru",
        "language": "id",
        "category": "MARKETING",
        "header": "image",
        "header_sample": sample,
        "body": "Hai {{nama}}, koleksi gamis baru sudah datang. Balas PESAN untuk order.",
        "samples": {"nama": "Siti"},
        **change,
    }


def test_an_example_file_is_checked_by_its_bytes_and_kept(tmp_path: Path) -> None:
    stored = samples.do_store(png(), "image", tmp_path)
    assert (stored.kind, stored.mime_type) == ("image", "image/png")
    assert samples.path_of(stored.key, tmp_path) == tmp_path / "templates/samples" / stored.key
    loaded = samples.load(stored.key, tmp_path)
    assert loaded.data == png() and loaded.mime_type == "image/png"
    refusals = [
        (b"%PDF-1.7 ...", "image", "sample_type"),  # a PDF named .jpg is still a PDF
        (png(), "video", "sample_type"),
        (b"", "image", "sample_empty"),
        (b"\xff\xd8\xff" + b"0" * (5 * 2**20), "image", "sample_too_large"),
        (png(), "audio", "sample_kind"),
    ]
    for data, kind, code in refusals:
        with pytest.raises(DomainError) as err:
            samples.do_store(data, kind, tmp_path)
        assert err.value.code == code
    for bad in ("../../etc/passwd", "x.png", f"{'a' * 32}.exe"):
        assert samples.path_of(bad, tmp_path) is None


def test_a_media_header_needs_its_example_and_carries_its_handle() -> None:
    without = TemplateDefinition.model_validate(draft(None))
    assert [p.field for p in problems(without)] == ["header_sample"]
    with_file = TemplateDefinition.model_validate(draft("0" * 32 + ".png"))
    assert problems(with_file) == []
    request = creation_request(with_file, header_handle="4::aW1hZ2UvcG5n:abc")
    assert request["components"][0] == {
        "type": "HEADER",
        "format": "IMAGE",
        "example": {"header_handle": ["4::aW1hZ2UvcG5n:abc"]},
    }


def test_the_resumable_upload_resumes_from_metas_offset(niaga: LiveServer) -> None:
    base = f"{niaga.url}/sandbox/v23.0"
    settings = niaga.app.state.settings
    auth = {"Authorization": f"OAuth {settings.wa_access_token}"}
    data = png()
    opened = httpx.post(
        f"{base}/{settings.wa_app_id}/uploads",
        params={"file_name": "a.png", "file_length": len(data), "file_type": "image/png"},
        headers={"Authorization": f"Bearer {settings.wa_access_token}"},
    )
    assert opened.status_code == 200, opened.text
    upload = opened.json()["id"]
    assert upload.startswith("upload:")
    half = len(data) // 2
    first = httpx.post(f"{base}/{upload}", content=data[:half], headers=auth | {"file_offset": "0"})
    assert first.json() == {"id": upload, "file_offset": half}
    # The connection broke here: Meta says how much it holds, the rest goes from there.
    assert httpx.get(f"{base}/{upload}", headers=auth).json()["file_offset"] == half
    wrong = httpx.post(f"{base}/{upload}", content=data[half:], headers=auth | {"file_offset": "0"})
    assert wrong.status_code == 400
    assert "file_offset" in wrong.json()["error"]["error_data"]["details"]
    done = httpx.post(
        f"{base}/{upload}", content=data[half:], headers=auth | {"file_offset": str(half)}
    )
    assert done.json()["h"].startswith("4::")
    bearer = httpx.get(f"{base}/{upload}", headers={"Authorization": "Bearer x"})
    assert bearer.status_code in (400, 401)

    async def through_the_client() -> str:
        async with GraphClient(f"{niaga.url}/sandbox", "v23.0", settings.wa_access_token) as client:
            return await client.upload_file(settings.wa_app_id, data, "image/png", "b.png")

    assert asyncio.run(through_the_client()).startswith("4::")


def test_a_template_with_an_image_header_is_approved_and_sent_with_its_image(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    upload = httpx.post(
        f"{niaga.url}/api/v1/templates/samples",
        headers=admin,
        files={"file": ("promo.png", png(), "image/png")},
        data={"kind": "image"},
    )
    assert upload.status_code == 201, upload.text
    sample = upload.json()
    assert sample["url"] == f"{niaga.url}/media/templates/{sample['key']}"
    served = httpx.get(sample["url"])  # Meta fetches it without signing in
    assert served.status_code == 200 and served.content == png()
    assert served.headers["content-type"] == "image/png"
    assert httpx.get(f"{niaga.url}/media/templates/{'f' * 32}.png").status_code == 404
    wrong = httpx.post(
        f"{niaga.url}/api/v1/templates/samples",
        headers=admin,
        files={"file": ("promo.mp4", png(), "video/mp4")},
        data={"kind": "video"},
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "sample_type"

    created = api(niaga, "POST", "/templates", admin, json=draft(sample["key"])).json()
    submitted = api(niaga, "POST", f"/templates/{created['id']}/submit", admin)
    assert submitted.status_code == 200, submitted.text
    wait_for(
        lambda: (
            api(niaga, "GET", f"/templates/{created['id']}", admin).json()["status"] == "APPROVED"
        ),
        timeout=15,
    )
    with transaction(factory) as s:
        c = Contact(phone="+6281234577001", wa_id="6281234577001", display_name="Siti Aminah")
        s.add(c)
        s.flush()
        consent.do_record(s, c, granted=True, source="import", proof="daftar")
    campaign = api(
        niaga,
        "POST",
        "/campaigns",
        admin,
        json={
            "name": "Koleksi baru",
            "template_id": created["id"],
            "rule": {"conditions": []},
            "params": {"nama": {"source": "first_name"}},
        },
    )
    assert campaign.status_code == 201, campaign.text
    campaign = campaign.json()
    assert api(niaga, "POST", f"/campaigns/{campaign['id']}/schedule", admin, json={}).is_success
    sb = SandboxControl(niaga.url)
    (sent,) = wait_for(lambda: sb.messages(to="6281234577001"), timeout=20)
    header = sent["body"]["template"]["components"][0]
    image = {"type": "image", "image": {"link": sample["url"]}}
    assert header == {"type": "header", "parameters": [image]}


def test_an_approved_template_is_edited_and_reviewed_again_within_metas_limits(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    plain = draft(None, header="none", name="info_toko")
    created = api(niaga, "POST", "/templates", admin, json=plain).json()
    api(niaga, "POST", f"/templates/{created['id']}/submit", admin)

    def status() -> str:
        return str(api(niaga, "GET", f"/templates/{created['id']}", admin).json()["status"])

    wait_for(lambda: status() == "APPROVED", timeout=15)
    better = plain | {"body": "Hai {{nama}}, toko kami buka sampai jam 21.00. Balas INFO ya."}
    edited = api(niaga, "POST", f"/templates/{created['id']}/edit", admin, json=better)
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "PENDING"
    assert edited.json()["definition"]["body"] == better["body"]
    wait_for(lambda: status() == "APPROVED", timeout=15)
    held = [t for t in sb_templates(niaga) if t["name"] == "info_toko"]
    assert held[0]["components"][0]["text"] == better["body"]
    # Meta allows one edit a day: the second is refused with Meta's reason, nothing changes.
    again = api(niaga, "POST", f"/templates/{created['id']}/edit", admin, json=plain)
    assert again.status_code == 422 and "once a day" in again.json()["detail"]
    assert status() == "APPROVED"
    renamed = api(
        niaga, "POST", f"/templates/{created['id']}/edit", admin, json=better | {"name": "lain"}
    )
    assert renamed.status_code == 422 and renamed.json()["code"] == "template_rename"
    recategorised = better | {"category": "UTILITY"}
    moved = api(niaga, "POST", f"/templates/{created['id']}/edit", admin, json=recategorised)
    assert moved.status_code == 422 and moved.json()["field"] == "category"


def sb_templates(niaga: LiveServer) -> list[dict[str, Any]]:
    got = httpx.get(f"{niaga.url}/sandbox/_control/templates", headers=CONTROL, timeout=10)
    return list(got.json())


def test_an_authentication_template_carries_a_code_sent_through_the_api(
    niaga: LiveServer, factory: Any
) -> None:
    """WhatsApp writes the text; the business's system sends each code to a number."""
    admin = token(factory, "admin")
    otp = {
        "name": "kode_masuk",
        "language": "id",
        "category": "AUTHENTICATION",
        "body": "",
        "security_recommendation": True,
        "code_expiration_minutes": 10,
    }
    wrong = TemplateDefinition.model_validate(otp | {"body": "Kode Anda {{1}}", "footer": "x"})
    assert [p.field for p in problems(wrong)] == ["body", "footer"]
    request = creation_request(TemplateDefinition.model_validate(otp))
    assert request["components"] == [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "FOOTER", "code_expiration_minutes": 10},
        {
            "type": "BUTTONS",
            "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Salin kode"}],
        },
    ]
    created = api(niaga, "POST", "/templates", admin, json=otp).json()
    submitted = api(niaga, "POST", f"/templates/{created['id']}/submit", admin)
    assert submitted.status_code == 200, submitted.text
    wait_for(
        lambda: (
            api(niaga, "GET", f"/templates/{created['id']}", admin).json()["status"] == "APPROVED"
        ),
        timeout=15,
    )
    code = {
        "type": "template",
        "name": "kode_masuk",
        "language": "id",
        "body_params": ["482913"],
        "buttons": [{"sub_type": "url", "index": 0, "text": "482913"}],
    }
    sent = api(niaga, "POST", "/messages", admin, json={"to": "0812-3457-7002", "message": code})
    assert sent.status_code == 202, sent.text
    sb = SandboxControl(niaga.url)
    (got,) = wait_for(lambda: sb.messages(to="6281234577002"), timeout=20)
    parts = got["body"]["template"]["components"]
    assert {"type": "text", "text": "482913"} in parts[0]["parameters"]
    assert (
        api(niaga, "POST", "/messages", admin, json={"to": "12", "message": code}).status_code
        == 422
    )
    # A code is never a campaign.
    campaign = api(
        niaga,
        "POST",
        "/campaigns",
        admin,
        json={"name": "x", "template_id": created["id"], "rule": {"conditions": []}},
    )
    assert campaign.status_code == 422 and campaign.json()["code"] == "campaign_authentication"
