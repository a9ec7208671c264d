"""The second factor: TOTP (RFC 6238, any authenticator app), one-time recovery codes and
remembered devices.

A TOTP secret is kept encrypted (security.crypto). A code is accepted within one 30-second
step either side, and never twice: the last step used is stored, so a code seen over a
shoulder is worthless once used. Ten recovery codes are shown once when the factor is turned
on (only their SHA-256 is stored); each works once. A remembered device holds a random cookie
(its SHA-256 stored) that skips the factor there until it expires or is forgotten.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from niaga.core import clock
from niaga.core.errors import DomainError
from niaga.core.tokens import readable_code
from niaga.security import audit, crypto
from niaga.security.models import RecoveryCode, TrustedDevice, User

RECOVERY_CODES = 10
STEP = 30
DEVICE_COOKIE = "niaga_device"
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class TwoFactorError(DomainError):
    """A second-factor change that cannot be made."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _normal(code: str) -> str:
    return "".join(code.lower().split()).replace("-", "")


def is_enabled(user: User) -> bool:
    return user.totp_secret is not None


def do_begin(session: Session, user: User, issuer: str) -> tuple[str, str]:
    """A new secret waiting for its first code; returns it and the ``otpauth://`` URI that
    an authenticator app scans."""
    secret = pyotp.random_base32()
    user.totp_pending = crypto.encrypt(secret)
    session.flush()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def pending(user: User, issuer: str) -> tuple[str, str] | None:
    """The waiting secret and its URI (to show the QR code again), if any."""
    if user.totp_pending is None:
        return None
    secret = crypto.decrypt(user.totp_pending)
    return secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to (now ± one step), if not used before."""
    code = _normal(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(clock.now().timestamp()) // STEP
    for step in (now_step, now_step - 1, now_step + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return None if last_step is not None and step <= last_step else step
    return None


def do_confirm(session: Session, user: User, code: str) -> list[str]:
    """Turn the factor on with the first code from the app; returns the recovery codes."""
    if user.totp_pending is None:
        raise TwoFactorError("2fa_not_started", "Start again: scan the new QR code.")
    secret = crypto.decrypt(user.totp_pending)
    step = _matching_step(secret, code, None)
    if step is None:
        raise TwoFactorError(
            "2fa_code_wrong",
            "That code is wrong or expired. Check the phone's clock and try the newest code.",
            field="code",
        )
    user.totp_secret, user.totp_pending = user.totp_pending, None
    user.totp_enabled_at, user.totp_last_step = clock.now(), step
    audit.record(session, "2fa.enabled", target=("user", user.id))
    return _new_codes(session, user)


def _new_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = readable_code(10, _ALPHABET)
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_sha(raw)))
    session.flush()
    return codes


def do_new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the recovery codes (the old ones stop working)."""
    if not is_enabled(user):
        raise TwoFactorError("2fa_off", "Turn on the second factor first.")
    audit.record(session, "2fa.recovery_codes", target=("user", user.id))
    return _new_codes(session, user)


def do_disable(session: Session, user: User) -> None:
    """Turn the factor off (by the person, or an owner resetting a lost phone)."""
    user.totp_secret = user.totp_pending = None
    user.totp_enabled_at = user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(TrustedDevice).where(TrustedDevice.user_id == user.id))
    audit.record(session, "2fa.disabled", target=("user", user.id))


def do_check(session: Session, user: User, code: str) -> str | None:
    """Accept a code from the app or a recovery code: ``"totp"``, ``"recovery"`` or None.

    The step used is stored at once (under a row lock on PostgreSQL), so two requests with
    the same code cannot both pass; a recovery code is spent the same way.
    """
    if user.totp_secret is None:
        return None
    normal = _normal(code)
    if len(normal) == 6 and normal.isdigit():
        step = _matching_step(crypto.decrypt(user.totp_secret), normal, user.totp_last_step)
        if step is None:
            return None
        took = session.execute(
            update(User)
            .where(User.id == user.id)
            .where((User.totp_last_step.is_(None)) | (User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not took:
            return None
        user.totp_last_step = step
        return "totp"
    spent = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _sha(normal))
        .where(RecoveryCode.used_at.is_(None))
        .values(used_at=clock.now())
    ).rowcount
    if not spent:
        return None
    left = remaining_codes(session, user)
    audit.record(
        session, "2fa.recovery_used", target=("user", user.id), details={"codes_left": left}
    )
    return "recovery"


def remaining_codes(session: Session, user: User) -> int:
    return len(
        list(
            session.scalars(
                select(RecoveryCode.id).where(
                    RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
                )
            )
        )
    )


# ------------------------------------------------------------------------ devices


def do_remember(
    session: Session, user: User, *, days: int, user_agent: str | None, ip: str | None
) -> str:
    """Remember this browser for ``days``; returns the cookie's secret."""
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    device = TrustedDevice(
        user_id=user.id,
        token_hash=_sha(secret),
        user_agent=(user_agent or "")[:300] or None,
        ip=ip,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(device)
    session.flush()
    audit.record(
        session,
        "2fa.device_remembered",
        target=("user", user.id),
        details={"device": device.user_agent or "", "days": days},
    )
    return secret


def remembered(session: Session, user: User, secret: str | None) -> TrustedDevice | None:
    """The live remembered device of ``user`` for a cookie's secret, else None."""
    if not secret:
        return None
    device = session.scalars(
        select(TrustedDevice).where(
            TrustedDevice.token_hash == _sha(secret), TrustedDevice.user_id == user.id
        )
    ).first()
    if device is None or device.expires_at <= clock.now():
        return None
    return device


def devices(session: Session, user_id: int) -> list[TrustedDevice]:
    """A user's remembered devices that have not expired, newest first."""
    return list(
        session.scalars(
            select(TrustedDevice)
            .where(TrustedDevice.user_id == user_id, TrustedDevice.expires_at > clock.now())
            .order_by(TrustedDevice.created_at.desc())
        )
    )


def do_forget_device(session: Session, user_id: int, device_id: int) -> bool:
    """Forget one remembered device (the next sign-in there asks for a code again)."""
    gone = session.execute(
        delete(TrustedDevice).where(TrustedDevice.id == device_id, TrustedDevice.user_id == user_id)
    ).rowcount
    if gone:
        audit.record(
            session, "2fa.device_forgotten", target=("user", user_id), details={"device": device_id}
        )
    return bool(gone)


def current_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator shows for ``secret`` now (tests, the CLI's self-check)."""
    return pyotp.TOTP(secret).at(int(at if at is not None else clock.now().timestamp()))
