"""Privacy requests over the CDP through HTTP on both back ends: an export holds every
datum the CDP keeps about the person; after an erasure, no CDP table — no column of any
cdp_* table, event payloads included — contains their email, phone or name."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from souk.db.engine import Database
from souk.db.tables_index import metadata
from tests.integration.cdp.factories import send, write_key

PERSONAL = ("anne.secret@example.com", "+33612345678", "Anne Secretname")


@pytest.fixture
def anne(admin: TestClient) -> str:
    key = write_key(admin)
    tracker = TestClient(admin.app)
    calls = [
        ("/v1/track", {"anonymousId": "p-1", "event": "Product Viewed",
                       "properties": {"note": "for Anne Secretname"}}),
        ("/v1/identify", {"anonymousId": "p-1", "userId": "anne-77", "traits": {
            "email": "Anne.Secret@example.com", "phone": "+33 6 12 34 56 78",
            "name": "Anne Secretname"}}),
        ("/v1/identify", {"anonymousId": "p-2", "userId": "anne-77"}),
    ]  # fmt: skip
    for path, body in calls:
        assert send(tracker, path, body, key=key).status_code == 200
    found = admin.get("/v1/profiles", params={"email": PERSONAL[0]}).json()["data"]
    consent = [{"purpose": "marketing", "channel": "sms", "granted": True, "source": "form"}]
    assert admin.put(f"/v1/profiles/{found[0]['id']}/consents", json=consent).status_code == 200
    return str(found[0]["id"])


def _cdp_text(db: Database) -> str:
    dump = []
    with db.transaction(write=False) as session:
        for table in metadata().sorted_tables:
            if table.name.startswith("cdp_"):
                dump += [
                    json.dumps(list(row), default=str) for row in session.execute(select(table))
                ]
    return "\n".join(dump)


def test_an_export_holds_what_the_cdp_knows(admin: TestClient, anne: str) -> None:
    exported = admin.post("/v1/privacy/requests", json={"type": "export", "email": PERSONAL[0]})
    assert exported.status_code == 200, exported.text
    body = exported.json()
    assert body["profile"] == anne
    data = body["data"]
    assert {(i["type"], i["value"]) for i in data["identities"]} >= {
        ("email", PERSONAL[0]), ("phone", PERSONAL[1]), ("user_id", "anne-77"),
    }  # fmt: skip
    assert data["traits"]["name"] == PERSONAL[2]
    assert len(data["events"]) == 3 and data["consents"][0]["channel"] == "sms"


def test_after_erasure_no_cdp_column_holds_the_person(
    admin: TestClient, anne: str, db: Database
) -> None:
    before = _cdp_text(db).lower()
    assert all(p.lower() in before for p in PERSONAL)
    erased = admin.post("/v1/privacy/requests", json={"type": "erase", "profile": anne})
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"]["events"] == 3
    text = _cdp_text(db).lower()
    assert [p for p in PERSONAL if p.lower() in text] == []
    assert "anne-77" not in text
    assert admin.get("/v1/profiles", params={"email": PERSONAL[0]}).json()["data"] == []


def test_a_privacy_request_names_one_person_exactly(admin: TestClient) -> None:
    neither = admin.post("/v1/privacy/requests", json={"type": "erase"})
    unknown = admin.post("/v1/privacy/requests", json={"type": "export", "email": "no@x.org"})
    assert (neither.status_code, unknown.status_code) == (422, 404)
