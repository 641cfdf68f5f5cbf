"""What a till reads besides its sales, on both back ends: who its key is, its channel's
catalog to sell from offline, and the transfers on their way to its store only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from souk.catalog.storefront_schemas import CatalogPage
from souk.db.engine import Database
from tests.fulfilment_factories import FrenchShop, french_shop


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


def _till(fr: FrenchShop, store: str) -> TestClient:
    till = TestClient(fr.admin.app)
    till.headers["Authorization"] = f"Bearer {fr.pos_keys[store]}"
    return till


def test_a_till_learns_its_channel_and_store_from_its_key(fr: FrenchShop) -> None:
    assert _till(fr, "store-paris").get("/v1/pos/till").json() == {
        "channel": "pos-paris",
        "location": "store-paris",
    }
    assert _till(fr, "store-lyon").get("/v1/pos/till").json() == {
        "channel": "pos-lyon",
        "location": "store-lyon",
    }


def test_the_till_catalog_is_its_channels_priced_listing_page_by_page(fr: FrenchShop) -> None:
    till = _till(fr, "store-paris")
    first = till.get("/v1/pos/catalog", params={"limit": 2})
    assert first.status_code == 200, first.text
    page = CatalogPage.model_validate(first.json())
    assert (page.channel, page.currency) == ("pos-paris", "EUR")
    rest = till.get("/v1/pos/catalog", params={"limit": 2, "cursor": page.next_cursor}).json()
    assert rest["next_cursor"] is None
    skus = [v.sku for p in page.data for v in p.variants] + [
        v["sku"] for p in rest["data"] for v in p["variants"]
    ]
    assert sorted(skus) == ["CAP", "MUG", "TEE-M"]
    searched = till.get("/v1/pos/catalog", params={"q": "mug"}).json()["data"]
    assert [p["handle"] for p in searched] == ["mug"]
    assert till.get("/v1/pos/catalog", params={"limit": 0}).status_code == 422
    assert till.get("/v1/pos/catalog", params={"cursor": "garbage"}).status_code == 422


def test_a_store_sees_only_the_transfers_coming_to_it_until_they_arrive(fr: FrenchShop) -> None:
    admin = fr.admin
    to_paris = admin.post(
        "/v1/inventory/transfers",
        json={"sku": "TEE-M", "from": "wh-marseille", "to": "store-paris", "quantity": 3},
    ).json()
    to_lyon = admin.post(
        "/v1/inventory/transfers",
        json={"sku": "CAP", "from": "wh-marseille", "to": "store-lyon", "quantity": 1},
    ).json()
    paris = _till(fr, "store-paris")
    listed = paris.get("/v1/pos/transfers").json()
    fields = ("id", "sku", "from", "to", "quantity", "status")
    assert [tuple(t[f] for f in fields) for t in listed] == [
        (to_paris["id"], "TEE-M", "wh-marseille", "store-paris", 3, "requested")
    ]
    admin.post(f"/v1/inventory/transfers/{to_paris['id']}/ship")
    assert [t["status"] for t in paris.get("/v1/pos/transfers").json()] == ["shipped"]
    admin.post(f"/v1/inventory/transfers/{to_paris['id']}/receive")
    assert paris.get("/v1/pos/transfers").json() == []
    assert [t["id"] for t in _till(fr, "store-lyon").get("/v1/pos/transfers").json()] == [
        to_lyon["id"]
    ]


def test_till_reads_need_a_pos_key(fr: FrenchShop) -> None:
    anonymous = TestClient(fr.admin.app)
    for path in ("/v1/pos/till", "/v1/pos/catalog", "/v1/pos/transfers"):
        assert anonymous.get(path).status_code == 401
        assert fr.admin.get(path).status_code == 403
