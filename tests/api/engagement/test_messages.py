"""Journeys through HTTP, messages over a real SMTP server (aiosmtpd), on both back ends:
nothing leaves without consent, the email carries a one-click unsubscribe (RFC 8058) that
records the withdrawal, opens and clicks come back to the profile, a personal coupon is
minted once per message, and a consent withdrawn while a message waits stops it."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.settings import Settings
from tests.engagement_factories import (
    Inbox,
    consent,
    html_of,
    journey,
    messages,
    order_profile,
    sender,
    text_of,
)
from tests.fulfilment_factories import FrenchShop


def _promotion(admin: TestClient) -> str:
    body = {
        "name": "Thank-you coupon",
        "coupon_required": True,
        "conditions": {},
        "actions": [{"type": "percent_off", "target": "lines", "value": "10"}],
        "priority": 1,
        "stacking": "combinable",
    }
    created = admin.post("/v1/promotions", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "souk.test", url
    return parts.path


def test_no_consent_no_mail_then_mail_with_unsubscribe_tracking_and_coupon(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    promotion = _promotion(fr.admin)
    made = journey(fr.admin, coupon_promotion=promotion)
    profile = order_profile(fr)
    send = sender(db, settings)

    # No consent yet: the first order's message is suppressed, nothing reaches SMTP.
    assert send.send_due() == 0
    assert mail.messages == []
    [first] = messages(fr.admin, profile)
    assert first["status"] == "suppressed"
    assert first["reason"] == "no marketing consent for email"
    assert first["journey"] == made["id"] and first["trigger"] == "order.placed"

    consent(fr.admin, profile, granted=True)
    order = fr.web_order(("CAP", 1))
    assert send.send_due() == 1
    [email] = mail.messages
    assert mail.recipients == [["anne@example.com"]]
    assert email["Subject"] == f"Thank you for order {order['number']}"
    unsubscribe = email["List-Unsubscribe"].strip("<>")
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_of(email)
    assert f"order {order['number']} is placed" in text
    assert "https://shop.example.com/orders" not in text  # rewritten to the click tracker

    sent = messages(fr.admin, profile)[1]
    assert sent["status"] == "sent" and sent["recipient"] == "anne@example.com"
    assert sent["locale"] == "en" and sent["sent_at"] is not None
    code = sent["coupon_code"]
    assert code and f"Your code: {code}" in text
    codes = fr.admin.get(f"/v1/promotions/{promotion}/codes.csv").text
    assert code in codes and codes.count("\n") == 2  # header + this one code

    # The open pixel and the tracked link.
    pixel = html_of(email).split('<img src="')[1].split('"')[0]
    opened = fr.admin.get(_path(pixel))
    assert opened.status_code == 200 and opened.headers["content-type"] == "image/gif"
    click = next(w for w in text.split() if "/v1/t/c/" in w)
    followed = fr.admin.get(_path(click), follow_redirects=False)
    assert followed.status_code == 302
    assert followed.headers["location"] == "https://shop.example.com/orders"
    after = messages(fr.admin, profile)[1]
    assert (after["opens"], after["clicks"]) == (1, 1)
    assert after["first_opened_at"] and after["first_clicked_at"]
    events = [e["event"] for e in fr.admin.get(f"/v1/profiles/{profile}").json()["events"]]
    assert "Email Opened" in events and "Email Link Clicked" in events

    # One-click unsubscribe, as a mail client sends it; twice changes nothing more.
    for _ in range(2):
        posted = fr.admin.post(
            _path(unsubscribe),
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert posted.status_code == 200, posted.text
    shown = fr.admin.get(f"/v1/profiles/{profile}").json()
    current = {(c["purpose"], c["channel"]): c for c in shown["consents"]}
    assert current[("marketing", "email")]["granted"] is False
    assert current[("marketing", "email")]["source"].startswith("one-click unsubscribe")
    withdrawals = [c for c in shown["consent_history"] if not c["granted"]]
    assert len(withdrawals) == 1
    assert messages(fr.admin, profile)[1]["unsubscribed_at"] is not None

    fr.web_order(("CAP", 1))
    assert send.send_due() == 0
    assert len(mail.messages) == 1
    assert messages(fr.admin, profile)[2]["status"] == "suppressed"


def test_consent_withdrawn_while_queued_stops_the_message(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    journey(fr.admin, delay_s=3600)
    profile = order_profile(fr)
    consent(fr.admin, profile, granted=True)
    fr.web_order(("CAP", 1))
    send = sender(db, settings)
    assert send.send_due() == 0  # not due for an hour
    queued = [m for m in messages(fr.admin, profile) if m["status"] == "queued"]
    assert len(queued) == 2

    consent(fr.admin, profile, granted=False)
    assert send.send_due(now=utcnow() + timedelta(hours=2)) == 0
    assert mail.messages == []
    assert {m["status"] for m in messages(fr.admin, profile)} == {"suppressed"}


def test_frequency_cap_per_profile(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    journey(fr.admin)
    profile = order_profile(fr)
    consent(fr.admin, profile, granted=True)
    send = sender(db, settings)
    send.send_due()  # the first order's message: consent was given before the sender ran
    for _ in range(3):
        fr.web_order(("CAP", 1))
        send.send_due()
    statuses = [m["status"] for m in messages(fr.admin, profile)]
    assert statuses == ["sent", "sent", "sent", "suppressed"], messages(fr.admin, profile)
    assert len(mail.messages) == 3
    assert messages(fr.admin, profile)[-1]["reason"] == "frequency cap: 3 a day"
