"""Early access to a drop by loyalty tier (API.md, "Loyalty", row "(listings)"), through HTTP
on both back ends: a listing's `early_access{tiers, from}` lets members of those tiers buy
from `from`; a guest and a member of another tier get the refusal anyone gets before a drop
opens, until `available_from`, when everyone may buy."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from tests.fulfilment_factories import ADDRESS_PARIS, FrenchShop, french_shop

PROBLEM = "https://souk.dev/problems/"
PROGRAM = {
    "currency_rates": {"EUR": "0.01"},  # a point per euro
    "tiers": [
        {"code": "member", "name": "Member", "threshold_points": 0, "window_days": 365},
        {"code": "gold", "name": "Gold", "threshold_points": 60, "window_days": 365},
        {"code": "black", "name": "Black", "threshold_points": 1000, "window_days": 30},
    ],
    "pending_days": 0,
}
NOT_YET = [{"field": "body.sku", "message": "DROP-1 is not on sale yet"}]


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    shop = french_shop(admin, db)
    assert admin.put("/v1/loyalty/program", json=PROGRAM).status_code == 200
    shop.shop.product("drop", ("DROP-1",), channels=(), category="tops")
    shop.shop.price("DROP-1", "EUR", 9000)
    shop.shop.receive("DROP-1", "wh-marseille", 5)
    return shop


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _put_drop(fr: FrenchShop, *, opens: datetime, early: datetime, tiers: list[str]) -> Any:
    body = {
        "published": True,
        "available_from": _iso(opens),
        "early_access": {"tiers": tiers, "from": _iso(early)},
    }
    return fr.admin.put("/v1/products/drop/listings/web", json=body)


def _early_hour(fr: FrenchShop, tiers: list[str], now: datetime | None = None) -> datetime:
    """The drop opens for everyone in an hour, for `tiers` now."""
    now = now or utcnow()
    put = _put_drop(fr, opens=now + timedelta(hours=1), early=now, tiers=tiers)
    assert put.status_code == 200, put.text
    return now


def _gold_member(fr: FrenchShop, email: str) -> str:
    """A member who reached gold on the web: two tees and a cap are 65 points."""
    token: str = fr.shop.register("web", email, name="Gold")["token"]
    _order(fr, token, ("TEE-M", 2), ("CAP", 1))
    mine = fr.shop.call("GET", "/v1/customers/me/loyalty", "web", token=token).json()
    assert mine["tier"] == "gold", mine
    return token


def _order(fr: FrenchShop, token: str | None, *lines: tuple[str, int]) -> Any:
    cart = fr.shop.cart("web", token=token, currency="EUR")
    for sku, quantity in lines:
        added = fr.shop.add(cart["id"], "web", sku, quantity, token=token)
        assert added.status_code in (200, 201), added.text
    body: dict[str, Any] = {"shipping_address": ADDRESS_PARIS, "fulfillment": {"type": "delivery"}}
    if token is None:
        body["email"] = "guest@example.com"
    patched = fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", token=token, json=body)
    assert patched.status_code == 200, patched.text
    placed = fr.shop.checkout(cart["id"], "web", token=token)
    assert placed.status_code == 201, placed.text
    fr.dispatch()
    return placed.json()


def _catalog_handles(fr: FrenchShop, token: str | None) -> list[str]:
    page = fr.shop.call("GET", "/v1/catalog/products", "web", token=token)
    assert page.status_code == 200, page.text
    return [p["handle"] for p in page.json()["data"]]


def test_early_access_is_stored_and_read_back_with_the_listing(fr: FrenchShop) -> None:
    opens, early = utcnow() + timedelta(hours=2), utcnow() + timedelta(hours=1)
    put = _put_drop(fr, opens=opens, early=early, tiers=["gold", "black"])
    assert put.status_code == 200, put.text
    assert put.json()["early_access"] == {"tiers": ["black", "gold"], "from": _iso(early)}
    assert put.json()["open"] is False
    listings = fr.admin.get("/v1/products/drop").json()["listings"]
    assert listings == [put.json()]
    # A PUT is the whole listing: without early_access there is none any more.
    plain = fr.admin.put(
        "/v1/products/drop/listings/web", json={"published": True, "available_from": _iso(opens)}
    )
    assert plain.status_code == 200 and plain.json()["early_access"] is None


@pytest.mark.parametrize(
    ("early_access", "available_from", "field", "message"),
    [
        ({"tiers": ["platinum"], "from": "2030-01-01T00:00:00Z"}, "2030-01-02T00:00:00Z",
         "body.early_access.tiers.0", "'platinum' is not a tier of the loyalty program"),
        ({"tiers": ["gold"], "from": "2030-01-03T00:00:00Z"}, "2030-01-02T00:00:00Z",
         "body", "early_access.from must be before available_from"),
        ({"tiers": ["gold"], "from": "2030-01-02T00:00:00Z"}, "2030-01-02T00:00:00Z",
         "body", "early_access.from must be before available_from"),
        ({"tiers": ["gold"], "from": "2030-01-01T00:00:00Z"}, None,
         "body", "early_access needs available_from"),
        ({"tiers": [], "from": "2030-01-01T00:00:00Z"}, "2030-01-02T00:00:00Z",
         "body.early_access.tiers", "at least 1 item"),
        ({"tiers": ["gold", "gold"], "from": "2030-01-01T00:00:00Z"}, "2030-01-02T00:00:00Z",
         "body", "must not repeat a tier"),
        ({"tiers": ["gold"], "from": "2030-01-01T00:00:00"}, "2030-01-02T00:00:00Z",
         "body.early_access.from", ""),
        ({"tiers": ["gold"]}, "2030-01-02T00:00:00Z", "body.early_access.from", ""),
        ({"tiers": ["Gold!"], "from": "2030-01-01T00:00:00Z"}, "2030-01-02T00:00:00Z",
         "body.early_access.tiers.0", ""),
    ],
)  # fmt: skip
def test_bad_early_access_is_a_clear_422_and_changes_nothing(
    fr: FrenchShop,
    early_access: dict[str, Any],
    available_from: str | None,
    field: str,
    message: str,
) -> None:
    before = fr.admin.get("/v1/products/drop").json()["listings"]
    body = {"published": True, "available_from": available_from, "early_access": early_access}
    refused = fr.admin.put("/v1/products/drop/listings/web", json=body)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == PROBLEM + "validation-error"
    matching = [e for e in problem["errors"] if e["field"] == field and message in e["message"]]
    assert matching, problem["errors"]
    assert fr.admin.get("/v1/products/drop").json()["listings"] == before == []


def test_a_tier_named_by_a_listing_needs_a_program(admin: TestClient, db: Database) -> None:
    shop = french_shop(admin, db)
    shop.shop.product("drop", ("DROP-1",), channels=())
    body = {
        "published": True,
        "available_from": "2030-01-02T00:00:00Z",
        "early_access": {"tiers": ["gold"], "from": "2030-01-01T00:00:00Z"},
    }
    refused = admin.put("/v1/products/drop/listings/web", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "body.early_access.tiers.0",
            "message": "'gold' is not a tier of the loyalty program (no program is set up)",
        }
    ]


def test_only_the_tier_buys_in_the_early_window_then_everyone(fr: FrenchShop) -> None:
    gold = _gold_member(fr, "gold@example.com")
    lower: str = fr.shop.register("web", "member@example.com", name="Member")["token"]
    now = _early_hour(fr, ["gold"])
    # The gold member sees the drop, adds it and checks out before it opens for everyone.
    assert "drop" in _catalog_handles(fr, gold)
    order = _order(fr, gold, ("DROP-1", 1))
    assert [(x["sku"], x["quantity"]) for x in order["lines"]] == [("DROP-1", 1)]
    assert fr.shop.stock_of("DROP-1")["allocated"] == 1
    # A guest and a member of a lower tier: what anyone is told before a drop opens.
    for token in (None, lower):
        assert "drop" not in _catalog_handles(fr, token)
        shown = fr.shop.call("GET", "/v1/catalog/products/drop", "web", token=token)
        assert shown.status_code == 404
        cart = fr.shop.cart("web", token=token, currency="EUR")
        refused = fr.shop.add(cart["id"], "web", "DROP-1", token=token)
        assert refused.status_code == 422
        assert refused.json()["errors"] == NOT_YET
    # The drop opens for everyone: the guest buys too.
    opened = _put_drop(
        fr, opens=utcnow() - timedelta(seconds=1), early=now - timedelta(hours=1), tiers=["gold"]
    )
    assert opened.json()["open"] is True
    assert "drop" in _catalog_handles(fr, None)
    late = _order(fr, None, ("DROP-1", 1))
    assert [x["sku"] for x in late["lines"]] == ["DROP-1"]


def test_a_member_whose_tier_lapsed_cannot_check_out_the_early_line(fr: FrenchShop) -> None:
    """The window is checked again at checkout with the tier as it is then: a line added in
    the early window by a member who is no longer in the tier is refused like any line of
    a drop that has not opened."""
    gold = _gold_member(fr, "gold@example.com")
    now = _early_hour(fr, ["gold"])
    cart = fr.shop.cart("web", token=gold, currency="EUR")
    assert fr.shop.add(cart["id"], "web", "DROP-1", token=gold).status_code in (200, 201)
    body = {"shipping_address": ADDRESS_PARIS, "fulfillment": {"type": "delivery"}}
    fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", token=gold, json=body)
    # The early window is now only for black members.
    _early_hour(fr, ["black"], now)
    seen = fr.shop.call("GET", f"/v1/carts/{cart['id']}", "web", token=gold).json()
    assert seen["lines"][0]["issues"] == ["not-yet-available"]
    assert seen["ready_for_checkout"] is False
    refused = fr.shop.checkout(cart["id"], "web", token=gold)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "cart.lines.0", "message": "DROP-1 not on sale yet"}
    ]
    assert fr.shop.stock_of("DROP-1")["allocated"] == 0


def test_journey_early_access_to_a_drop_for_a_tier(fr: FrenchShop) -> None:
    """Anne buys at the Paris till with her loyalty card and reaches gold; the brand drops a
    jacket tomorrow and lets gold members in an hour early. Anne sees it in the app's
    catalog in her early hour and buys it; Ben, a guest, is told it is not on sale yet and
    buys it once it opens for everyone — both orders come out of the same stock."""
    anne = fr.shop.register("web", "anne@example.com", name="Anne")
    patched = fr.admin.patch(
        f"/v1/customers/{anne['customer']['id']}", json={"loyalty_card": "LC-2001"}
    )
    assert patched.status_code == 200, patched.text
    sold = fr.admin.post(
        "/v1/pos/sales",
        headers={"Authorization": f"Bearer {fr.pos_keys['store-paris']}"},
        json={
            "client_txn_id": "till-anne-1",
            "occurred_at": utcnow().isoformat(),
            "lines": [{"sku": "TEE-M", "quantity": 2}, {"sku": "CAP", "quantity": 1}],
            "payments": [{"method": "card", "amount": 6500}],
            "customer": {"loyalty_card": "LC-2001"},
        },
    )
    assert sold.status_code == 201, sold.text
    fr.dispatch()
    token = anne["token"]
    mine = fr.shop.call("GET", "/v1/customers/me/loyalty", "web", token=token).json()
    assert (mine["balance"], mine["tier"]) == (65, "gold")
    _early_hour(fr, ["gold"])
    assert "drop" in _catalog_handles(fr, token)
    assert "drop" not in _catalog_handles(fr, None)
    anne_order = _order(fr, token, ("DROP-1", 1))
    assert anne_order["totals"]["subtotal"] == {"amount": 9000, "currency": "EUR"}
    ben = fr.shop.cart("web", currency="EUR")
    assert fr.shop.add(ben["id"], "web", "DROP-1").json()["errors"] == NOT_YET
    opens = utcnow() - timedelta(seconds=1)
    # The early window must start before the sale for everyone: a minute before it here.
    put = _put_drop(fr, opens=opens, early=opens - timedelta(minutes=1), tiers=["gold"])
    assert put.status_code == 200, put.text
    ben_order = _order(fr, None, ("DROP-1", 2))
    assert [(x["sku"], x["quantity"]) for x in ben_order["lines"]] == [("DROP-1", 2)]
    assert fr.shop.stock_of("DROP-1")["allocated"] == 3


def test_a_promotion_for_a_tier_applies_to_its_members_only(fr: FrenchShop) -> None:
    """The same tier as early access decides a promotion's `customer_tiers` (it was never
    given to the engine before, so such a promotion applied to nobody)."""
    created = fr.admin.post(
        "/v1/promotions",
        json={
            "name": "Gold 10 %",
            "customer_tiers": ["gold"],
            "actions": [{"type": "percent_off", "target": "lines", "value": "10"}],
        },
    )
    assert created.status_code == 201, created.text
    gold = _gold_member(fr, "gold@example.com")
    discounts = {}
    for who, token in (("gold", gold), ("guest", None)):
        cart = fr.shop.cart("web", token=token, currency="EUR")
        shown = fr.shop.add(cart["id"], "web", "TEE-M", 1, token=token).json()
        discounts[who] = shown["lines"][0]["discount"]["amount"]
    assert discounts == {"gold": 250, "guest": 0}
