"""How a message leaves: email over SMTP (SOUK_SMTP_URL), SMS and push through a provider
interface. The logging provider stands in for an SMS gateway or a push service: it logs
each message and keeps the last ones in memory, where an operator (or a test) can read
them; a real gateway implements the same one method."""

from __future__ import annotations

import html
import logging
import smtplib
from collections import deque
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    message_id: str
    channel: str
    recipient: str
    subject: str
    body: str
    unsubscribe_url: str
    open_pixel_url: str
    headers: dict[str, str] = field(default_factory=dict)


class DeliveryFailed(Exception):
    """The provider did not take the message; it may be tried again."""


class Provider(Protocol):
    def send(self, message: Outgoing) -> None: ...


class SmtpProvider:
    """smtp://[user:password@]host:port (STARTTLS when the server offers it) or smtps://."""

    def __init__(self, url: str, *, sender: str, timeout_s: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"SOUK_SMTP_URL must be smtp://host:port or smtps://…, not {url!r}")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.domain = sender.rsplit("@", 1)[-1].strip(">") or "souk.invalid"
        self.timeout_s = timeout_s

    def build(self, message: Outgoing) -> EmailMessage:
        # A long List-Unsubscribe URL must stay one plain header: at the default 78
        # columns it would be folded into encoded words that mail clients cannot follow.
        email = EmailMessage(policy=policy.default.clone(max_line_length=998))
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        # The same on every attempt of one message, so a receiver can drop a duplicate that
        # a lost SMTP answer caused (and no resolver lookup, which make_msgid does).
        email["Message-ID"] = f"<{message.message_id}@{self.domain}>"
        # RFC 8058: a one-click unsubscribe that a mail client POSTs to without a page. A
        # transactional mail (an account's verification link) has none: nothing to opt out of.
        if message.unsubscribe_url:
            email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email["X-Souk-Message"] = message.message_id
        for name, value in message.headers.items():
            email[name] = value
        email.set_content(message.body)
        body = html.escape(message.body).replace("\n", "<br>\n")
        pixel = (
            f'<img src="{html.escape(message.open_pixel_url)}" width="1" height="1" alt="">'
            if message.open_pixel_url
            else ""
        )
        email.add_alternative(f"<html><body>{body}{pixel}</body></html>", subtype="html")
        return email

    def send(self, message: Outgoing) -> None:
        email = self.build(message)
        client_class = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        try:
            with client_class(self.host, self.port, timeout=self.timeout_s) as client:
                if not self.tls:
                    client.ehlo()
                    if client.has_extn("starttls"):
                        client.starttls()
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(email)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port}: {exc}") from exc


class LoggingProvider:
    def __init__(self, channel: str, keep: int = 1000) -> None:
        self.channel = channel
        self.sent: deque[Outgoing] = deque(maxlen=keep)

    def send(self, message: Outgoing) -> None:
        log.info("%s to %s: %s", self.channel, message.recipient, message.body[:200])
        self.sent.append(message)


class NotConfigured:
    def __init__(self, why: str) -> None:
        self.why = why

    def send(self, message: Outgoing) -> None:
        raise DeliveryFailed(self.why)
