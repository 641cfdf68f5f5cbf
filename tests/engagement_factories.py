"""Engagement test helpers: a real SMTP server (aiosmtpd) on a free local port, the French
shop with a customer whose profile exists, and the sender driven by hand with a clock."""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.engagement.sending import Rules, Sender
from souk.engagement.worker import build_providers
from souk.settings import Settings
from tests.fulfilment_factories import FrenchShop
from tests.support.account_mail import watch

TEMPLATE = {
    "en": {
        "subject": "Thank you for order {{ order.number }}",
        "body": "Hello {{ profile.email }}, order {{ order.number }} is placed.\n"
        "{% if coupon %}Your code: {{ coupon.code }}\n{% endif %}"
        "Track it: https://shop.example.com/orders\nUnsubscribe: {{ unsubscribe_url }}",
    },
    "fr": {
        "subject": "Merci pour la commande {{ order.number }}",
        "body": "Bonjour, la commande {{ order.number }} est passée. {{ unsubscribe_url }}",
    },
}


@dataclass
class Inbox:
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    account_mails: list[tuple[Message, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        message = email.message_from_bytes(raw)
        # Account mails (a registration's link, sent with Auto-Submitted) are kept apart:
        # the engagement tests count the messages journeys send.
        if message.get("Auto-Submitted"):
            self.account_mails.append((message, list(envelope.rcpt_tos)))
            return "250 Message accepted for delivery"
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def bodies_to(self, address: str) -> list[str]:
        return [text_of(m) for m, to in self.account_mails if address in [t.lower() for t in to]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    stop_watching = watch(handler.bodies_to)
    yield handler, port
    stop_watching()
    controller.stop()


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def html_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no html part")


def sender(db: Database, settings: Settings) -> Sender:
    return Sender(db, Rules.from_settings(settings), build_providers(settings))


def journey(admin: TestClient, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Thanks",
        "trigger": "order.placed",
        "delay_s": 0,
        "channel": "email",
        "template": TEMPLATE,
        **changes,
    }
    created = admin.post("/v1/journeys", json=body)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


def profile_of(admin: TestClient, email_address: str) -> dict[str, Any]:
    found = admin.get("/v1/profiles", params={"email": email_address})
    assert found.status_code == 200, found.text
    data = found.json()["data"]
    assert len(data) == 1, data
    result: dict[str, Any] = data[0]
    return result


def consent(admin: TestClient, profile: str, granted: bool, channel: str = "email") -> None:
    body = [{"purpose": "marketing", "channel": channel, "granted": granted, "source": "test"}]
    put = admin.put(f"/v1/profiles/{profile}/consents", json=body)
    assert put.status_code == 200, put.text


def messages(admin: TestClient, profile: str) -> list[dict[str, Any]]:
    listed = admin.get("/v1/messages", params={"profile": profile})
    assert listed.status_code == 200, listed.text
    data: list[dict[str, Any]] = listed.json()["data"]
    return sorted(data, key=lambda m: m["created_at"])


def order_profile(fr: FrenchShop) -> str:
    """Anne's first order: it makes her profile (email identity), with no consent yet."""
    fr.web_order(("MUG", 1))
    return str(profile_of(fr.admin, "anne@example.com")["id"])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def engagement_settings(settings: Settings, smtp_port: int, **more: Any) -> Settings:
    """The shared test settings, with mail going to the test's own SMTP server, no quiet
    hours unless a test sets them, and links under a public https address."""
    return settings.model_copy(
        update={
            "smtp_url": f"smtp://127.0.0.1:{smtp_port}",
            "public_url": "https://souk.test",
            "engagement_quiet_hours": "00:00-00:00",
            "engagement_max_per_day": 3,
            **more,
        }
    )
