"""The sandbox's control API: only the token holder on this machine, no secrets out, no
webhooks to arbitrary URLs, no writes outside the data dir; no sandbox beside a real token."""

from __future__ import annotations

import httpx
import pytest

from niaga.channels.sandbox.app import create_standalone_app
from niaga.channels.sandbox.config import SandboxConfig
from niaga.core.config import InsecureConfigError, Settings
from tests.conftest import LiveServer
from tests.sandbox_client import CONTROL, SANDBOX_TOKEN


def test_control_api_needs_its_token(niaga: LiveServer) -> None:
    base = f"{niaga.url}/sandbox/_control"
    for method, path in (("GET", "/config"), ("POST", "/reset"), ("GET", "/messages")):
        assert httpx.request(method, base + path).status_code == 401
        wrong = {"X-Sandbox-Token": "tebakan"}
        assert httpx.request(method, base + path, headers=wrong).status_code == 401
    odd = {"X-Sandbox-Token": "tébakan"}  # non-ASCII: refused, not a 500
    assert (
        httpx.get(base + "/config", headers={k: v.encode() for k, v in odd.items()}).status_code
        == 401
    )
    bearer = {"Authorization": f"Bearer {SANDBOX_TOKEN}"}
    assert httpx.get(base + "/config", headers=bearer).status_code == 200


def test_control_api_never_returns_secrets_nor_moves_webhooks_or_files(
    niaga: LiveServer,
) -> None:
    base = f"{niaga.url}/sandbox/_control"
    config = httpx.get(base + "/config", headers=CONTROL).json()
    text = str(config)
    for secret in (niaga.settings.wa_app_secret, niaga.settings.wa_access_token, SANDBOX_TOKEN):
        assert secret not in text
    assert "app_secret" not in config and "access_token" not in config
    for knob, value in (
        ("webhook_url", "http://169.254.169.254/latest"),
        ("state_file", "/etc/cron.d/niaga"),
        ("public_url", "http://evil.test"),
        ("app_secret", "x"),
        ("control_token", "x"),
    ):
        r = httpx.patch(base + "/config", json={knob: value}, headers=CONTROL)
        assert r.status_code == 422, knob
    after = httpx.get(base + "/config", headers=CONTROL).json()
    assert after["webhook_url"] == config["webhook_url"]
    assert after["state_file"] == config["state_file"]


def test_control_api_refuses_a_foreign_host_header(niaga: LiveServer) -> None:
    # A page on evil.test that rebinds its name to 127.0.0.1 sends "Host: evil.test".
    r = httpx.get(
        f"{niaga.url}/sandbox/_control/config", headers={**CONTROL, "Host": "evil.test:8000"}
    )
    assert r.status_code in (400, 403)  # the app's Host check, then the control API's own


async def test_control_api_does_not_exist_for_other_machines() -> None:
    app = create_standalone_app(SandboxConfig(control_token=SANDBOX_TOKEN))
    remote = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=remote, base_url="http://127.0.0.1") as client:
        assert (await client.get("/_control/config", headers=CONTROL)).status_code == 404
    local = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=local, base_url="http://127.0.0.1") as client:
        assert (await client.get("/_control/config", headers=CONTROL)).status_code == 200


async def test_control_api_without_a_configured_token_answers_nobody() -> None:
    app = create_standalone_app(SandboxConfig())
    local = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=local, base_url="http://127.0.0.1") as client:
        assert (await client.get("/_control/config")).status_code == 401
        assert (
            await client.get("/_control/config", headers={"X-Sandbox-Token": ""})
        ).status_code == 401


def test_token_is_made_once_per_data_dir_and_private(tmp_path: object) -> None:
    s = Settings(data_dir=tmp_path)  # type: ignore[arg-type]
    first = s.control_token()
    assert len(first) >= 32 and Settings(data_dir=tmp_path).control_token() == first  # type: ignore[arg-type]
    mode = (tmp_path / "sandbox-control-token").stat().st_mode & 0o777  # type: ignore[operator]
    assert mode == 0o600


def test_sandbox_refuses_a_real_access_token_unless_asked() -> None:
    real = Settings(wa_access_token="EAAG" + "t" * 100)
    with pytest.raises(InsecureConfigError, match="NIAGA_SANDBOX_ALLOW_REAL_TOKEN"):
        real.check_safe_to_start()
    from niaga.web.app import create_app

    with pytest.raises(InsecureConfigError):
        create_app(real)
    Settings(
        wa_access_token="EAAG" + "t" * 100, sandbox_allow_real_token=True
    ).check_safe_to_start()
    Settings(wa_access_token="EAAG" + "t" * 100, sandbox=False).check_safe_to_start()
