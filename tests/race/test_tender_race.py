"""Stored value spent at once by many checkouts and tills, on SQLite and PostgreSQL.

60 shoppers holding the same gift card check out at once over real HTTP against
`souk serve --workers 2`; the card covers exactly 10 of them: 10 orders are placed, every
other checkout is refused clearly (409 `gift-card-declined`, or 422 naming the spent card)
and charged nothing, the card ends at zero and equals the sum of its ledger. And 20 tills
redeem the same member's points at once: exactly as many sales as the points cover."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from souk.db.engine import Database
from souk.giftcards.tables import GiftCardEntryRow, GiftCardRow
from souk.loyalty.tables import LoyaltyAccountRow, LoyaltyEntryRow
from souk.orders.tables import OrderRow
from souk.payments.tables import PaymentRow
from souk.settings import Settings
from tests.api.test_loyalty import PROGRAM
from tests.api.test_pos import RECENTLY
from tests.checkout_factories import ADDRESS_JP, Shop, make_shop
from tests.conftest import ADMIN_KEY
from tests.fulfilment_factories import FrenchShop, french_shop
from tests.support.racing import race_checkouts
from tests.support.server import live_server

pytestmark = pytest.mark.slow
SHOPPERS, COVERED, PRICE = 60, 10, 5000


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"promotions_cache_ms": 0})


def _shop(admin: TestClient, db: Database) -> Shop:
    shop = make_shop(admin, db)
    shop.location("wh-1")
    shop.channel(
        "web", type="web", default_currency="JPY", currencies=["JPY"], default_locale="ja",
        locales=["ja"], country="JP", ship_from=["wh-1"],
    )  # fmt: skip
    shop.product("tee", ("TEE-1",), channels=("web",), category=None)
    shop.price("TEE-1", "JPY", PRICE)
    shop.receive("TEE-1", "wh-1", SHOPPERS)
    shop.shipping_rate("jp", ["JP"], {"JPY": 0})
    return shop


def test_one_gift_card_is_never_spent_beyond_its_balance_by_racing_checkouts(
    admin: TestClient, db: Database, database_url: str
) -> None:
    shop = _shop(admin, db)
    card = admin.post("/v1/gift-cards", json={"currency": "JPY", "amount": COVERED * PRICE})
    assert card.status_code == 201, card.text
    code, card_id = card.json()["code"], card.json()["id"]
    carts = []
    for i in range(SHOPPERS):
        cart = shop.cart("web", email=f"s{i}@example.jp", shipping_address=ADDRESS_JP)
        assert shop.add(cart["id"], "web", "TEE-1").status_code == 201
        patched = shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json={"gift_cards": [code]})
        assert patched.json()["amount_due"]["amount"] == 0, patched.text
        carts.append(cart["id"])

    with live_server(database_url, ADMIN_KEY, workers=2) as server:
        results = race_checkouts(server.url, shop.keys["web"], carts, threads=16)

    statuses = Counter(status for status, _ in results)
    assert statuses[201] == COVERED, statuses
    assert statuses[201] + statuses[409] + statuses[422] == SHOPPERS, statuses
    refused = {kind for status, kind in results if status == 409}
    assert refused <= {"https://souk.dev/problems/gift-card-declined"}, refused
    with db.transaction(write=False) as session:
        balance = session.scalar(select(GiftCardRow.balance).where(GiftCardRow.id == card_id))
        ledger = session.scalar(
            select(func.sum(GiftCardEntryRow.amount)).where(
                GiftCardEntryRow.gift_card_id == card_id
            )
        )
        orders = session.scalar(select(func.count()).select_from(OrderRow))
        stray = session.scalar(
            select(func.count())
            .select_from(PaymentRow)
            .where(PaymentRow.status != "voided", PaymentRow.order_id.is_(None))
        )
    assert (balance, ledger, orders, stray) == (0, 0, COVERED, 0)
    stock = shop.stock_of("TEE-1")
    assert (stock["reserved"], stock["allocated"]) == (0, COVERED)


def shop_with_member(admin: TestClient, db: Database, points: int) -> tuple[FrenchShop, str]:
    """The French shop with the loyalty program, and a member (card LC-1001) holding
    `points`; returns the shop and the member's customer id."""
    fr = french_shop(admin, db)
    assert admin.put("/v1/loyalty/program", json=PROGRAM).status_code == 200
    customer = fr.shop.register("web", "anne@example.com")["customer"]["id"]
    assert admin.patch(f"/v1/customers/{customer}", json={"loyalty_card": "LC-1001"}).is_success
    given = admin.post(
        "/v1/loyalty/adjustments", json={"customer": customer, "points": points, "reason": "x"}
    )
    assert given.status_code == 200, given.text
    return fr, customer


def points_sale(client_txn_id: str) -> dict[str, object]:
    """A Paris till's sale of one tee (25 €), paid with 2,500 of LC-1001's points."""
    return {
        "client_txn_id": client_txn_id, "occurred_at": RECENTLY,
        "lines": [{"sku": "TEE-M", "quantity": 1}],
        "customer": {"loyalty_card": "LC-1001"},
        "payments": [{"method": "loyalty_points", "amount": 2500}],
    }  # fmt: skip


def test_racing_tills_redeem_a_member_s_points_exactly_once_each(
    admin: TestClient, db: Database
) -> None:
    # Enough points for 5 of the 20 sales of a tee (2500 points each, 1 point = 1 cent).
    fr, customer = shop_with_member(admin, db, 12_500)
    start = Barrier(20)

    def sell(i: int) -> tuple[int, str]:
        till = TestClient(admin.app)
        till.headers["Authorization"] = f"Bearer {fr.pos_keys['store-paris']}"
        sale = points_sale(f"race-{i}")
        start.wait()
        answer = till.post("/v1/pos/sales", json=sale)
        return answer.status_code, answer.text

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(sell, range(20)))
    statuses = Counter(status for status, _ in answers)
    # The bodies of anything but a sale or a refusal say what went wrong.
    odd = [body for status, body in answers if status not in (201, 409)]
    assert statuses == Counter({201: 5, 409: 15}), (statuses, odd[:3])
    with db.transaction(write=False) as session:
        held = session.scalar(
            select(LoyaltyAccountRow.available).where(LoyaltyAccountRow.customer_id == customer)
        )
        ledger = session.scalar(
            select(func.sum(LoyaltyEntryRow.points)).where(LoyaltyEntryRow.customer_id == customer)
        )
    assert (held, ledger) == (0, 0)
