"""Sandbox settings; every knob can be changed at runtime through ``PATCH /_control/config``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Never shown by the control API.
SECRET_KNOBS = frozenset({"app_secret", "access_token", "control_token"})
# Fixed at start: where webhooks go, where state is written, who may call.
FIXED_KNOBS = SECRET_KNOBS | {"webhook_url", "public_url", "state_file"}


class SandboxConfig(BaseModel):
    """How the emulated Meta behaves."""

    model_config = ConfigDict(validate_assignment=True)

    app_secret: str = "sandbox-app-secret"
    access_token: str = "sandbox-access-token"
    # The control API answers only requests carrying this token (empty: it answers nobody).
    control_token: str = ""
    webhook_url: str = "http://127.0.0.1:8000/webhooks/whatsapp"
    public_url: str = "http://127.0.0.1:8000/sandbox"
    phone_number_id: str = "106540352242922"
    display_phone_number: str = "6281100000000"
    verified_name: str = "Toko Sari"
    waba_id: str = "102290129340398"
    app_id: str = "1234567890123456"
    catalog_id: str = "194836987003835"  # the commerce catalog connected to the WABA
    api_versions: str = Field(r"^v\d+\.\d+$", description="Regex of accepted Graph versions")

    # Meta's limits (FACTS.md §3.3)
    messages_per_second: float = Field(80, gt=0)
    pair_rate_enabled: bool = True
    pair_rate_burst: int = 45
    pair_rate_seconds: float = 6.0
    window_hours: float = 24.0
    # What GET /{phone-number-id} reports as Meta's messaging limit tier.
    messaging_limit_tier: Literal[
        "TIER_50", "TIER_250", "TIER_1K", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"
    ] = "TIER_1K"
    # What Meta says about the number and the app (``niaga doctor`` reads them; faults to try).
    quality_rating: Literal["GREEN", "YELLOW", "RED", "UNKNOWN"] = "GREEN"
    name_status: Literal[
        "APPROVED", "AVAILABLE_WITHOUT_REVIEW", "PENDING_REVIEW", "DECLINED", "EXPIRED", "NONE"
    ] = "APPROVED"
    token_valid: bool = Field(True, description="False: every call fails with 190 (expired)")
    token_scopes: list[str] = Field(
        default_factory=lambda: ["whatsapp_business_messaging", "whatsapp_business_management"]
    )
    webhooks_subscribed: bool = Field(
        True, description="The app is subscribed to the WABA's webhooks (False: none arrive)"
    )
    groups_api: bool = Field(
        True,
        description="Meta's Groups API is open to this number (an Official Business Account); "
        "False: every groups call is refused",
    )
    not_on_whatsapp_suffix: str = Field(
        "0000", description="Numbers ending like this are not on WhatsApp (131026)"
    )
    not_on_whatsapp: list[str] = Field(
        default_factory=list, description="Further wa_ids that are not on WhatsApp"
    )

    # status webhooks
    statuses_enabled: bool = True
    status_delays: dict[str, float] = {"sent": 0.2, "delivered": 0.5, "read": 1.5}
    read_probability: float = Field(0.9, ge=0, le=1)
    template_review_seconds: float = 1.0

    # faults
    error_rates: dict[str, float] = {}
    http_5xx_rate: float = Field(0.0, ge=0, le=1)
    latency_ms: float = Field(0.0, ge=0)
    latency_jitter_ms: float = Field(0.0, ge=0)
    timeout_rate: float = Field(0.0, ge=0, le=1)
    timeout_seconds: float = 30.0
    timeout_processes: bool = True
    timeout_drop_rate: float = Field(
        0.0, ge=0, le=1, description="Hold the answer, then fail without processing the send"
    )
    async_failure_rate: float = Field(0.0, ge=0, le=1)
    async_failure_code: int = 131049
    webhook_duplicate_rate: float = Field(0.0, ge=0, le=1)
    webhook_drop_rate: float = Field(0.0, ge=0, le=1)
    webhook_reorder: bool = False
    webhook_reorder_window: float = Field(
        0.5, ge=0, description="Seconds of due webhooks held back and shuffled when reordering"
    )
    webhook_max_attempts: int = 5
    webhook_retry_base: float = 0.5

    # simulated customers
    autoreply_delay: float = 0.5
    chatter_per_minute: float = 0.0
    max_log: int = 100_000
    state_file: str | None = Field(
        None, description="Keep simulated customers (and their 24-hour windows) across restarts"
    )

    def public(self) -> dict[str, Any]:
        """Every knob except the secrets."""
        return self.model_dump(exclude=SECRET_KNOBS)

    @classmethod
    def from_settings(cls, settings: Any) -> SandboxConfig:
        """The sandbox that matches Niaga's own settings (same secrets, ids, webhook URL)."""
        return cls(
            app_secret=settings.wa_app_secret,
            access_token=settings.wa_access_token,
            control_token=settings.control_token(),
            webhook_url=settings.sandbox_webhook_url,
            public_url=f"{settings.public_url}/sandbox",
            phone_number_id=settings.wa_phone_number_id,
            display_phone_number=settings.wa_display_phone_number,
            waba_id=settings.wa_business_account_id,
            app_id=settings.wa_app_id,
            state_file=str(settings.data_dir / "sandbox-customers.json"),
            messaging_limit_tier=settings.sandbox_messaging_limit_tier,
            status_delays={
                "sent": settings.sandbox_status_delay,
                "delivered": settings.sandbox_status_delay * 2,
                "read": settings.sandbox_status_delay * 4,
            },
        )
