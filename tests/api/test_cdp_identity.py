"""Identity resolution through HTTP on both back ends: an anonymous visitor who signs in is
one profile; emails and phones are normalised; a shared in-store tablet never joins two
people; a second user id on the same browser is another person; every merge is an edge
with its reason; an unmerge splits a wrong merge back out with its events and orders, and
is not redone by the next message."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from souk.db.engine import Database
from souk.db.outbox import OutboxEvent
from tests.integration.cdp.factories import send, write_key


@pytest.fixture
def track(admin: TestClient) -> Any:
    key = write_key(admin)
    tracker = TestClient(admin.app)

    def call(kind: str, **body: Any) -> None:
        response = send(tracker, f"/v1/{kind}", body, key=key)
        assert response.status_code == 200, response.text

    return call


def _profile(admin: TestClient, **lookup: str) -> dict[str, Any]:
    found = admin.get("/v1/profiles", params=lookup)
    assert found.status_code == 200, found.text
    data = found.json()["data"]
    assert len(data) == 1, data
    return dict(data[0])


def _ids(profile: dict[str, Any]) -> set[tuple[str, str]]:
    return {(i["type"], i["value"]) for i in profile["identities"]}


def _outbox(db: Database, name: str) -> list[dict[str, Any]]:
    with db.transaction(write=False) as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.name == name))
        return [dict(r.payload) for r in rows]


def test_an_anonymous_visitor_who_signs_in_is_one_profile(admin: TestClient, track: Any) -> None:
    track("track", anonymousId="a-1", event="Product Viewed", properties={"sku": "TEE"})
    track(
        "identify",
        anonymousId="a-1",
        userId="u-1",
        traits={"email": " Anne@Example.COM ", "phone": "06 12 34 56 78", "name": "Anne"},
        context={"locale": "fr-FR"},
    )
    by_email = _profile(admin, email="anne@example.com")
    assert _ids(by_email) == {
        ("anonymous_id", "a-1"),
        ("user_id", "u-1"),
        ("email", "anne@example.com"),
        ("phone", "+33612345678"),
    }
    assert by_email["traits"]["name"] == "Anne"
    assert [e["event"] for e in by_email["events"]] == [None, "Product Viewed"]
    # Every identifier finds the same profile; the phone in another spelling too.
    for lookup in ({"phone": "+33 6 12 34 56 78"}, {"user_id": "u-1"}, {"anonymous_id": "a-1"}):
        assert _profile(admin, **lookup)["id"] == by_email["id"]
    direct = admin.get(f"/v1/profiles/{by_email['id']}")
    assert direct.status_code == 200 and direct.json()["id"] == by_email["id"]


def test_a_shared_in_store_tablet_never_joins_two_people(admin: TestClient, track: Any) -> None:
    tablet = {"device": {"id": "tablet-store-paris"}}
    track("identify", anonymousId="t-1", userId="anne", context=tablet, traits={"n": "A"})
    track("identify", anonymousId="t-2", userId="bob", context=tablet, traits={"n": "B"})
    track("track", anonymousId="t-3", event="Product Viewed", context=tablet)
    anne, bob = _profile(admin, user_id="anne"), _profile(admin, user_id="bob")
    walk_in = _profile(admin, anonymous_id="t-3")
    assert len({anne["id"], bob["id"], walk_in["id"]}) == 3
    for profile in (anne, bob, walk_in):
        assert ("device_id", "tablet-store-paris") in _ids(profile)
    assert (anne["traits"], bob["traits"]) == ({"n": "A"}, {"n": "B"})


def test_a_second_user_id_on_the_same_browser_is_another_person(
    admin: TestClient, track: Any
) -> None:
    track("identify", anonymousId="shared-laptop", userId="u-1")
    track("identify", anonymousId="shared-laptop", userId="u-2", traits={"email": "b@x.org"})
    first, second = _profile(admin, user_id="u-1"), _profile(admin, user_id="u-2")
    assert first["id"] != second["id"]
    assert _ids(second) == {("user_id", "u-2"), ("email", "b@x.org")}
    assert ("user_id", "u-2") not in _ids(first)


def test_anonymous_calls_never_merge_and_blocked_values_are_never_identifiers(
    admin: TestClient, track: Any
) -> None:
    track("identify", anonymousId="x-1", userId="u-1", traits={"email": "a@x.org"})
    # An anonymous call naming someone else's email in context traits does not join them.
    track("track", anonymousId="x-2", event="E", context={"traits": {"email": "a@x.org"}})
    assert _profile(admin, anonymous_id="x-2")["id"] != _profile(admin, user_id="u-1")["id"]
    track("identify", anonymousId="x-3", userId="u-3", traits={"email": "null", "phone": "0"})
    assert _ids(_profile(admin, user_id="u-3")) == {("anonymous_id", "x-3"), ("user_id", "u-3")}


def test_a_merge_is_an_edge_with_its_reason_and_an_unmerge_splits_it_back_out(
    admin: TestClient, track: Any, db: Database
) -> None:
    # Anne on her laptop; a phone browses anonymously; then she signs in on the phone.
    track("identify", anonymousId="laptop", userId="anne", traits={"email": "anne@x.org"})
    track("track", anonymousId="phone", event="Product Viewed", properties={"sku": "CAP"})
    track("identify", anonymousId="phone", userId="anne", traits={"plan": "gold"})
    anne = _profile(admin, user_id="anne")
    assert _ids(anne) >= {("anonymous_id", "laptop"), ("anonymous_id", "phone")}
    assert anne["traits"] == {"email": "anne@x.org", "plan": "gold"}
    merges = admin.get(f"/v1/profiles/{anne['id']}/merges").json()
    assert len(merges["merges"]) == 1
    edge = merges["merges"][0]
    assert (edge["into"], edge["reason"], edge["identity"], edge["undone_at"]) == (
        anne["id"], "identify", {"type": "anonymous_id", "value": "phone"}, None,
    )  # fmt: skip
    assert _outbox(db, "profile.merged") == [
        {"profile": anne["id"], "merged": edge["merged"], "reason": "identify",
         "identity": "anonymous_id"},
    ]  # fmt: skip

    # The phone was someone else's after all: split it back out.
    split = admin.post(
        f"/v1/profiles/{anne['id']}/unmerge",
        json={"identity": {"type": "anonymous_id", "value": "phone"}},
    )
    assert split.status_code == 200, split.text
    body = split.json()
    restored, kept = body["restored"], body["profile"]
    assert restored["id"] == edge["merged"]
    assert _ids(restored) == {("anonymous_id", "phone")}
    assert [e["event"] for e in restored["events"]] == ["Product Viewed"]
    assert restored["traits"] == {}
    assert ("anonymous_id", "phone") not in _ids(kept)
    assert all(e["event"] != "Product Viewed" for e in kept["events"])
    assert kept["traits"] == {"email": "anne@x.org", "plan": "gold"}
    after = admin.get(f"/v1/profiles/{anne['id']}/merges").json()["merges"]
    assert after[0]["undone_at"] is not None
    assert len(_outbox(db, "profile.unmerged")) == 1
    # The next message from that phone signed in as Anne does not redo the undone merge.
    track("identify", anonymousId="phone", userId="anne")
    assert _profile(admin, anonymous_id="phone")["id"] == restored["id"]


def test_bad_unmerge_and_lookup_requests_are_clear_and_change_nothing(
    admin: TestClient, track: Any
) -> None:
    track("identify", anonymousId="a", userId="u")
    profile = _profile(admin, user_id="u")
    path = f"/v1/profiles/{profile['id']}/unmerge"
    not_held = admin.post(path, json={"identity": {"type": "email", "value": "z@x.org"}})
    own = admin.post(path, json={"identity": {"type": "user_id", "value": "u"}})
    bad_type = admin.post(path, json={"identity": {"type": "shoe_size", "value": "42"}})
    unknown = admin.post(
        "/v1/profiles/prof_nope/unmerge", json={"identity": {"type": "user_id", "value": "u"}}
    )
    assert [r.status_code for r in (not_held, own, bad_type, unknown)] == [422, 409, 422, 404]
    assert not_held.json()["type"].endswith("/validation-error")
    assert admin.get("/v1/profiles").status_code == 422
    assert admin.get("/v1/profiles", params={"email": "a@x", "user_id": "u"}).status_code == 422
    assert admin.get("/v1/profiles", params={"email": "nobody@x.org"}).json()["data"] == []
    assert _ids(_profile(admin, user_id="u")) == _ids(profile)
