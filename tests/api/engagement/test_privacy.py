"""Engagement in privacy requests, through HTTP on both back ends: the export holds every
message queued for the person (what it said, to which address, its opens and unsubscribe
link) and the journeys those messages enrolled them in; the erasure cancels what still
waits, empties what was said and to whom, and makes the links in delivered mail dead —
and the sender then sends nothing more to them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.settings import Settings
from tests.api.test_privacy_everywhere import everything
from tests.engagement_factories import (
    Inbox,
    consent,
    html_of,
    journey,
    messages,
    order_profile,
    sender,
)
from tests.fulfilment_factories import FrenchShop

EMAIL = "anne@example.com"


def _privacy(admin: TestClient, kind: str, **who: str) -> dict[str, object]:
    answer = admin.post("/v1/privacy/requests", json={"type": kind, **who})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _sent_and_queued(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> tuple[str, dict[str, str], str]:
    """Anne, who consented: one message sent and opened, one waiting for an hour."""
    mail, _ = inbox
    thanks = journey(fr.admin)
    journey(fr.admin, name="Later", delay_s=3600)
    profile = order_profile(fr)
    send = sender(db, settings)
    assert send.send_due() == 0  # the first order's thanks: no consent yet, suppressed
    consent(fr.admin, profile, granted=True)
    fr.web_order(("CAP", 1))
    assert send.send_due() == 1
    [email] = mail.messages
    pixel = urlsplit(html_of(email).split('<img src="')[1].split('"')[0]).path
    assert fr.admin.get(pixel).status_code == 200
    return profile, {"thanks": thanks["id"], "unsubscribe": email["List-Unsubscribe"]}, pixel


def test_the_export_holds_the_persons_messages_and_journeys(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    profile, seen, _ = _sent_and_queued(fr, db, settings, inbox)
    exported = _privacy(fr.admin, "export", email=EMAIL)
    data = exported["data"]
    assert isinstance(data, dict)
    shown = {m["id"]: m for m in messages(fr.admin, profile)}
    by_status: dict[str, list[dict[str, object]]] = {}
    for message in data["messages"]:
        by_status.setdefault(str(message["status"]), []).append(message)
    # Every message queued for her, as the messages API shows it, plus what it said
    assert {m["id"] for m in data["messages"]} == set(shown)
    assert sorted(by_status) == ["queued", "sent", "suppressed"]
    [sent] = by_status["sent"]
    assert {k: v for k, v in sent.items() if k in shown[sent["id"]]} == shown[sent["id"]]
    assert sent["recipient"] == EMAIL and sent["opens"] == 1
    assert sent["journey"] == seen["thanks"] and "is placed" in str(sent["body"])
    assert f"<{sent['unsubscribe_url']}>" == seen["unsubscribe"]
    assert all(m["profile"] == profile for m in data["messages"])
    assert {j["name"] for j in data["journeys"]} == {"Thanks", "Later"}
    assert data["experiment_exposures"] == []
    # Her tracked open is among the profile's events too
    assert "Email Opened" in [e.get("event") for e in data["events"]]


def test_erasure_cancels_what_waits_and_kills_the_links(
    fr: FrenchShop, db: Database, settings: Settings, inbox: tuple[Inbox, int]
) -> None:
    mail, _ = inbox
    profile, seen, pixel = _sent_and_queued(fr, db, settings, inbox)
    before = messages(fr.admin, profile)
    erased = _privacy(fr.admin, "erase", email=EMAIL)["erased"]
    assert isinstance(erased, dict)
    assert erased["messages"] == len(before) and erased["messages_cancelled"] == 2
    after = {m["id"]: m for m in messages(fr.admin, profile)}
    assert set(after) == {m["id"] for m in before}
    for message in after.values():
        assert message["recipient"] is None and message["subject"] is None
        assert message["first_opened_at"] is None
    statuses = sorted(m["status"] for m in after.values())
    assert statuses == ["cancelled", "cancelled", "sent", "suppressed"]
    assert {m["reason"] for m in after.values() if m["status"] == "cancelled"} == {
        "the person's data was erased"
    }
    # The unsubscribe link in the mail she got leads nowhere now
    unsubscribe = urlsplit(seen["unsubscribe"].strip("<>")).path
    assert fr.admin.post(unsubscribe).status_code == 404
    assert fr.admin.get(pixel.replace("/t/o/", "/t/c/").replace(".gif", "/0")).status_code == 404
    # Nothing more leaves for her, even when the waiting messages fall due
    assert sender(db, settings).send_due(now=utcnow() + timedelta(hours=2)) == 0
    assert len(mail.messages) == 1
    # No message row holds her address or what was said to her
    rows = everything(db)["engagement_messages"]
    assert not [v for v in rows if EMAIL in v or "is placed" in v]
