"""The mails of an account's life: the link that confirms a registration, and the notice to
an existing account that someone tried to register with its email.

They leave through engagement's email provider (SMTP at `SOUK_SMTP_URL`), but not through
its queue: they are transactional (no consent, quiet hours or frequency cap applies) and are
sent after the registration's commit, off the request (the answer must not wait on SMTP,
nor take longer for one kind of mail than the other). Without `SOUK_SMTP_URL` they are
logged and kept in memory (`LoggingProvider`), so a developer can sign up on a laptop."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

from souk.db.base import new_id
from souk.engagement.providers import (
    DeliveryFailed,
    LoggingProvider,
    Outgoing,
    Provider,
    SmtpProvider,
)
from souk.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccountMailText:
    subject: str
    body: str


VERIFY = AccountMailText(
    subject="Confirm your email to finish signing up",
    body=(
        "Hello,\n\nSomeone (we hope you) asked to create an account with this email.\n"
        "Open this link to confirm it and sign in:\n\n{link}\n\n"
        "Or enter this code on the sign-up page: {token}\n\n"
        "The link works once, until {expires}. If you did not ask for an account, ignore this "
        "mail: nothing is created until the link is opened."
    ),
)
ALREADY_REGISTERED = AccountMailText(
    subject="Someone tried to register with your email",
    body=(
        "Hello,\n\nSomeone tried to create an account with this email, which already has one.\n"
        "If it was you, sign in instead: {link}\n\n"
        "If it was not you, you need do nothing: your account has not changed."
    ),
)


class AccountMail:
    def __init__(self, provider: Provider, *, public_url: str) -> None:
        self.provider = provider
        self.public_url = public_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountMail:
        provider: Provider
        if settings.smtp_url:
            provider = SmtpProvider(settings.smtp_url, sender=settings.smtp_from)
        else:
            log.warning("SOUK_SMTP_URL is not set: account verification mails are only logged")
            provider = LoggingProvider("email")
        return cls(provider, public_url=settings.public_address)

    def verification(self, *, to: str, token: str, expires: str) -> Outgoing:
        link = f"{self.public_url}/shop/account?verify={quote(token)}"
        return self._outgoing(to, VERIFY, link=link, token=token, expires=expires)

    def already_registered(self, *, to: str) -> Outgoing:
        return self._outgoing(to, ALREADY_REGISTERED, link=f"{self.public_url}/shop/account")

    def _outgoing(self, to: str, text: AccountMailText, **values: str) -> Outgoing:
        return Outgoing(
            message_id=new_id("acm"),
            channel="email",
            recipient=to,
            subject=text.subject,
            body=text.body.format(**values),
            unsubscribe_url="",
            open_pixel_url="",
            headers={"Auto-Submitted": "auto-generated"},
        )

    def send(self, message: Outgoing) -> None:
        """Called after the answer has gone; a refused mail is logged, and the shopper who
        gets no mail registers again (a new link)."""
        try:
            self.provider.send(message)
        except DeliveryFailed as exc:
            log.warning("account mail %s not sent: %s", message.message_id, exc)
