"""The privacy notice customers read (``/privasi``): the owner's own words, or a sound
default naming what Niaga keeps, why, for how long, and the customer's rights."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from niaga.privacy.models import PrivacyNotice
from niaga.privacy.retention import Retention
from niaga.security import audit

HERE = Path(__file__).resolve().parent

DEFAULT_ID = (HERE / "notice_id.txt").read_text(encoding="utf-8")

DEFAULT_EN = (HERE / "notice_en.txt").read_text(encoding="utf-8")


def _retention_text(rules: Retention, locale: str) -> str:
    if locale == "id":
        parts = [
            f"isi pesan {rules.message_content_days} hari"
            if rules.message_content_days
            else "isi pesan selama Anda menjadi pelanggan",
            f"pelanggan yang tidak aktif dihapus setelah {rules.inactive_customer_days} hari"
            if rules.inactive_customer_days
            else "data pelanggan sampai Anda meminta penghapusan",
        ]
    else:
        parts = [
            f"message contents {rules.message_content_days} days"
            if rules.message_content_days
            else "message contents while you are a customer",
            f"inactive customers erased after {rules.inactive_customer_days} days"
            if rules.inactive_customer_days
            else "customer data until you ask for erasure",
        ]
    return "; ".join(parts) + "."


def texts(session: Session, shop: str, rules: Retention) -> dict[str, str]:
    """The notice in Bahasa Indonesia and English (the owner's, else the default)."""
    row = session.get(PrivacyNotice, 1)
    own = {"id": row.body_id, "en": row.body_en} if row is not None else {"id": "", "en": ""}
    defaults = {"id": DEFAULT_ID, "en": DEFAULT_EN}
    return {
        locale: (own[locale].strip() or defaults[locale]).format_map(
            _Safe(shop=shop, retention=_retention_text(rules, locale))
        )
        for locale in ("id", "en")
    }


class _Safe(dict[str, str]):
    """Leaves ``{unknown}`` braces an owner typed as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def do_save(session: Session, body_id: str, body_en: str, user_id: int | None) -> None:
    """Keep the owner's notice (empty: the default again)."""
    row = session.get(PrivacyNotice, 1) or PrivacyNotice(id=1)
    row.body_id, row.body_en, row.updated_by_user_id = body_id[:20000], body_en[:20000], user_id
    session.add(row)
    audit.record(session, "settings.changed", target=("settings", "privacy_notice"))
