"""Settings from environment variables ``NIAGA_*`` (see README, "Configuration")."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "dev-secret-key-change-me"
DEFAULT_APP_SECRET = "sandbox-app-secret"
DEFAULT_VERIFY_TOKEN = "sandbox-verify-token"
DEFAULT_ACCESS_TOKEN = "sandbox-access-token"


class InsecureConfigError(RuntimeError):
    """Production mode was asked for with a default secret."""


def intake_url_for(database_url: str) -> str:
    """The stored webhooks' own SQLite file beside ``database_url`` (``niaga.db`` →
    ``niaga-intake.db``); the same URL for PostgreSQL and in-memory SQLite."""
    if not database_url.startswith("sqlite:///"):
        return database_url
    path = database_url.removeprefix("sqlite:///")
    if not path or path == ":memory:" or "?" in path:
        return database_url
    stem, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix:
        return f"{database_url}-intake"
    return f"sqlite:///{stem}-intake.{suffix}"


class Settings(BaseSettings):
    """All runtime configuration. Defaults are safe for local use only."""

    model_config = SettingsConfigDict(env_prefix="NIAGA_", env_file=None, extra="ignore")

    env: Literal["local", "production"] = "local"
    data_dir: Path = Path("var")
    database_url: str = ""
    # Where stored webhooks wait for processing. Default: on SQLite a file of their own beside
    # the database (the intake never waits for processing's write lock); elsewhere the database.
    # Set it to the database's own URL to keep them in the one file.
    intake_database_url: str = ""
    redis_url: str = ""
    secret_key: str = DEFAULT_SECRET_KEY
    # Keys that encrypt secrets at rest (TOTP secrets): Fernet keys, comma-separated, the
    # newest first. Empty: the file data_dir/encryption.keys (made on first use, mode 0600).
    encryption_keys: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""
    timezone: str = "Asia/Jakarta"
    default_region: str = "ID"
    locale: str = "id"
    business_name: str = "Niaga"
    cookie_secure: bool | None = None  # default: secure cookies when public_url is https
    # Outgoing webhooks (rule action) may reach these internal hosts by name (comma-separated)
    webhook_allow_hosts: str = ""
    # Host names this Niaga answers besides public_url's and loopback (comma-separated; "*": any)
    allowed_hosts: str = ""
    log_level: str = "info"
    # "text" for a terminal, "json" for a log collector (one object per line, with request ids)
    log_format: Literal["text", "json"] = "text"
    # /metrics: without a token only loopback callers not forwarded by a proxy may read it
    metrics_token: str = ""
    # A JSON feed ({"version": "0.2.0", "url": "…"}) niaga doctor reads for newer releases
    release_feed: str = ""

    # WhatsApp Cloud API
    wa_graph_url: str = ""
    wa_api_version: str = "v23.0"
    wa_phone_number_id: str = "106540352242922"
    wa_display_phone_number: str = "6281100000000"
    wa_business_account_id: str = "102290129340398"
    # Meta's app (App Dashboard): media header examples go through its Resumable Upload API.
    wa_app_id: str = "1234567890123456"
    wa_access_token: str = DEFAULT_ACCESS_TOKEN
    wa_app_secret: str = DEFAULT_APP_SECRET
    wa_verify_token: str = DEFAULT_VERIFY_TOKEN
    wa_messages_per_second: int = Field(80, ge=1, le=1000)
    wa_request_timeout: float = 20.0

    # Outbox dispatcher
    dispatch_batch_size: int = Field(200, ge=1, le=5000)
    dispatch_concurrency: int = Field(64, ge=1, le=1000)
    dispatch_max_attempts: int = Field(8, ge=1, le=100)
    dispatch_backoff_base: float = 2.0
    dispatch_backoff_max: float = 900.0
    dispatch_lease_seconds: float = 60.0
    dispatch_in_doubt_seconds: float = 600.0
    dispatch_poll_interval: float = 0.5

    # Campaigns
    # Unique customers a business may start conversations with in a moving 24 h (Meta's
    # messaging limit tier: 250, 2000, 10000, 100000; 0: no limit).
    wa_messaging_limit: int = Field(2000, ge=0)
    # Marketing messages a customer gets at most per 7 days, across campaigns.
    campaign_frequency_cap: int = Field(2, ge=1, le=100)
    # No marketing sends in these hours of the business time zone ("21:00-08:00"; "": none).
    campaign_quiet_hours: str = Field("21:00-08:00", pattern=r"^$|^\d{2}:\d{2}-\d{2}:\d{2}$")
    # How many seconds of sending a campaign may have waiting in the outbox: an opt-out or a
    # pause reaches every message not yet handed over.
    campaign_window_seconds: float = Field(2.0, ge=0.5, le=60)
    # Rupiah per US dollar, for rate cards in USD.
    pricing_usd_idr: float = Field(16_300.0, gt=0)

    # Reports by email: the weekly one on Monday and the monthly one on the 1st, at
    # report_hour in the business time zone, to report_emails (comma-separated; empty: every
    # active owner). Nothing is sent without smtp_host.
    smtp_host: str = ""
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_timeout: float = Field(30.0, gt=0)
    report_emails: str = ""
    # The same reports by WhatsApp (an approved utility template with the PDF) to these
    # comma-separated numbers; empty: none.
    report_whatsapp: str = ""
    # Conversions to Google Analytics 4 (Measurement Protocol); off without both.
    ga4_measurement_id: str = ""
    ga4_api_secret: str = ""
    ga4_endpoint: str = "https://www.google-analytics.com/mp/collect"
    ga4_timeout: float = Field(10.0, gt=0)
    # Backups: a sealed file daily at backup_hour (business time zone) in backup_dir (empty:
    # data_dir/backups), the newest backup_keep kept; checked by a restore into a scratch
    # database. The key comes from backup_passphrase, else data_dir/backup.key.
    backup_enabled: bool = True
    backup_dir: str = ""
    backup_hour: int = Field(2, ge=0, le=23)
    backup_keep: int = Field(7, ge=1, le=365)
    backup_passphrase: str = ""
    # Security alerts (new device, failed sign-ins, mass export, admin at night) by email to
    # alert_emails (comma-separated; empty: every active owner) and by WhatsApp to these
    # numbers while their chat with the business is open (24-hour window).
    alert_emails: str = ""
    alert_whatsapp: str = ""
    report_weekly: bool = True
    report_monthly: bool = True
    report_hour: int = Field(7, ge=0, le=23)

    # Sandbox (the Graph API emulator)
    sandbox: bool = True
    sandbox_webhook_url: str = ""
    sandbox_status_delay: float = 0.2
    sandbox_customers: bool = True
    # The messaging limit tier the sandbox reports for its number (TIER_1K, …, TIER_UNLIMITED).
    sandbox_messaging_limit_tier: str = Field(
        "TIER_1K", pattern=r"^TIER_(50|250|1K|2K|10K|100K|UNLIMITED)$"
    )
    # The sandbox's control API (/sandbox/_control) answers only this token, only on loopback.
    # Empty: a random one is made once and kept in data_dir/sandbox-control-token.
    sandbox_control_token: str = ""
    # The sandbox refuses to run beside a real Meta access token unless this is set.
    sandbox_allow_real_token: bool = False

    # Processes
    demo: bool = False
    embedded_worker: bool = True
    # serve's background work in a child process (False: inside the web process, as in tests).
    worker_process: bool = True
    embedded_dispatch: bool = True
    webhook_batch_max: int = Field(500, ge=1, le=10000)

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'niaga.db').as_posix()}"
        if not self.intake_database_url:
            self.intake_database_url = intake_url_for(self.database_url)
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
        if not self.wa_graph_url:
            self.wa_graph_url = (
                f"{self.public_url}/sandbox" if self.sandbox else "https://graph.facebook.com"
            )
        if not self.sandbox_webhook_url:
            self.sandbox_webhook_url = f"{self.public_url}/webhooks/whatsapp"
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def separate_intake(self) -> bool:
        """Stored webhooks live in a database of their own (:mod:`niaga.inbox.intake_store`)."""
        return self.intake_database_url != self.database_url

    def insecure_defaults(self) -> list[str]:
        """Names of settings that still hold their public default value."""
        found = []
        for name, default in (
            ("NIAGA_SECRET_KEY", DEFAULT_SECRET_KEY),
            ("NIAGA_WA_APP_SECRET", DEFAULT_APP_SECRET),
            ("NIAGA_WA_VERIFY_TOKEN", DEFAULT_VERIFY_TOKEN),
            ("NIAGA_WA_ACCESS_TOKEN", DEFAULT_ACCESS_TOKEN),
        ):
            if getattr(self, name.removeprefix("NIAGA_").lower()) == default:
                found.append(name)
        return found

    def control_token(self) -> str:
        """The sandbox control API's token (made once per data dir when not configured)."""
        if self.sandbox_control_token:
            return self.sandbox_control_token
        path = self.data_dir / "sandbox-control-token"
        try:
            token = path.read_text().strip()
        except FileNotFoundError:
            token = ""
        if len(token) < 32:
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            token = secrets.token_urlsafe(32)
            path.touch(mode=0o600)
            path.write_text(token + "\n")
        return token

    def check_sandbox_token(self) -> None:
        """Refuse the sandbox beside a real access token unless explicitly allowed."""
        if (
            self.sandbox
            and self.wa_access_token != DEFAULT_ACCESS_TOKEN
            and not self.sandbox_allow_real_token
        ):
            raise InsecureConfigError(
                "A real NIAGA_WA_ACCESS_TOKEN is configured while the sandbox is on: set "
                "NIAGA_SANDBOX=0 to talk to Meta, or NIAGA_SANDBOX_ALLOW_REAL_TOKEN=1 to "
                "run the emulator anyway"
            )

    def check_safe_to_start(self) -> None:
        """Refuse production mode with default secrets or with the sandbox on; refuse the
        sandbox beside a real access token in any mode."""
        if self.env != "production":
            self.check_sandbox_token()
            return
        problems = self.insecure_defaults()
        if self.sandbox:
            problems.append("NIAGA_SANDBOX must be 0 in production")
        if self.demo:
            problems.append("NIAGA_DEMO must be 0 in production (the demo's password is public)")
        if problems:
            raise InsecureConfigError(
                "Refusing to start in production with default or unsafe settings: "
                + ", ".join(problems)
            )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
