"""Fraud screening through HTTP: crafted orders, each signal on its own and combined, the
hold that fulfilment respects, the review queue and the weights its outcomes move."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.risk.signals import DEFAULT_WEIGHTS
from tests.checkout_factories import ADDRESS_JP, Shop, tokyo_shop


@pytest.fixture
def shop(admin: TestClient, db: Database) -> Shop:
    shop = tokyo_shop(admin, db)
    shop.receive("SNK-42", "wh-tokyo", 200)
    return shop


def place(
    shop: Shop,
    *,
    email: str = "aiko@example.jp",
    risk: dict[str, Any] | None = None,
    quantity: int = 1,
    pickup: bool = False,
    declines: int = 0,
    token: str | None = None,
    ip_country: str | None = None,
) -> dict[str, Any]:
    """A web order of SNK-42 (¥12,000 each), screened; returns the order with its risk."""
    cart = shop.cart("web", token=token, email=email)
    assert shop.add(cart["id"], "web", "SNK-42", quantity, token=token).status_code == 201
    where: dict[str, Any] = (
        {"fulfillment": {"type": "pickup", "location": "store-ginza"}}
        if pickup
        else {"shipping_address": ADDRESS_JP, "fulfillment": {"type": "delivery"}}
    )
    patched = shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", token=token, json=where)
    assert patched.status_code == 200, patched.text
    for _ in range(declines):
        assert shop.checkout(cart["id"], "web", token=token, pay="tok_decline").status_code == 402
    body: dict[str, Any] = {"payment": {"provider": "test", "token": "tok_ok"}}
    if risk is not None:
        body["risk"] = risk
    headers = {"CF-IPCountry": ip_country} if ip_country else {}
    order = shop.call(
        "POST", f"/v1/carts/{cart['id']}/checkout", "web", token=token, json=body, **headers
    )
    assert order.status_code == 201, order.text
    answer: dict[str, Any] = order.json()
    risk_read = shop.admin.get(f"/v1/orders/{answer['id']}/risk")
    assert risk_read.status_code == 200, risk_read.text
    answer["risk"] = risk_read.json()
    return answer


def names(order: dict[str, Any]) -> list[str]:
    return [s["name"] for s in order["risk"]["signals"]]


def fo_action(shop: Shop, order: dict[str, Any], action: str) -> Any:
    fo_id = order["fulfillment_orders"][0]["id"]
    return shop.admin.post(f"/v1/fulfillment-orders/{fo_id}/{action}", json={})


def test_a_plain_order_scores_nothing_and_goes_to_fulfilment(shop: Shop) -> None:
    order = place(shop, risk={"card_fingerprint": "fp-1", "device_id": "dev-1"})
    risk = order["risk"]
    assert risk["order_id"] == order["id"]
    assert (risk["score"], risk["decision"], risk["status"], risk["on_hold"]) == (
        0,
        "accept",
        "clear",
        False,
    )
    assert risk["signals"] == [] and risk["review"] is None
    accepted = fo_action(shop, order, "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert shop.admin.get("/v1/risk/reviews").json()["data"] == []


def _earlier(shop: Shop, count: int, **kwargs: Any) -> None:
    for _ in range(count):
        assert place(shop, **kwargs)["risk"]["decision"] == "accept"


SINGLE: dict[str, Any] = {
    # signal: (earlier orders to place first (kwargs, how many), this order's kwargs)
    "card_velocity": (
        [
            ({"email": f"c{i}@example.jp", "risk": {"card_fingerprint": "fp-9"}}, 1)
            for i in range(3)
        ],
        {"email": "c9@example.jp", "risk": {"card_fingerprint": "fp-9"}},
    ),
    "email_velocity": (
        [({"email": "same@example.jp"}, 3)],
        {"email": "same@example.jp"},
    ),
    "device_velocity": (
        [({"email": f"d{i}@example.jp", "risk": {"device_id": "tablet"}}, 1) for i in range(3)],
        {"email": "d9@example.jp", "risk": {"device_id": "tablet"}},
    ),
    "ip_velocity": (
        [({"email": f"i{i}@example.jp"}, 1) for i in range(10)],
        {"email": "i99@example.jp"},
    ),
    "billing_shipping_mismatch": ([], {"risk": {"billing_country": "fr"}}),
    "ip_country_mismatch": ([], {"ip_country": "US"}),
    "new_account_high_value": ([], {"quantity": 7}),
    "declined_payments": ([], {"declines": 2}),
}


@pytest.mark.parametrize("signal", sorted(SINGLE))
def test_each_signal_on_its_own_shows_with_its_weight_but_holds_nothing(
    shop: Shop, signal: str
) -> None:
    earlier, this = SINGLE[signal]
    for kwargs, count in earlier:
        _earlier(shop, count, **kwargs)
    order = place(shop, **this)
    risk = order["risk"]
    assert names(order) == [signal], risk
    assert risk["signals"][0]["weight"] == DEFAULT_WEIGHTS[signal]
    assert risk["signals"][0]["detail"]
    assert risk["score"] == round(DEFAULT_WEIGHTS[signal])
    assert (risk["decision"], risk["on_hold"]) == ("accept", False)
    assert fo_action(shop, order, "accept").status_code == 200


def test_the_details_say_what_was_seen(shop: Shop) -> None:
    order = place(shop, risk={"billing_country": "FR"}, ip_country="US")
    details = {s["name"]: s["detail"] for s in order["risk"]["signals"]}
    assert details == {
        "billing_shipping_mismatch": "billed in FR, shipped to JP",
        "ip_country_mismatch": "ordered from US, for JP",
    }


def test_pickup_by_someone_else_counts_only_on_an_order_that_already_looks_wrong(
    shop: Shop,
) -> None:
    gift = place(shop, pickup=True, risk={"pickup_by_other": True})
    assert gift["risk"]["signals"] == [] and gift["risk"]["decision"] == "accept"
    # Ordered from abroad for a Japanese buyer, and collected by someone else: held
    risky = place(
        shop, pickup=True, risk={"pickup_by_other": True, "billing_country": "JP"}, ip_country="US"
    )
    assert names(risky) == ["ip_country_mismatch", "pickup_by_other"]
    assert (risky["risk"]["score"], risky["risk"]["decision"]) == (50, "review")
    assert risky["risk"]["on_hold"] is True


def test_signals_combined_hold_the_order_until_a_reviewer_releases_it(shop: Shop) -> None:
    # Given three earlier orders on one card and one device, each from another email
    for i in range(3):
        place(shop, email=f"x{i}@example.jp", risk={"card_fingerprint": "fp", "device_id": "d"})
    # When a fourth order comes on that card and device, billed abroad
    order = place(
        shop,
        email="x9@example.jp",
        risk={"card_fingerprint": "fp", "device_id": "d", "billing_country": "FR"},
    )
    risk = order["risk"]
    assert sorted(names(order)) == ["billing_shipping_mismatch", "card_velocity", "device_velocity"]
    assert risk["score"] == 70
    assert (risk["decision"], risk["status"], risk["on_hold"]) == ("review", "held", True)
    # Then fulfilment will not move it
    refused = fo_action(shop, order, "accept")
    assert refused.status_code == 409, refused.text
    assert "on hold for a fraud review" in refused.json()["detail"]
    # and it waits in the queue
    queue = shop.admin.get("/v1/risk/reviews").json()["data"]
    assert [q["order_id"] for q in queue] == [order["id"]]
    # When a reviewer finds it honest
    decided = shop.admin.post(
        f"/v1/risk/reviews/{order['id']}", json={"outcome": "legitimate", "note": "called"}
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["status"], body["on_hold"]) == ("released", False)
    assert body["review"]["outcome"] == "legitimate" and body["review"]["note"] == "called"
    # Then it moves, the queue is empty, and the three signals weigh 10 % less
    assert fo_action(shop, order, "accept").status_code == 200
    assert shop.admin.get("/v1/risk/reviews").json()["data"] == []
    weights = {w["signal"]: w for w in shop.admin.get("/v1/risk/weights").json()}
    for name in names(order):
        assert weights[name]["weight"] == pytest.approx(DEFAULT_WEIGHTS[name] * 0.9)
        assert (weights[name]["cleared"], weights[name]["confirmed"]) == (1, 0)
    assert weights["email_velocity"]["weight"] == DEFAULT_WEIGHTS["email_velocity"]
    # A second decision is refused and moves nothing
    again = shop.admin.post(f"/v1/risk/reviews/{order['id']}", json={"outcome": "fraud"})
    assert again.status_code == 409, again.text
    assert shop.admin.get("/v1/risk/weights").json() == list(weights.values())


def test_a_rejected_order_stays_out_of_fulfilment_and_fraud_raises_the_weights(
    shop: Shop,
) -> None:
    for _ in range(3):
        place(shop, email="y@example.jp", risk={"card_fingerprint": "fp2"})
    order = place(
        shop,
        email="y@example.jp",
        quantity=7,
        declines=2,
        risk={"card_fingerprint": "fp2", "billing_country": "US"},
        ip_country="NG",
    )
    risk = order["risk"]
    assert sorted(names(order)) == [
        "billing_shipping_mismatch",
        "card_velocity",
        "declined_payments",
        "email_velocity",
        "ip_country_mismatch",
        "new_account_high_value",
    ]
    assert (risk["score"], risk["decision"], risk["on_hold"]) == (100, "reject", True)
    decided = shop.admin.post(f"/v1/risk/reviews/{order['id']}", json={"outcome": "fraud"})
    assert decided.status_code == 200 and decided.json()["status"] == "rejected"
    refused = fo_action(shop, order, "accept")
    assert refused.status_code == 409 and "rejected as fraudulent" in refused.json()["detail"]
    weights = {w["signal"]: w["weight"] for w in shop.admin.get("/v1/risk/weights").json()}
    for name in names(order):
        assert weights[name] == pytest.approx(DEFAULT_WEIGHTS[name] * 1.1)
    listed = shop.admin.get("/v1/risk/reviews", params={"status": "rejected"}).json()["data"]
    assert [r["order_id"] for r in listed] == [order["id"]]


def test_fulfilment_waits_even_before_the_dispatcher_screened_the_order(shop: Shop) -> None:
    for i in range(3):
        place(shop, email=f"z{i}@example.jp", risk={"card_fingerprint": "fp3", "device_id": "z"})
    cart = shop.cart("web", email="z9@example.jp")
    shop.add(cart["id"], "web", "SNK-42")
    shop.call(
        "PATCH",
        f"/v1/carts/{cart['id']}",
        "web",
        json={"shipping_address": ADDRESS_JP, "fulfillment": {"type": "delivery"}},
    )
    body = {
        "payment": {"provider": "test", "token": "tok_ok"},
        "risk": {"card_fingerprint": "fp3", "device_id": "z", "billing_country": "DE"},
    }
    order = shop.call("POST", f"/v1/carts/{cart['id']}/checkout", "web", json=body).json()
    # No dispatch, no read of its risk: the first accept screens it, and refuses
    refused = fo_action(shop, order, "accept")
    assert refused.status_code == 409, refused.text
    assert shop.admin.get(f"/v1/orders/{order['id']}/risk").json()["status"] == "held"


def test_the_dispatcher_screens_placed_orders(shop: Shop) -> None:
    cart = shop.cart("web", email="d@example.jp")
    shop.add(cart["id"], "web", "SNK-42")
    shop.call(
        "PATCH",
        f"/v1/carts/{cart['id']}",
        "web",
        json={"shipping_address": ADDRESS_JP, "fulfillment": {"type": "delivery"}},
    )
    order = shop.checkout(cart["id"], "web").json()
    dispatcher = shop.admin.app.state.dispatcher  # type: ignore[attr-defined]
    while dispatcher.dispatch_pending():
        pass
    from souk.db.uow import UnitOfWork
    from souk.risk.tables import RiskAssessmentRow

    with UnitOfWork(shop.db, write=False) as uow:
        row = uow.session.get(RiskAssessmentRow, order["id"])
        assert row is not None and row.decision == "accept"


def test_bad_input_is_refused_and_changes_nothing(shop: Shop) -> None:
    order = place(shop)
    assert shop.admin.get("/v1/orders/ord_nope/risk").status_code == 404
    unknown = shop.admin.post("/v1/risk/reviews/ord_nope", json={"outcome": "fraud"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    maybe = shop.admin.post(f"/v1/risk/reviews/{order['id']}", json={"outcome": "maybe"})
    assert maybe.status_code == 422
    not_held = shop.admin.post(f"/v1/risk/reviews/{order['id']}", json={"outcome": "fraud"})
    assert not_held.status_code == 409
    assert "not waiting for a review" in not_held.json()["detail"]
    assert shop.admin.get(f"/v1/orders/{order['id']}/risk").json() == order["risk"]
    assert all(w["weight"] == w["default"] for w in shop.admin.get("/v1/risk/weights").json())
    assert shop.admin.get("/v1/risk/reviews", params={"status": "maybe"}).status_code == 422
    # A malformed checkout context is refused before anything is written
    cart = shop.cart("web", email="bad@example.jp")
    shop.add(cart["id"], "web", "SNK-42")
    shop.call(
        "PATCH",
        f"/v1/carts/{cart['id']}",
        "web",
        json={"shipping_address": ADDRESS_JP, "fulfillment": {"type": "delivery"}},
    )
    bad = shop.call(
        "POST",
        f"/v1/carts/{cart['id']}/checkout",
        "web",
        json={
            "payment": {"provider": "test", "token": "tok_ok"},
            "risk": {"billing_country": "FRA"},
        },
    )
    assert bad.status_code == 422
    assert shop.call("GET", f"/v1/carts/{cart['id']}", "web").json()["status"] == "active"
    assert len(shop.admin.get("/v1/orders").json()["data"]) == 1


def test_reviews_need_an_admin_key(shop: Shop) -> None:
    order = place(shop)
    assert shop.store.get("/v1/risk/reviews").status_code == 401
    assert shop.store.get(f"/v1/orders/{order['id']}/risk").status_code == 401
    storefront = shop.call("GET", "/v1/risk/reviews", "web")
    assert storefront.status_code in (401, 403)


def test_two_reviewers_deciding_at_once_decide_once(shop: Shop, db: Database) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from souk.db.uow import UnitOfWork
    from souk.errors import InvalidState
    from souk.risk import reviews
    from souk.risk.schemas import ReviewOutcome
    from souk.risk.service import Policy

    for i in range(3):
        place(shop, email=f"r{i}@example.jp", risk={"card_fingerprint": "fpr", "device_id": "r"})
    order = place(shop, email="r9@example.jp", risk={"card_fingerprint": "fpr", "device_id": "r"})
    assert order["risk"]["status"] == "held"
    policy = Policy.from_settings(db.settings)
    barrier = threading.Barrier(2)

    def decide(outcome: str) -> str:
        barrier.wait()
        try:
            reviews.decide(
                uow=UnitOfWork(db), order_id=order["id"], policy=policy, reviewer=outcome,
                data=ReviewOutcome(outcome=outcome),
            )  # fmt: skip
        except InvalidState:
            return "refused"
        return outcome

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(decide, ["fraud", "legitimate"]))
    assert results.count("refused") == 1, results
    winner = next(r for r in results if r != "refused")
    final = shop.admin.get(f"/v1/orders/{order['id']}/risk").json()
    assert final["review"]["outcome"] == winner
    factor = 1.1 if winner == "fraud" else 0.9
    weights = {w["signal"]: w for w in shop.admin.get("/v1/risk/weights").json()}
    for name in names(order):
        assert weights[name]["weight"] == pytest.approx(DEFAULT_WEIGHTS[name] * factor)
        assert weights[name]["confirmed"] + weights[name]["cleared"] == 1
