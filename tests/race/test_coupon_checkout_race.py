"""200 shoppers holding the same single-use code check out at once over real HTTP against
`souk serve --workers 2`, on SQLite and PostgreSQL: exactly one order gets the discount; every
other checkout is refused clearly (409 `promotion-unavailable`, or 422 naming the used-up
code) and charged nothing; no stock stays held."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.db.engine import Database
from souk.orders.tables import OrderRow
from souk.payments.tables import PaymentRow
from souk.settings import Settings
from tests.checkout_factories import ADDRESS_JP, Shop, make_shop
from tests.conftest import ADMIN_KEY
from tests.support.racing import race_checkouts
from tests.support.server import live_server

pytestmark = pytest.mark.slow
SHOPPERS = 200


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Every shopper's cart is shown the code as usable until the race decides.
    return settings.model_copy(update={"promotions_cache_ms": 0})


def _shop(admin: TestClient, db: Database) -> Shop:
    shop = make_shop(admin, db)
    shop.location("wh-1")
    shop.channel(
        "web", type="web", default_currency="JPY", currencies=["JPY"], default_locale="ja",
        locales=["ja"], country="JP", ship_from=["wh-1"],
    )  # fmt: skip
    shop.product("tee", ("TEE-1",), channels=("web",), category=None)
    shop.price("TEE-1", "JPY", 5000)
    shop.receive("TEE-1", "wh-1", SHOPPERS)
    shop.shipping_rate("jp", ["JP"], {"JPY": 0})
    return shop


def test_a_single_use_code_goes_to_exactly_one_of_200_racing_checkouts(
    admin: TestClient, db: Database, database_url: str
) -> None:
    shop = _shop(admin, db)
    promotion = admin.post(
        "/v1/promotions",
        json={"name": "Half price, once", "coupon_required": True,
              "actions": [{"type": "percent_off", "target": "order", "value": "50"}]},
    ).json()["id"]  # fmt: skip
    (code,) = admin.post(f"/v1/promotions/{promotion}/codes", json={"count": 1}).json()["codes"]
    carts = []
    for i in range(SHOPPERS):
        cart = shop.cart("web", email=f"s{i}@example.jp", shipping_address=ADDRESS_JP)
        assert shop.add(cart["id"], "web", "TEE-1").status_code == 201
        patched = shop.call(
            "PATCH", f"/v1/carts/{cart['id']}", "web", json={"coupon_codes": [code]}
        )
        assert patched.json()["totals"]["total"]["amount"] == 2500, patched.text
        carts.append(cart["id"])

    with live_server(database_url, ADMIN_KEY, workers=2) as server:
        results = race_checkouts(server.url, shop.keys["web"], carts, threads=32)

    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 1, statuses
    assert statuses[201] + statuses[409] + statuses[422] == SHOPPERS, statuses
    refused = {kind for status, kind in results if status == 409}
    assert refused <= {"https://souk.dev/problems/promotion-unavailable"}, refused
    with db.transaction(write=False) as session:
        orders = session.execute(select(OrderRow.total, OrderRow.discount)).all()
        charged = session.scalar(
            select(func.count()).select_from(PaymentRow).where(PaymentRow.status != "voided",
                                                               PaymentRow.order_id.is_(None))
        )  # fmt: skip
    assert [(o.total, o.discount) for o in orders] == [(2500, 2500)]
    assert charged == 0
    assert admin.get(f"/v1/promotions/{promotion}").json()["times_used"] == 1
    stock = shop.stock_of("TEE-1")
    assert (stock["reserved"], stock["allocated"]) == (0, 1)
