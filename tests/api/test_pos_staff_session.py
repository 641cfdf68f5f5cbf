"""A store manager signs in at the till (POST /v1/pos/staff-session), on SQLite and
PostgreSQL: the till then acts for their store exactly as that store's POS key, never for
another store; the cookie counts only with the session's CSRF token; a console session and a
till session are not each other."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from tests.console_factories import PASSWORD, make_staff
from tests.fulfilment_factories import FrenchShop, french_shop

RECENTLY = (utcnow() - timedelta(hours=1)).isoformat()


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    shop = french_shop(admin, db)
    make_staff(db, "store_manager", email="paris@example.com", stores=("store-paris",))
    make_staff(db, "store_manager", email="lyon@example.com", stores=("store-lyon",))
    make_staff(db, "operations", email="ops@example.com")
    return shop


def _signed_in(fr: FrenchShop, email: str, **more: str) -> tuple[TestClient, str]:
    till = TestClient(fr.admin.app)
    answer = till.post("/v1/pos/staff-session", json={"email": email, "password": PASSWORD, **more})
    assert answer.status_code == 201, answer.text
    return till, answer.json()["csrf_token"]


def test_a_store_manager_gets_the_till_of_their_store_and_only_theirs(fr: FrenchShop) -> None:
    till = TestClient(fr.admin.app)
    answer = till.post(
        "/v1/pos/staff-session", json={"email": "Paris@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 201, answer.text
    session = answer.json()
    assert (session["staff"], session["location"], session["channel"]) == (
        "paris@example.com",
        "store-paris",
        "pos-paris",
    )
    cookie = answer.headers["set-cookie"]
    assert "souk_till=" in cookie and "HttpOnly" in cookie and "Path=/v1/" in cookie
    assert "samesite=strict" in cookie.lower()
    csrf = {"X-CSRF-Token": session["csrf_token"]}

    assert till.get("/v1/pos/till", headers=csrf).json() == {
        "channel": "pos-paris",
        "location": "store-paris",
    }
    sale = {
        "client_txn_id": "m-1",
        "occurred_at": RECENTLY,
        "lines": [{"sku": "CAP", "quantity": 1}],
        "payments": [{"method": "cash", "amount": 1500}],
    }
    sold = till.post("/v1/pos/sync", json={"transactions": [sale]}, headers=csrf)
    order = sold.json()["results"][0]["order"]
    assert (order["channel"], order["fulfillment_orders"][0]["location"]) == (
        "pos-paris",
        "store-paris",
    )
    own = till.get("/v1/fulfillment-orders", params={"location": "store-paris"}, headers=csrf)
    assert own.status_code == 200
    # Another store's queue and stock problems are refused, as for Paris's POS key.
    other = till.get("/v1/fulfillment-orders", params={"location": "store-lyon"}, headers=csrf)
    assert other.status_code == 403
    assert (
        till.get(
            "/v1/stock-discrepancies", params={"location": "store-lyon"}, headers=csrf
        ).status_code
        == 403
    )
    # Admin routes stay closed: the session is a POS principal.
    assert till.get("/v1/api-keys", headers=csrf).status_code == 403


def test_the_lyon_manager_never_sees_the_paris_queue_or_sales(fr: FrenchShop) -> None:
    order = fr.web_order(("TEE-M", 1), pickup="store-paris")
    lyon, token = _signed_in(fr, "lyon@example.com")
    csrf = {"X-CSRF-Token": token}
    assert lyon.get("/v1/pos/till", headers=csrf).json()["location"] == "store-lyon"
    fo_id = order["fulfillment_orders"][0]["id"]
    assert (
        lyon.get(
            "/v1/fulfillment-orders", params={"location": "store-paris"}, headers=csrf
        ).status_code
        == 403
    )
    assert lyon.post(f"/v1/fulfillment-orders/{fo_id}/accept", headers=csrf).status_code in (
        403,
        404,
    )
    assert lyon.get(f"/v1/orders/{order['id']}", headers=csrf).status_code in (403, 404)
    assert lyon.get("/v1/orders", params={"channel": "pos-paris"}, headers=csrf).status_code == 403
    # Nor can Lyon's manager open Paris's till.
    refused = TestClient(fr.admin.app).post(
        "/v1/pos/staff-session",
        json={"email": "lyon@example.com", "password": PASSWORD, "store": "store-paris"},
    )
    assert refused.status_code == 403
    assert "store-lyon, not store-paris" in refused.json()["detail"]


def test_the_cookie_needs_its_csrf_token_and_ends_with_sign_out(fr: FrenchShop) -> None:
    till, token = _signed_in(fr, "paris@example.com")
    # Without the header the cookie is ignored (as for any page of the same browser).
    assert till.get("/v1/pos/till").status_code == 401
    assert till.get("/v1/pos/till", headers={"X-CSRF-Token": "forged"}).status_code == 403
    # The till cookie is not a console session.
    browser = TestClient(fr.admin.app)
    browser.cookies.set("souk_staff", till.cookies["souk_till"])
    console = browser.get("/admin/fulfilment", follow_redirects=False)
    assert console.status_code == 303 and "/admin/sign-in" in console.headers["location"]

    out = till.delete("/v1/pos/staff-session", headers={"X-CSRF-Token": token})
    assert out.status_code == 204
    stale = TestClient(fr.admin.app)
    stale.cookies.set("souk_till", "x" * 43)
    assert stale.get("/v1/pos/till", headers={"X-CSRF-Token": token}).status_code == 401


def test_wrong_passwords_other_roles_and_bad_bodies_are_refused(fr: FrenchShop) -> None:
    client = TestClient(fr.admin.app)
    wrong = client.post(
        "/v1/pos/staff-session", json={"email": "paris@example.com", "password": "not the password"}
    )
    assert wrong.status_code == 401 and "souk_till" not in wrong.headers.get("set-cookie", "")
    ops = client.post(
        "/v1/pos/staff-session", json={"email": "ops@example.com", "password": PASSWORD}
    )
    assert ops.status_code == 403 and "store managers" in ops.json()["detail"]
    form = client.post(
        "/v1/pos/staff-session",
        content=f"email=paris@example.com&password={PASSWORD}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 422  # a form posted from another site signs nobody in
    extra = client.post(
        "/v1/pos/staff-session",
        json={"email": "paris@example.com", "password": PASSWORD, "role": "x"},
    )
    assert extra.status_code == 422
