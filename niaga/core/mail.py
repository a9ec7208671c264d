"""Email through the configured SMTP server (``NIAGA_SMTP_*``): reports and security alerts."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from niaga.core.config import Settings


def configured(settings: Settings) -> bool:
    """Whether Niaga may send email at all."""
    return bool(settings.smtp_host)


def new_message(settings: Settings, to: str, subject: str, text: str) -> EmailMessage:
    """A plain-text message from Niaga's sender address."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from or settings.smtp_user or "niaga@localhost"
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="niaga.local")
    message.set_content(text)
    return message


def send(settings: Settings, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server (TLS as configured); raises on refusal."""
    smtp: smtplib.SMTP
    if settings.smtp_security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=settings.smtp_timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)
