"""The account mails an app sent, read back as a shopper reads their inbox.

Without `SOUK_SMTP_URL` the app keeps them in its logging provider (souk.customers.mail);
with it they go to a real SMTP server (the engagement tests' aiosmtpd inbox)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from souk.engagement.providers import LoggingProvider, Outgoing

LINK_TOKEN = re.compile(r"[?&]verify=([A-Za-z0-9_-]+)")


def sent_to(app: FastAPI, email: str) -> list[Outgoing]:
    provider = app.state.account_mail.provider
    assert isinstance(provider, LoggingProvider), "this app sends account mails over SMTP"
    return [message for message in provider.sent if message.recipient == email]


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
