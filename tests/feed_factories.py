"""A marketplace channel with a small priced, stocked catalog, for the feed tests."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.catalog_factories import (
    list_product,
    make_channel,
    make_location,
    make_product,
    set_prices,
)

# A real EAN-13 (check digit 1) and one with a wrong check digit.
GOOD_EAN = "4006381333931"
BAD_EAN = "4006381333932"


def marketplace(admin: TestClient) -> dict[str, str]:
    """Channel `market` (EUR, ships from wh-1, a buffer of 1 unit), three variants: LS-S in
    stock with a valid EAN, LS-M with a wrong EAN and none in stock, CB-1 without a barcode;
    and the channel's publishable key."""
    make_location(admin, "wh-1")
    make_channel(admin, "market", type="marketplace", currencies=["EUR"], ship_from=["wh-1"])
    make_channel(admin, "other", currencies=["EUR"], ship_from=["wh-1"])
    make_product(
        admin,
        "linen-shirt",
        attributes={"material": "linen", "brand": "Atelier Nord"},
        variants=[
            {"sku": "LS-S", "options": {"size": "S"}, "barcode": GOOD_EAN},
            {"sku": "LS-M", "options": {"size": "M"}, "barcode": BAD_EAN},
        ],
    )
    make_product(
        admin,
        "cookbook",
        ("CB-1",),
        category="books",
        title={"en": "Cookbook <& friends>"},
        description=None,
    )
    set_prices(
        admin,
        [
            {"sku": "LS-S", "currency": "EUR", "amount": 1999},
            {"sku": "LS-M", "currency": "EUR", "amount": 1999},
            {"sku": "LS-S", "currency": "EUR", "amount": 2499, "channel": "market"},
            {"sku": "CB-1", "currency": "EUR", "amount": 2500},
        ],
    )
    for handle in ("linen-shirt", "cookbook"):
        list_product(admin, handle, "market")
    for sku, quantity in (("LS-S", 5), ("CB-1", 3)):
        response = admin.post(
            "/v1/inventory/movements",
            json={"sku": sku, "location": "wh-1", "type": "receipt", "quantity": quantity},
        )
        assert response.status_code == 201, response.text
    assert admin.put("/v1/channels/market/buffers", json={"units": 1}).status_code == 200
    keys = {}
    for channel in ("market", "other"):
        created = admin.post(
            "/v1/api-keys", json={"name": channel, "role": "storefront", "channel": channel}
        )
        assert created.status_code == 201, created.text
        keys[channel] = created.json()["key"]
    return keys
