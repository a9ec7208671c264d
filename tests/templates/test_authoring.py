"""Writing templates: Meta's rules checked field by field, the guide's presets and advice, and a
draft submitted through the live server to the sandbox, whose review comes back by webhook."""

from __future__ import annotations

from typing import Any

import pytest

from niaga.channels.template_definition import (
    CopyCodeButton,
    PhoneButton,
    QuickReplyButton,
    TemplateDefinition,
    UrlButton,
)
from niaga.channels.whatsapp.template_rules import creation_request, problems
from niaga.templates import authoring
from niaga.templates.presets import PRESETS
from tests.catalog.helpers import api, token
from tests.conftest import LiveServer, wait_for
from tests.web.web_helpers import act, login, make_user

GOOD = TemplateDefinition(
    name="promo_diskon",
    language="id",
    body="Hai {{nama}}! Dapatkan diskon 20% untuk {{produk}} minggu ini saja.",
    samples={"nama": "Siti", "produk": "gamis navy"},
)


def fields_of(d: TemplateDefinition) -> list[str]:
    return [p.field for p in problems(d)]


def test_a_good_template_and_every_preset_pass() -> None:
    assert problems(GOOD) == []
    for by_language in PRESETS.values():
        for preset in by_language.values():
            assert problems(preset) == [], preset.name


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Promo Diskon"}, "name"),
        ({"language": "indonesian"}, "language"),
        ({"body": "{{nama}}, diskon 20% untuk {{produk}} minggu ini saja ya kak"}, "body"),
        ({"body": "Hai kak, diskon 20% untuk semua produk {{produk}}"}, "body"),
        ({"body": "Hai kak {{nama}} {{produk}} diskon 20% untuk minggu ini saja"}, "body"),
        ({"body": "Hai {{nama}} {{produk}}!"}, "body"),
        ({"body": "Hai {{Nama Lengkap}}, diskon 20% untuk {{produk}} minggu ini"}, "body"),
        ({"body": "x" * 1025}, "body"),
        ({"header": "text", "header_text": "Promo " * 11}, "header_text"),
        ({"header": "text", "header_text": "Promo {{nama}} dan {{produk}}"}, "header_text"),
        ({"header": "text", "header_text": "Promo 🎉"}, "header_text"),
        ({"header": "text", "header_text": ""}, "header_text"),
        ({"footer": "Balas {{nama}}"}, "footer"),
        ({"footer": "x" * 61}, "footer"),
        ({"samples": {"nama": "Siti"}}, "samples.produk"),
        ({"samples": {"nama": "Siti", "produk": " "}}, "samples.produk"),
    ],
)
def test_each_rule_names_its_field(change: dict[str, Any], field: str) -> None:
    assert field in fields_of(GOOD.model_copy(update=change))


def test_positional_parameters_are_numbered_without_gaps() -> None:
    d = GOOD.model_copy(
        update={
            "parameter_format": "POSITIONAL",
            "body": "Hai {{1}}! Dapatkan diskon 20% untuk {{3}} minggu ini saja.",
            "samples": {"1": "Siti", "3": "gamis"},
        }
    )
    assert "body" in fields_of(d)
    ok = d.model_copy(
        update={
            "body": "Hai {{1}}! Dapatkan diskon 20% untuk {{2}} minggu ini saja.",
            "samples": {"1": "Siti", "2": "gamis"},
        }
    )
    assert problems(ok) == []
    body = creation_request(ok)["components"][0]
    assert body["example"] == {"body_text": [["Siti", "gamis"]]}
    assert "parameter_format" not in creation_request(ok)


@pytest.mark.parametrize(
    ("buttons", "field"),
    [
        ([QuickReplyButton(text=f"Pilihan {i}") for i in range(11)], "buttons"),
        ([UrlButton(text=f"Buka {i}", url="https://toko.example") for i in range(3)], "buttons"),
        (
            [
                QuickReplyButton(text="Ya"),
                UrlButton(text="Buka", url="https://toko.example"),
                QuickReplyButton(text="Tidak"),
            ],
            "buttons",
        ),
        ([QuickReplyButton(text="Pesan sekarang juga sebelum kehabisan")], "buttons.0.text"),
        ([UrlButton(text="Buka", url="https://toko.example/{{1}}/promo")], "buttons.0.url"),
        ([UrlButton(text="Buka", url="toko.example")], "buttons.0.url"),
        ([UrlButton(text="Buka", url="https://toko.example/{{1}}")], "buttons.0.sample"),
        ([PhoneButton(text="Telepon", phone="kantor")], "buttons.0.phone"),
        ([CopyCodeButton(sample="DISKONLEBARAN2026X")], "buttons.0.sample"),
    ],
)
def test_button_rules_name_the_button(buttons: list[Any], field: str) -> None:
    assert field in fields_of(GOOD.model_copy(update={"buttons": buttons}))


def test_the_creation_request_carries_every_part_with_samples() -> None:
    request = creation_request(authoring.presets("id", "https://toko.example")["discount"])
    assert (request["name"], request["category"], request["parameter_format"]) == (
        "promo_diskon",
        "MARKETING",
        "NAMED",
    )
    header, body, footer, buttons = request["components"]
    assert header == {"type": "HEADER", "format": "TEXT", "text": "Promo spesial untuk Anda"}
    assert [p["param_name"] for p in body["example"]["body_text_named_params"]] == [
        "nama",
        "produk",
        "tanggal",
    ]
    assert footer["type"] == "FOOTER"
    assert buttons["buttons"][0] == {
        "type": "URL",
        "text": "Belanja sekarang",
        "url": "https://toko.example/l/{{1}}",
        "example": ["https://toko.example/l/lebaran"],
    }
    assert buttons["buttons"][1] == {"type": "QUICK_REPLY", "text": "Berhenti promo"}


def test_problems_and_advice_are_in_bahasa_indonesia_and_english() -> None:
    bare = TemplateDefinition(name="halo", language="id", body="Halo, ada promo baru di toko.")
    tips = authoring.advice(bare, "id")
    assert any("sapa pelanggan dengan namanya" in t for t in tips)
    assert any("berhenti menerima promo" in t for t in tips)
    bad = GOOD.model_copy(update={"samples": {"nama": "Siti"}})
    (problem,) = authoring.check(bad, "id")
    assert problem == {"field": "samples.produk", "message": "Isi contoh nilai untuk {{produk}}."}
    (problem,) = authoring.check(bad, "en")
    assert problem["message"] == "Give a sample value for {{produk}}."
    assert authoring.advice(PRESETS["discount"]["id"], "id") == []


def test_a_draft_from_a_preset_is_submitted_and_approved_by_the_sandbox(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    presets = api(niaga, "GET", "/templates/presets?language=id", admin).json()
    draft = presets["discount"]
    draft["name"] = "promo_akhir_tahun"
    r = api(niaga, "POST", "/templates", admin, json=draft)
    assert r.status_code == 201, r.text
    template = r.json()
    assert template["status"] == "DRAFT" and template["definition"]["name"] == "promo_akhir_tahun"
    again = api(niaga, "POST", "/templates", admin, json=draft)
    assert again.status_code == 409 and again.json()["field"] == "name"
    check = api(niaga, "POST", "/templates/check", admin, json=draft).json()
    assert check == {"problems": [], "advice": []}
    r = api(niaga, "POST", f"/templates/{template['id']}/submit", admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "PENDING"

    def approved() -> dict[str, Any] | None:
        got = api(niaga, "GET", f"/templates/{template['id']}", admin).json()
        return got if got["status"] == "APPROVED" else None

    got = wait_for(approved, timeout=15)
    assert [(h["old_value"], h["new_value"], h["source"]) for h in got["history"]] == [
        ("DRAFT", "PENDING", "submit"),
        ("PENDING", "APPROVED", "webhook"),
    ]
    edit = api(niaga, "PUT", f"/templates/{template['id']}", admin, json=draft)
    assert edit.status_code == 409 and edit.json()["code"] == "template_not_editable"


def test_a_draft_that_breaks_the_rules_is_refused_naming_each_field(
    niaga: LiveServer, factory: Any
) -> None:
    admin = token(factory, "admin")
    draft = GOOD.model_copy(
        update={"body": "{{nama}} diskon untuk {{produk}}", "samples": {"nama": "Siti"}}
    ).model_dump(mode="json")
    r = api(niaga, "POST", "/templates", admin, json=draft)
    assert r.status_code == 201
    submitted = api(
        niaga, "POST", f"/templates/{r.json()['id']}/submit", admin | {"Accept-Language": "id"}
    )
    assert submitted.status_code == 422
    problem = submitted.json()
    assert problem["code"] == "template_invalid" and problem["field"] == "body"
    fields = [p["field"] for p in problem["problems"]]
    assert "body" in fields and "samples.produk" in fields
    assert api(niaga, "GET", f"/templates/{r.json()['id']}", admin).json()["status"] == "DRAFT"
    agent = token(factory, "agent")
    assert api(niaga, "POST", "/templates", agent, json=draft).status_code == 403


def test_the_page_lets_owners_write_and_shows_everyone_the_review_state(
    niaga: LiveServer, factory: Any
) -> None:
    make_user(factory, "owner", email="sari@toko.test")
    make_user(factory, "agent", email="rina@toko.test")
    owner = login(niaga.url, "sari@toko.test")
    draft = PRESETS["order_reminder"]["id"].model_dump(mode="json")
    saved = act(owner, "/settings/templates/drafts", {"definition": draft})
    assert saved.status_code == 200 and saved.json()["status"] == "DRAFT"
    checked = act(owner, "/settings/templates/check", draft | {"samples": {}})
    assert {p["field"] for p in checked.json()["problems"]} == {
        "samples.nama",
        "samples.nomor",
        "samples.total",
    }
    page = owner.get("/settings/templates")
    assert "pengingat_pesanan" in page.text and "Draf" in page.text and "tpl-editor" in page.text
    agent = login(niaga.url, "rina@toko.test")
    assert "pengingat_pesanan" in agent.get("/settings/templates").text
    assert "tpl-editor" not in agent.get("/settings/templates").text
    refused = act(agent, "/settings/templates/drafts", {"definition": draft})
    assert refused.status_code == 403
    submitted = act(owner, f"/settings/templates/{saved.json()['id']}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "PENDING"
