"""Recommendations through HTTP on both back ends: till baskets and web product views make
"bought together" and "viewed together", a member's own list comes from her orders (what
she buys again, latest first) and shoppers like her, with enough repeat shoppers the
learned ranker orders the lists, only what the asking channel can sell now is answered, a
refresh adds only what is new, and bad requests are told what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.recommendations.personal import examples
from souk.recommendations.ranker import Ranking, train
from souk.recommendations.refresh import _activity, refresh
from tests.fulfilment_factories import PRICES, FrenchShop, french_shop
from tests.integration.cdp.factories import send, write_key

BASKETS = [("TEE-M", "CAP"), ("TEE-M", "CAP"), ("TEE-M", "MUG"), ("CAP",)]


def _till(
    fr: FrenchShop,
    txn: str,
    skus: tuple[str, ...],
    member: bool = False,
    email: str = "anne@example.com",
) -> None:
    body: dict[str, Any] = {
        "client_txn_id": txn,
        "occurred_at": utcnow().isoformat(),
        "lines": [{"sku": s, "quantity": 1} for s in skus],
        "payments": [{"method": "card", "amount": sum(PRICES[s] for s in skus)}],
    }
    if member:
        body["customer"] = {"email": email}
    sold = fr.admin.post(
        "/v1/pos/sales", headers={"Authorization": f"Bearer {fr.pos_keys['store-paris']}"},
        json=body,
    )  # fmt: skip
    assert sold.status_code == 201, sold.text


@pytest.fixture
def shop(admin: TestClient, db: Database) -> FrenchShop:
    fr = french_shop(admin, db)
    assert admin.post("/v1/customers", json={"email": "anne@example.com"}).status_code == 201
    for n, basket in enumerate(BASKETS):
        _till(fr, f"t-{n}", basket, member=n == 0)
    key = write_key(admin)
    views = [
        {"type": "track", "event": "Product Viewed", "anonymousId": "anon-1",
         "messageId": f"v-{n}", "properties": {"sku": sku}}
        for n, sku in enumerate(["MUG", "CAP", "MUG"])
    ]  # fmt: skip
    sent = send(admin, "/v1/batch", {"batch": views}, key=key)
    assert sent.status_code == 200, sent.text
    fr.dispatch()
    done = refresh(db=db)
    assert (done.baskets, done.views) == (4, 3)
    return fr


def _recs(fr: FrenchShop, **params: Any) -> Any:
    return fr.admin.get("/v1/recommendations", params=params)


def test_what_was_bought_together_comes_first_and_says_why(shop: FrenchShop) -> None:
    got = _recs(shop, sku="TEE-M", channel="web")
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["channel"], body["sku"], body["profile"]) == ("web", "TEE-M", None)
    assert [i["sku"] for i in body["items"]] == ["CAP", "MUG"]
    cap, mug = body["items"]
    # cosine: 2 baskets with both, TEE-M in 3, CAP in 3; MUG once of TEE-M's 3 and its own 1
    assert cap["score"] == pytest.approx(2 / 3) and mug["score"] == pytest.approx(1 / 3**0.5)
    assert cap["why"] == "bought together with TEE-M in 2 orders"
    # Viewed together: MUG and CAP looked at on one browsing day
    viewed = _recs(shop, sku="MUG", channel="web").json()["items"]
    assert viewed[0]["sku"] in {"TEE-M", "CAP"}
    assert any(i["why"] == "viewed together with MUG in 1 browsing days" for i in viewed) or any(
        "bought together with MUG" in i["why"] for i in viewed
    )
    assert len(_recs(shop, sku="TEE-M", channel="web", limit=1).json()["items"]) == 1


def test_what_the_channel_cannot_sell_now_is_left_out(shop: FrenchShop) -> None:
    # pos-lyon ships from the Marseille warehouse only, which holds no mugs
    items = _recs(shop, sku="TEE-M", channel="pos-lyon").json()["items"]
    assert [i["sku"] for i in items] == ["CAP"]
    # Unpublished in the web channel, the cap is not recommended there either
    hidden = shop.admin.put("/v1/products/cap/listings/web", json={"published": False})
    assert hidden.status_code == 200, hidden.text
    assert [i["sku"] for i in _recs(shop, sku="TEE-M", channel="web").json()["items"]] == ["MUG"]


def test_a_member_gets_a_list_of_their_own(shop: FrenchShop) -> None:
    profile = shop.admin.get("/v1/profiles", params={"email": "anne@example.com"}).json()
    (anne,) = profile["data"]
    body = _recs(shop, profile=anne["id"], channel="web").json()
    assert body["profile"] == anne["id"]
    skus = [i["sku"] for i in body["items"]]
    assert set(skus) >= {"TEE-M", "CAP"}
    # Each item says why it is there: what she bought herself, or what shoppers like her did
    mine = set(BASKETS[0])
    for item in body["items"]:
        bought = item["sku"] in mine
        assert item["why"] == (
            "you bought it before" if bought else "people who shop like you bought it"
        ), item
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_what_a_member_bought_again_lately_heads_her_list(shop: FrenchShop, db: Database) -> None:
    _till(shop, "t-anne-2", ("MUG",), member=True)
    _till(shop, "t-anne-3", ("MUG",), member=True)
    shop.dispatch()  # the CDP links the orders to her profile
    refresh(db=db)
    (anne,) = shop.admin.get("/v1/profiles", params={"email": "anne@example.com"}).json()["data"]
    items = _recs(shop, profile=anne["id"], channel="web").json()["items"]
    # Two of her three orders held the mug, the latest two: it beats the tee and the cap.
    assert [i["sku"] for i in items][:3] == ["MUG", "CAP", "TEE-M"]
    assert items[0]["score"] > items[1]["score"]
    assert items[0]["why"] == "you bought it before"


def test_the_learned_ranker_serves_staples_first_and_only_what_the_channel_sells(
    shop: FrenchShop, db: Database
) -> None:
    # Enough repeat shoppers for the ranker to learn from (Ranking.min_shoppers is 20):
    # even members always buy a mug, odd ones a cap, with a tee now and then.
    for n in range(24):
        staple = "MUG" if n % 2 == 0 else "CAP"
        email = f"member-{n}@example.com"
        assert shop.admin.post("/v1/customers", json={"email": email}).status_code == 201
        for k in range(3):
            skus = (staple, "TEE-M") if k == 1 else (staple,)
            _till(shop, f"m-{n}-{k}", skus, member=True, email=email)
    shop.dispatch()
    with UnitOfWork(db, write=False) as uow:
        orders, views = _activity(uow.session)
    assert train(examples(orders=orders, views=views, factors=4), Ranking()) is not None
    refresh(db=db)

    def member(n: int) -> str:
        found = shop.admin.get("/v1/profiles", params={"email": f"member-{n}@example.com"})
        return str(found.json()["data"][0]["id"])

    mug_buyer, cap_buyer = member(0), member(1)
    web = _recs(shop, profile=mug_buyer, channel="web").json()["items"]
    assert web[0]["sku"] == "MUG" and web[0]["why"] == "you bought it before"
    assert _recs(shop, profile=cap_buyer, channel="web").json()["items"][0]["sku"] == "CAP"
    # pos-lyon ships from the Marseille warehouse only, which holds no mugs
    lyon = [i["sku"] for i in _recs(shop, profile=mug_buyer, channel="pos-lyon").json()["items"]]
    assert "MUG" not in lyon and lyon == [i["sku"] for i in web if i["sku"] != "MUG"]


def test_a_refresh_adds_only_what_is_new(shop: FrenchShop, db: Database) -> None:
    _till(shop, "t-new-1", ("TEE-M", "MUG"))
    _till(shop, "t-new-2", ("TEE-M", "MUG"))
    done = refresh(db=db)
    assert (done.baskets, done.views) == (2, 0)
    items = _recs(shop, sku="TEE-M", channel="web").json()["items"]
    assert [i["sku"] for i in items] == ["MUG", "CAP"]
    assert items[0]["why"] == "bought together with TEE-M in 3 orders"
    assert refresh(db=db).baskets == 0


BAD_REQUESTS = [
    ({"sku": "NOPE", "channel": "web"}, 404, "No SKU 'NOPE'"),
    ({"sku": "TEE-M", "channel": "nowhere"}, 404, "No channel 'nowhere'"),
    ({"profile": "prof_nope", "channel": "web"}, 404, "No profile 'prof_nope'"),
    ({"channel": "web"}, 422, "one of profile or sku"),
    ({"sku": "TEE-M", "profile": "prof_x", "channel": "web"}, 422, "one of profile or sku"),
    ({"sku": "TEE-M", "channel": "web", "limit": 0}, 422, ""),
    ({"sku": "TEE-M"}, 422, ""),
]


def test_bad_recommendation_requests_are_answered_clearly(shop: FrenchShop) -> None:
    for params, status, says in BAD_REQUESTS:
        got = _recs(shop, **params)
        assert got.status_code == status, (params, got.text)
        assert got.headers["content-type"].startswith("application/problem+json")
        assert says in got.json()["detail"], params
    anonymous = TestClient(shop.admin.app)
    assert (
        anonymous.get("/v1/recommendations", params={"sku": "TEE-M", "channel": "web"}).status_code
        == 401
    )
