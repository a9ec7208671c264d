import pytest

from niaga.core.config import InsecureConfigError, Settings


def test_local_defaults_point_at_the_embedded_sandbox() -> None:
    s = Settings(port=8123)
    assert s.is_sqlite and s.database_url.endswith("var/niaga.db")
    assert s.wa_graph_url == "http://127.0.0.1:8123/sandbox"
    assert s.sandbox_webhook_url == "http://127.0.0.1:8123/webhooks/whatsapp"
    s.check_safe_to_start()  # local mode may use defaults


def test_production_refuses_default_secrets() -> None:
    s = Settings(env="production", sandbox=False)
    with pytest.raises(InsecureConfigError) as exc:
        s.check_safe_to_start()
    for name in ("NIAGA_SECRET_KEY", "NIAGA_WA_APP_SECRET", "NIAGA_WA_ACCESS_TOKEN"):
        assert name in str(exc.value)


def test_production_refuses_the_sandbox() -> None:
    s = Settings(
        env="production",
        secret_key="x" * 40,
        wa_app_secret="a" * 32,
        wa_verify_token="v" * 20,
        wa_access_token="EAAG" + "t" * 100,
        sandbox=True,
    )
    with pytest.raises(InsecureConfigError, match="NIAGA_SANDBOX"):
        s.check_safe_to_start()
    s.sandbox = False
    s.check_safe_to_start()


def test_production_graph_url_is_meta_without_sandbox() -> None:
    assert Settings(sandbox=False).wa_graph_url == "https://graph.facebook.com"


def test_rate_is_bounded_like_meta() -> None:
    with pytest.raises(ValueError):
        Settings(wa_messages_per_second=1001)
    assert Settings(wa_messages_per_second=1000).wa_messages_per_second == 1000


def test_production_refuses_the_demo() -> None:
    s = Settings(
        env="production",
        secret_key="x" * 40,
        wa_app_secret="a" * 32,
        wa_verify_token="v" * 20,
        wa_access_token="EAAG" + "t" * 100,
        sandbox=False,
        demo=True,
    )
    with pytest.raises(InsecureConfigError, match="NIAGA_DEMO"):
        s.check_safe_to_start()
