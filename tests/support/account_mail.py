"""The account mails an app sent, read back as a shopper reads their inbox.

Without `SOUK_SMTP_URL` the app keeps them in its logging provider (souk.customers.mail);
with it they go to a real SMTP server (the engagement tests' aiosmtpd inbox)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from souk.engagement.providers import LoggingProvider, Outgoing

LINK_TOKEN = re.compile(r"[?&]verify=([A-Za-z0-9_-]+)")


# Text bodies of what the tests' SMTP inboxes received, by recipient (see `watch`): an app
# with `SOUK_SMTP_URL` set sends its account mails there, not to its logging provider.
_smtp_inboxes: list[Callable[[str], list[str]]] = []


def watch(bodies_to: Callable[[str], list[str]]) -> Callable[[], None]:
    """Let `sent_to` read an SMTP inbox too; returns the call that stops it."""
    _smtp_inboxes.append(bodies_to)
    return lambda: _smtp_inboxes.remove(bodies_to)


def sent_to(app: FastAPI, email: str) -> list[Outgoing]:
    provider = app.state.account_mail.provider
    if isinstance(provider, LoggingProvider):
        return [message for message in provider.sent if message.recipient == email]
    assert _smtp_inboxes, "this app sends account mails over SMTP, and no inbox is watched"
    return [
        Outgoing(
            message_id="",
            channel="email",
            recipient=email,
            subject="",
            body=body,
            unsubscribe_url="",
            open_pixel_url="",
        )
        for bodies_to in _smtp_inboxes
        for body in bodies_to(email)
    ]


def token_in(text: str) -> str:
    found = LINK_TOKEN.search(text)
    assert found is not None, f"no verification link in {text!r}"
    return found.group(1)


def verification_token(app: FastAPI, email: str) -> str:
    """The token of the last verification link mailed to `email`."""
    mails = [m for m in sent_to(app, email) if "verify=" in m.body]
    assert mails, f"no verification mail to {email}"
    return token_in(mails[-1].body)


def open_account(store: TestClient, email: str, password: str) -> dict[str, Any]:
    """Register with a storefront client (publishable key in its headers) and open the
    emailed link, as a shopper does: the signed-in session."""
    registered = store.post("/v1/customers/register", json={"email": email, "password": password})
    assert registered.status_code == 202, registered.text
    token = verification_token(store.app, email.lower())  # type: ignore[arg-type]
    verified = store.post("/v1/customers/verify", json={"token": token})
    assert verified.status_code == 201, verified.text
    session: dict[str, Any] = verified.json()
    return session
