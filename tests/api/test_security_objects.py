"""Object-level authorisation (OWASP API #1), for every route the app serves.

The world: two stores (Paris and Lyon, a till each), two storefront channels (web and app),
two customers (Anne and Bob). Every route that a key other than an admin's may call is
asked, by a caller who has the right role, for a resource of *another* store, customer or
channel: it must refuse (403/404, or leave the foreign resource out of a list) and change
nothing. The cases are keyed by route, and a route that is in neither `CASES` nor
`NO_FOREIGN_OBJECT` fails the test: a new endpoint is covered the day it is added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from souk.access.models import Role
from souk.db.base import utcnow
from souk.db.engine import Database
from tests.api.test_auth_boundaries import _allowed_roles, _routes
from tests.fulfilment_factories import ADDRESS_PARIS, FrenchShop, french_shop


@dataclass
class World:
    fr: FrenchShop
    anne: str  # customer tokens
    bob: str
    anne_id: str
    anne_cart: str
    anon_cart: str
    anne_address: str
    web_order: str  # Anne's, shipped from Lyon
    lyon_sale: str  # a sale at the Lyon till
    lyon_fo: str  # an open pickup fulfilment order at Lyon
    lyon_shipment: str
    lyon_return: str
    ids: dict[str, str] = field(default_factory=dict)

    def call(self, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        client = TestClient(self.fr.admin.app)
        headers: dict[str, str] = {}
        if who.startswith("pos:"):
            headers["Authorization"] = f"Bearer {self.fr.pos_keys[who[4:]]}"
        elif who.startswith("shop:"):
            channel, _, customer = who[5:].partition("+")
            headers["X-Publishable-Key"] = self.fr.shop.keys[channel]
            if customer:
                headers["Authorization"] = f"Bearer {getattr(self, customer)}"
        return client.request(method, path, json=body if body is not None else {}, headers=headers)


def _world(admin: TestClient, db: Database) -> World:
    fr = french_shop(admin, db)
    shop = fr.shop
    shop.channel(
        "app",
        type="app",
        default_currency="EUR",
        currencies=["EUR"],
        country="FR",
        ship_from=["wh-marseille"],
        pickup_at=[],
    )
    anne = shop.register("web", "anne@example.com")
    bob = shop.register("web", "bob@example.com")
    # Anne's web order of a mug: only Lyon has mugs, so Lyon ships it.
    token = anne["token"]
    cart = shop.cart("web", token=token)
    assert shop.add(cart["id"], "web", "MUG", 1, token=token).status_code == 201
    shop.call(
        "PATCH",
        f"/v1/carts/{cart['id']}",
        "web",
        token=token,
        json={"shipping_address": ADDRESS_PARIS, "fulfillment": {"type": "delivery"}},
    )
    placed = shop.checkout(cart["id"], "web", token=token)
    assert placed.status_code == 201, placed.text
    fr.dispatch()
    web_order = admin.get(f"/v1/orders/{placed.json()['id']}").json()
    anne_cart = shop.cart("web", token=token)
    assert shop.add(anne_cart["id"], "web", "TEE-M", 1, token=token).status_code == 201
    anon_cart = shop.cart("web")
    address = shop.call(
        "POST", "/v1/customers/me/addresses", "web", token=token, json=ADDRESS_PARIS
    )
    assert address.status_code == 201, address.text
    (fo,) = web_order["fulfillment_orders"]
    assert fo["location"] == "store-lyon", fo
    fr.fo(fo["id"], "accept")
    shipped = fr.fo(fo["id"], "ship", {"carrier": "dhl", "tracking_number": "T-1"})
    assert shipped.status_code == 200, shipped.text
    shipment = shipped.json()["shipments"][0]["id"]
    lyon = {"Authorization": f"Bearer {fr.pos_keys['store-lyon']}"}
    ret = admin.post(
        f"/v1/orders/{web_order['id']}/returns",
        json={"lines": [{"sku": "MUG", "quantity": 1, "reason": "chipped"}], "method": "in_store"},
        headers=lyon,
    )
    assert ret.status_code == 201, ret.text
    pickup = fr.web_order(("MUG", 1), pickup="store-lyon")
    sale = admin.post(
        "/v1/pos/sales",
        headers=lyon,
        json={
            "client_txn_id": "lyon-1",
            "occurred_at": utcnow().isoformat(),
            "lines": [{"sku": "MUG", "quantity": 1}],
            "customer": {"customer_id": anne["customer"]["id"]},
            "payments": [{"method": "cash", "amount": 1200}],
        },
    )
    assert sale.status_code == 201, sale.text
    return World(
        fr=fr,
        anne=anne["token"],
        bob=bob["token"],
        anne_id=anne["customer"]["id"],
        anne_cart=anne_cart["id"],
        anon_cart=anon_cart["id"],
        anne_address=address.json()["id"],
        web_order=web_order["id"],
        lyon_sale=sale.json()["id"],
        lyon_fo=pickup["fulfillment_orders"][0]["id"],
        lyon_shipment=shipment,
        lyon_return=ret.json()["id"],
    )


@dataclass(frozen=True)
class Case:
    who: str  # "pos:<store>" or "shop:<channel>[+<customer>]"
    path: Callable[[World], str]
    body: Callable[[World], Any] = lambda w: {}
    refused: tuple[int, ...] = (403, 404)
    # ids that must not appear in an answer, even a 200 list
    hidden: Callable[[World], list[str]] = lambda w: []


def _fo(action: str, body: Any = None) -> list[Case]:
    return [
        Case(
            "pos:store-paris",
            lambda w: f"/v1/fulfillment-orders/{w.lyon_fo}/{action}",
            lambda w: body or {},
        )
    ]


def _cart(path: str, body: Any = None) -> list[Case]:
    """Anne's cart: Bob is refused (403), a caller without her token too (401)."""
    return [
        Case("shop:web+bob", lambda w: path.format(cart=w.anne_cart), lambda w: body or {}),
        Case(
            "shop:app",
            lambda w: path.format(cart=w.anne_cart),
            lambda w: body or {},
            refused=(401,),
        ),
    ]


PARIS = "pos:store-paris"
CASES: dict[str, list[Case]] = {
    "GET /v1/returns/{return_id}": [Case(PARIS, lambda w: f"/v1/returns/{w.lyon_return}")],
    "POST /v1/returns/{return_id}/receive": [
        Case(
            PARIS,
            lambda w: f"/v1/returns/{w.lyon_return}/receive",
            lambda w: {
                "location": "store-paris",
                "lines": [{"sku": "MUG", "quantity": 1, "condition": "resellable"}],
            },
        )
    ],
    "POST /v1/returns/{return_id}/refund": [
        Case(PARIS, lambda w: f"/v1/returns/{w.lyon_return}/refund", lambda w: {"to": "original"})
    ],
    "POST /v1/orders/{order_id}/returns": [
        Case(
            PARIS,
            lambda w: f"/v1/orders/{w.web_order}/returns",
            lambda w: {
                "lines": [{"sku": "MUG", "quantity": 1, "reason": "x"}],
                "method": "carrier",
            },
        ),
        Case(
            PARIS,
            lambda w: f"/v1/orders/{w.web_order}/returns",
            lambda w: {
                "lines": [{"sku": "MUG", "quantity": 1, "reason": "x"}],
                "method": "in_store",
                "location": "store-lyon",
            },
        ),
    ],
    "GET /v1/orders": [
        Case(
            PARIS,
            lambda w: "/v1/orders",
            hidden=lambda w: [w.lyon_sale, w.web_order],
            refused=(200, 403),
        ),
        Case(
            PARIS,
            lambda w: "/v1/orders?channel=pos-lyon",
            hidden=lambda w: [w.lyon_sale],
            refused=(200, 403),
        ),
    ],
    "GET /v1/orders/{order_id}": [
        Case(PARIS, lambda w: f"/v1/orders/{w.lyon_sale}"),
        Case(PARIS, lambda w: f"/v1/orders/{w.web_order}"),
    ],
    "GET /v1/fulfillment-orders": [
        Case(
            PARIS, lambda w: "/v1/fulfillment-orders", hidden=lambda w: [w.lyon_fo], refused=(200,)
        ),
        Case(PARIS, lambda w: "/v1/fulfillment-orders?location=store-lyon"),
    ],
    "GET /v1/fulfillment-orders/{fo_id}": [
        Case(PARIS, lambda w: f"/v1/fulfillment-orders/{w.lyon_fo}")
    ],
    "POST /v1/fulfillment-orders/{fo_id}/accept": _fo("accept"),
    "POST /v1/fulfillment-orders/{fo_id}/pack": _fo("pack"),
    "POST /v1/fulfillment-orders/{fo_id}/deliver": _fo("deliver"),
    "POST /v1/fulfillment-orders/{fo_id}/reject": _fo("reject", {"reason": "no"}),
    "POST /v1/fulfillment-orders/{fo_id}/ship": _fo(
        "ship", {"carrier": "x", "tracking_number": "1"}
    ),
    "POST /v1/fulfillment-orders/{fo_id}/ready": _fo("ready"),
    "POST /v1/fulfillment-orders/{fo_id}/collect": _fo("collect", {"pickup_code": "000000"}),
    "GET /v1/shipments/{shipment_id}": [Case(PARIS, lambda w: f"/v1/shipments/{w.lyon_shipment}")],
    "POST /v1/shipments/{shipment_id}/tracking-events": [
        Case(
            PARIS,
            lambda w: f"/v1/shipments/{w.lyon_shipment}/tracking-events",
            lambda w: {
                "event_id": "e-1",
                "status": "delivered",
                "occurred_at": "2026-12-01T10:00:00Z",
            },
        )
    ],
    "GET /v1/pickup-proposals": [
        Case(PARIS, lambda w: "/v1/pickup-proposals?location=store-lyon&sku=MUG")
    ],
    "GET /v1/stock-discrepancies": [
        Case(PARIS, lambda w: "/v1/stock-discrepancies?location=store-lyon"),
    ],
    "GET /v1/inventory/{sku}": [
        Case(PARIS, lambda w: "/v1/inventory/MUG?location=store-lyon"),
        Case(PARIS, lambda w: "/v1/inventory/MUG", hidden=lambda w: ["store-lyon"], refused=(200,)),
    ],
    "GET /v1/inventory/{sku}/movements": [
        Case(PARIS, lambda w: "/v1/inventory/MUG/movements?location=store-lyon"),
        Case(
            PARIS,
            lambda w: "/v1/inventory/MUG/movements",
            hidden=lambda w: ["store-lyon"],
            refused=(200,),
        ),
    ],
    # Carts: a customer's cart is theirs alone, on every channel.
    "GET /v1/carts/{cart_id}": _cart("/v1/carts/{cart}"),
    "PATCH /v1/carts/{cart_id}": _cart("/v1/carts/{cart}", {"locale": "fr"}),
    "POST /v1/carts/{cart_id}/lines": _cart(
        "/v1/carts/{cart}/lines", {"sku": "CAP", "quantity": 1}
    ),
    "PATCH /v1/carts/{cart_id}/lines/{line_id}": _cart(
        "/v1/carts/{cart}/lines/x1", {"quantity": 2}
    ),
    "DELETE /v1/carts/{cart_id}/lines/{line_id}": _cart("/v1/carts/{cart}/lines/x1"),
    "POST /v1/carts/{cart_id}/checkout": _cart(
        "/v1/carts/{cart}/checkout", {"payment": {"provider": "test", "token": "tok_ok"}}
    ),
    "GET /v1/customers/me/orders/{order_id}": [
        Case("shop:web+bob", lambda w: f"/v1/customers/me/orders/{w.web_order}"),
    ],
    "GET /v1/customers/me/orders": [
        Case(
            "shop:web+bob",
            lambda w: "/v1/customers/me/orders",
            hidden=lambda w: [w.web_order, w.lyon_sale],
            refused=(200,),
        ),
    ],
    "PATCH /v1/customers/me/addresses/{address_id}": [
        Case(
            "shop:web+bob",
            lambda w: f"/v1/customers/me/addresses/{w.anne_address}",
            lambda w: {"city": "Nice"},
        ),
    ],
    "DELETE /v1/customers/me/addresses/{address_id}": [
        Case("shop:web+bob", lambda w: f"/v1/customers/me/addresses/{w.anne_address}"),
    ],
    "GET /v1/customers/me/addresses": [
        Case(
            "shop:web+bob",
            lambda w: "/v1/customers/me/addresses",
            hidden=lambda w: [w.anne_address],
            refused=(200,),
        ),
    ],
    "GET /v1/customers/me": [
        Case(
            "shop:web+bob",
            lambda w: "/v1/customers/me",
            hidden=lambda w: [w.anne_id, "anne@example.com"],
            refused=(200,),
        ),
    ],
    "GET /v1/customers/me/cart": [
        Case("shop:web+bob", lambda w: "/v1/customers/me/cart", hidden=lambda w: [w.anne_cart]),
    ],
    # A product not listed in a channel does not exist for that channel's key.
    "GET /v1/catalog/products/{handle}": [
        Case("shop:app", lambda w: "/v1/catalog/products/tee"),
    ],
}

# Routes a non-admin may call that name no object of someone else, and why.
NO_FOREIGN_OBJECT = {
    "POST /v1/pos/sales": "acts for the key's own store and channel; the body names no store",
    "POST /v1/pos/sync": "same as POST /v1/pos/sales, per transaction",
    "GET /v1/locations": "the store directory (addresses, opening) is public information",
    "GET /v1/locations/{code}": "the store directory is public information",
    "POST /v1/carts": "creates a new cart for the caller",
    "GET /v1/catalog/products": "the caller's own channel's published catalog",
    "GET /v1/availability": "the caller's own channel's availability",
    "GET /v1/availability/bulk": "the caller's own channel's availability",
    "POST /v1/availability/query": "the caller's own channel's availability",
    "GET /v1/availability/nearby": "pickup stores of the caller's own channel",
    "POST /v1/customers/register": "creates the caller's own account (see test_security_auth)",
    "POST /v1/customers/verify": "the emailed token names the one registration it confirms",
    "POST /v1/customers/login": "signs the caller in (see test_security_auth)",
    "PATCH /v1/customers/me": "the signed-in customer's own profile",
    "POST /v1/customers/me/addresses": "adds to the signed-in customer's own address book",
    "GET /v1/customers/me/loyalty": "the signed-in customer's own points",
    **{
        f"POST /v1/{call}": "events go to the ingest key's own channel; no object is named"
        for call in ("track", "identify", "page", "screen", "alias", "group", "batch")
    },
    **{
        f"GET /v1/feeds/{{channel}}/{feed}": (
            "a channel's publishable key reads its own channel's feed only: another channel's "
            "key is refused with 403 (tests/api/test_feeds.py)"
        )
        for feed in ("google.xml", "meta.csv", "inventory.json")
    },
    "GET /v1/pos/till": "the key's own channel and store; the request names no store",
    "GET /v1/pos/catalog": "the key's own channel's catalog; the request names no store",
    "GET /v1/pos/transfers": "transfers into the key's own store; the request names none",
    "POST /v1/pos/staff-session": (
        "signs a store manager in at one of their own stores (another store is 403: "
        "tests/api/test_pos_staff_session.py)"
    ),
    "DELETE /v1/pos/staff-session": "ends the caller's own till session; names no object",
    "POST /v1/gift-cards/lookup": (
        "the code is the card's bearer secret and a card is spendable in every store: "
        "holding it is the authority, no other store's object is named"
    ),
}


def _admin_only(route: Any) -> bool:
    roles = _allowed_roles(route.dependant)
    return roles == {Role.ADMIN}


def _snapshot(w: World) -> dict[str, Any]:
    admin = w.fr.admin
    anne_cart = w.call("shop:web+anne", "GET", f"/v1/carts/{w.anne_cart}").json()
    return {
        "return": admin.get(f"/v1/returns/{w.lyon_return}").json(),
        "fo": admin.get(f"/v1/fulfillment-orders/{w.lyon_fo}").json(),
        "shipment": admin.get(f"/v1/shipments/{w.lyon_shipment}").json(),
        "order": admin.get(f"/v1/orders/{w.web_order}").json(),
        "cart": {k: v for k, v in anne_cart.items() if k != "updated_at"},
        "addresses": w.call("shop:web+anne", "GET", "/v1/customers/me/addresses").json(),
    }


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_no_route_serves_or_changes_another_store_customer_or_channel_s_objects(
    admin: TestClient, db: Database
) -> None:
    world = _world(admin, db)
    before = _snapshot(world)
    unclassified, leaks = [], {}
    checked = 0
    for method, path, route in _routes(admin.app):  # type: ignore[arg-type]
        name = f"{method} {path}"
        if _admin_only(route) or name in NO_FOREIGN_OBJECT:
            continue
        cases = CASES.get(name)
        if not cases:
            unclassified.append(name)
            continue
        for case in cases:
            checked += 1
            url = case.path(world)
            response = world.call(case.who, method, url, case.body(world))
            shown = [i for i in case.hidden(world) if i in response.text]
            if response.status_code not in case.refused or shown:
                leaks[f"{case.who} {method} {url}"] = (
                    response.status_code,
                    shown,
                    response.text[:160],
                )
    assert unclassified == [], "routes without an object-level case"
    assert leaks == {}
    assert checked >= 40
    assert _snapshot(world) == before


def test_the_owner_and_the_right_store_do_get_their_objects(
    admin: TestClient, db: Database
) -> None:
    # the same requests succeed for the owner: the refusals above are about the caller
    w = _world(admin, db)
    assert w.call("pos:store-lyon", "GET", f"/v1/returns/{w.lyon_return}").status_code == 200
    assert w.call("pos:store-lyon", "GET", f"/v1/shipments/{w.lyon_shipment}").status_code == 200
    got = w.call("pos:store-lyon", "GET", f"/v1/fulfillment-orders/{w.lyon_fo}")
    assert got.status_code == 200
    assert w.call("shop:web+anne", "GET", f"/v1/carts/{w.anne_cart}").status_code == 200
    mine = w.call("shop:web+anne", "GET", f"/v1/customers/me/orders/{w.web_order}")
    assert mine.status_code == 200


def test_an_anonymous_cart_follows_its_holder_across_channels(
    admin: TestClient, db: Database
) -> None:
    # By design (one cart across channels, DESIGN.md §3) an anonymous cart's id is its
    # capability, whichever channel's key presents it; it carries 128 random bits for that.
    w = _world(admin, db)
    moved = w.call("shop:app", "GET", f"/v1/carts/{w.anon_cart}")
    assert moved.status_code == 200
    assert moved.json()["id"] == w.anon_cart
