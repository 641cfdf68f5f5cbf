"""A French retailer for fulfilment, returns and POS tests, built through the HTTP API.

Locations at real coordinates: a warehouse in Marseille, stores in Paris and Lyon (both
offer pickup and take returns). The web channel ships from all three and offers pickup at
both stores; the Paris store has a POS channel of its own (endless-aisle orders ship from
the warehouse and Lyon). Prices include 20 % VAT.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from souk.db.engine import Database
from tests.checkout_factories import Shop, make_shop

PLACES = {
    "wh-marseille": ("warehouse", "Marseille", 43.30, 5.37),
    "store-paris": ("store", "Paris", 48.86, 2.35),
    "store-lyon": ("store", "Lyon", 45.76, 4.84),
}
ADDRESS_PARIS = {"name": "Anne", "line1": "1 rue de Rivoli", "city": "Paris", "country": "FR"}
PRICES = {"TEE-M": 2500, "CAP": 1500, "MUG": 1200}


class FrenchShop:
    def __init__(self, admin: TestClient, db: Database) -> None:
        self.admin = admin
        self.db = db
        self.shop: Shop = make_shop(admin, db)
        self.pos_keys: dict[str, str] = {}

    def location(self, code: str) -> None:
        kind, city, lat, lon = PLACES[code]
        body = {
            "code": code,
            "name": code.title(),
            "type": kind,
            "address": {"line1": "1 rue Centrale", "city": city, "country": "FR"},
            "lat": lat,
            "lon": lon,
            "timezone": "Europe/Paris",
            "can_ship": True,
            "can_pickup": kind == "store",
            "accepts_returns": kind == "store",
        }
        response = self.admin.post("/v1/locations", json=body)
        assert response.status_code == 201, response.text

    def pos_key(self, channel: str, location: str) -> str:
        created = self.admin.post(
            "/v1/api-keys",
            json={
                "name": f"till {location}",
                "role": "pos",
                "channel": channel,
                "location": location,
            },
        )
        assert created.status_code == 201, created.text
        key: str = created.json()["key"]
        self.pos_keys[location] = key
        return key

    def till(self, store: str = "store-paris") -> TestClient:
        """A client calling as that store's POS key."""
        till = TestClient(self.admin.app)
        till.headers["Authorization"] = f"Bearer {self.pos_keys[store]}"
        return till

    def dispatch(self) -> None:
        """Run the outbox handlers (routing on `order.placed`) as the dispatcher would."""
        dispatcher = self.admin.app.state.dispatcher  # type: ignore[attr-defined]
        while dispatcher.dispatch_pending():
            pass

    def web_order(
        self, *lines: tuple[str, int], pickup: str | None = None, pay: str = "tok_ok"
    ) -> dict[str, Any]:
        """A storefront checkout, then routing."""
        cart = self.shop.cart("web", currency="EUR")
        for sku, quantity in lines:
            added = self.shop.add(cart["id"], "web", sku, quantity)
            assert added.status_code in (200, 201), added.text
        body: dict[str, Any] = {"email": "anne@example.com"}
        if pickup:
            body["fulfillment"] = {"type": "pickup", "location": pickup}
        else:
            body["shipping_address"] = ADDRESS_PARIS
            body["fulfillment"] = {"type": "delivery"}
        patched = self.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json=body)
        assert patched.status_code == 200, patched.text
        placed = self.shop.checkout(cart["id"], "web", pay=pay)
        assert placed.status_code == 201, placed.text
        self.dispatch()
        order: dict[str, Any] = self.admin.get(f"/v1/orders/{placed.json()['id']}").json()
        return order

    def on_hand(self, sku: str, location: str) -> int:
        stock = self.admin.get(f"/v1/inventory/{sku}").json()
        for row in stock["locations"]:
            if row["location"] == location:
                return int(row["on_hand"])
        return 0

    def fo(self, fo_id: str, action: str, body: Any = None, key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.admin.post(
            f"/v1/fulfillment-orders/{fo_id}/{action}", json=body or {}, headers=headers
        )


def french_shop(admin: TestClient, db: Database) -> FrenchShop:
    fr = FrenchShop(admin, db)
    for code in PLACES:
        fr.location(code)
    shop = fr.shop
    shop.channel(
        "web", type="web", default_currency="EUR", currencies=["EUR"], country="FR",
        ship_from=["store-paris", "wh-marseille", "store-lyon"],
        pickup_at=["store-paris", "store-lyon"],
    )  # fmt: skip
    shop.channel(
        "pos-paris", type="pos", default_currency="EUR", currencies=["EUR"], country="FR",
        ship_from=["wh-marseille", "store-lyon"], pickup_at=["store-paris"],
    )  # fmt: skip
    shop.channel(
        "pos-lyon", type="pos", default_currency="EUR", currencies=["EUR"], country="FR",
        ship_from=["wh-marseille"], pickup_at=["store-lyon"],
    )  # fmt: skip
    shop.product("tee", ("TEE-M",), channels=("web", "pos-paris", "pos-lyon"), category="tops")
    shop.product("cap", ("CAP",), channels=("web", "pos-paris", "pos-lyon"), category="hats")
    shop.product("mug", ("MUG",), channels=("web", "pos-paris", "pos-lyon"), category="home")
    for sku, amount in PRICES.items():
        shop.price(sku, "EUR", amount)
    shop.tax("FR", "0.20")
    shop.shipping_rate("fr-standard", ["FR"], {"EUR": 490})
    shop.receive("TEE-M", "store-paris", 2)
    shop.receive("TEE-M", "wh-marseille", 10)
    shop.receive("CAP", "store-paris", 1)
    shop.receive("CAP", "wh-marseille", 5)
    shop.receive("MUG", "store-lyon", 3)
    fr.pos_key("pos-paris", "store-paris")
    fr.pos_key("pos-lyon", "store-lyon")
    return fr
