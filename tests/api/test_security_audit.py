"""The audit log: every admin and POS action, whatever its outcome, with who, what, when
and from where; read back by an admin only, newest first, filtered and paged."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db import sealing
from souk.db.base import utcnow
from souk.db.engine import Database
from tests.catalog_factories import make_channel
from tests.console_factories import make_staff, sign_in, signed_in
from tests.fulfilment_factories import FrenchShop, french_shop
from tests.support.server import SOUK


def _log(admin: TestClient, **query: Any) -> list[dict[str, Any]]:
    response = admin.get("/v1/audit-log", params={"limit": 200, **query})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def test_an_admin_action_is_logged_with_who_what_when_and_where(admin: TestClient) -> None:
    before = utcnow()
    key = admin.post("/v1/api-keys", json={"name": "ops", "role": "admin"}).json()
    ops = TestClient(admin.app, client=("203.0.113.7", 1234))
    ops.headers["Authorization"] = f"Bearer {key['key']}"
    ops.headers["X-Request-ID"] = "req-audit-1"
    created = ops.post("/v1/channels", json={"code": "web", "name": "Web", "type": "web",
                       "default_currency": "EUR", "currencies": ["EUR"], "default_locale": "en",
                       "locales": ["en"], "country": "FR", "prices_include_tax": True})  # fmt: skip
    assert created.status_code == 201, created.text
    patched = ops.patch("/v1/channels/web", json={"name": "Web shop"})
    assert patched.status_code == 200
    entries = _log(admin, key=key["id"])
    assert [(e["method"], e["route"], e["resource_id"], e["status"]) for e in entries] == [
        ("PATCH", "/v1/channels/{code}", "web", 200),
        ("POST", "/v1/channels", None, 201),
    ]
    first = entries[1]
    assert (first["key_id"], first["role"], first["client_ip"], first["request_id"]) == (
        key["id"], "admin", "203.0.113.7", "req-audit-1",
    )  # fmt: skip
    assert first["path"] == "/v1/channels"
    assert before.isoformat() <= first["at"].replace("Z", "+00:00")


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def test_a_pos_action_and_a_refused_one_are_logged_with_the_store(fr: FrenchShop) -> None:
    till = TestClient(fr.admin.app, client=("198.51.100.2", 1))
    till.headers["Authorization"] = f"Bearer {fr.pos_keys['store-paris']}"
    sale = {
        "client_txn_id": "t-1", "occurred_at": utcnow().isoformat(),
        "lines": [{"sku": "TEE-M", "quantity": 1}],
        "payments": [{"method": "card", "amount": 2500}],
    }  # fmt: skip
    assert till.post("/v1/pos/sales", json=sale).status_code == 201
    # a till poking at another store's queue is refused, and that is logged too
    assert till.post("/v1/fulfillment-orders/fo_nope/accept", json={}).status_code == 404
    entries = _log(fr.admin, role="pos")
    assert [(e["route"], e["status"], e["location"], e["channel"]) for e in entries] == [
        ("/v1/fulfillment-orders/{fo_id}/accept", 404, "store-paris", "pos-paris"),
        ("/v1/pos/sales", 201, "store-paris", "pos-paris"),
    ]
    assert entries[0]["resource_id"] == "fo_nope"
    assert {e["client_ip"] for e in entries} == {"198.51.100.2"}
    assert [e["route"] for e in _log(fr.admin, role="pos", status=201)] == ["/v1/pos/sales"]
    assert _log(fr.admin, location="store-lyon") == []


def test_reads_and_storefront_calls_are_not_logged_and_only_an_admin_reads_the_log(
    admin: TestClient,
) -> None:
    make_channel(admin, "web")
    key = admin.post("/v1/api-keys", json={"name": "w", "role": "storefront", "channel": "web"})
    shop = TestClient(admin.app, headers={"X-Publishable-Key": key.json()["key"]})
    assert shop.post("/v1/carts", json={}).status_code == 201
    admin.get("/v1/channels")
    routes = [e["route"] for e in _log(admin)]
    assert routes == ["/v1/api-keys", "/v1/channels"]  # the two admin writes, newest first
    assert shop.get("/v1/audit-log").status_code == 401
    pos = admin.post("/v1/api-keys", json={"name": "p", "role": "storefront", "channel": "web"})
    other = TestClient(admin.app, headers={"Authorization": f"Bearer {pos.json()['key']}"})
    assert other.get("/v1/audit-log").status_code == 403


def test_the_log_pages_newest_first_without_gaps_or_repeats(admin: TestClient) -> None:
    for i in range(7):
        admin.post("/v1/api-keys", json={"name": f"k{i}", "role": "admin"})
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/v1/audit-log", params=params).json()
        seen += [e["id"] for e in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    everything = [e["id"] for e in _log(admin)]
    assert seen == everything
    assert admin.get("/v1/audit-log", params={"cursor": "bm90LWEtY3Vyc29y"}).status_code == 422
    assert admin.get("/v1/audit-log", params={"from": "0001-01-01T00:00:00Z"}).status_code == 422
    future = admin.get("/v1/audit-log", params={"from": "2099-01-01T00:00:00Z"})
    assert future.json()["data"] == []


def test_a_staff_sign_in_and_the_members_console_actions_are_logged(
    admin: TestClient, db: Database
) -> None:
    # Given a staff member signing in to the console from their desk
    member = make_staff(db, "admin", email="ops@example.com")
    desk = TestClient(admin.app, client=("198.51.100.4", 4321))
    csrf = signed_in(desk, member)
    wrong = sign_in(TestClient(admin.app), "ops@example.com", "not the password")
    assert wrong.status_code == 401
    # When they sign out
    out = desk.post("/admin/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    # Then both are in the log under the member, from the desk's address
    entries = _log(admin, key=f"staff:{member.id}")
    assert [(e["method"], e["route"], e["status"], e["client_ip"]) for e in entries] == [
        ("POST", "/admin/sign-out", 303, "198.51.100.4"),
        ("POST", "/admin/sign-in", 303, "198.51.100.4"),
    ]
    assert entries[1]["role"] == "admin"


# Four `souk` processes, each importing the whole app: minutes on a loaded 2-core machine.
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_operators_commands_on_the_command_line_are_logged(
    database_url: str, admin: TestClient, tmp_path: Path
) -> None:
    env = {**os.environ, "SOUK_DATABASE_URL": database_url, "SOUK_LOG_LEVEL": "WARNING",
           "STAFF_PASSWORD": "twelve chars ok", "SOUK_BACKUP_KEY": sealing.new_key()}  # fmt: skip
    commands = (
        ["keys", "create", "--role", "admin", "--name", "cron"],
        ["keys", "create", "--role", "pos", "--name", "till"],  # refused: no channel
        ["staff", "create", "--email", "new@example.com", "--role", "operations",
         "--password-env", "STAFF_PASSWORD"],
        ["backup", str(tmp_path / "souk.backup")],
    )  # fmt: skip
    codes = [
        subprocess.run([str(SOUK), *args], env=env, capture_output=True, timeout=300).returncode
        for args in commands
    ]
    assert codes == [0, 2, 0, 0]
    entries = [e for e in _log(admin) if e["method"] == "CLI"]
    assert [(e["route"], e["status"]) for e in entries] == [
        ("souk backup", 0),
        ("souk staff create", 0),
        ("souk keys create", 2),
        ("souk keys create", 0),
    ]
    who = {(e["key_id"], e["role"], e["client_ip"]) for e in entries}
    assert who == {(f"cli:{getpass.getuser()}", "admin", f"cli@{socket.gethostname()}"[:64])}
    assert entries[0]["resource_id"] == str((tmp_path / "souk.backup").resolve())
    assert entries[3]["resource_id"].startswith("key_")
