"""Routing at placement keeps the routing rules: a category stores may not ship is sent
from the warehouse, even when the store nearest the customer has it (both back ends)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.settings import Settings
from tests.fulfilment_factories import ADDRESS_PARIS, french_shop


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"routing_store_excluded_categories": ["hats"]})


def test_a_category_stores_may_not_ship_is_routed_to_the_warehouse_at_placement(
    admin: TestClient, db: Database
) -> None:
    # Given a cap for Paris: the Paris store has one, but stores may not ship hats
    fr = french_shop(admin, db)
    cart = fr.shop.cart("web", currency="EUR")
    assert fr.shop.add(cart["id"], "web", "CAP", 1).status_code == 201
    body = {"email": "a@example.com", "shipping_address": ADDRESS_PARIS}
    assert fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json=body).status_code == 200
    # When the shopper checks out, the answer already says Marseille ships it
    placed = fr.shop.checkout(cart["id"], "web")
    assert placed.status_code == 201, placed.text
    (fo,) = placed.json()["fulfillment_orders"]
    assert (fo["location"], fo["type"]) == ("wh-marseille", "ship")
    assert [(x["sku"], x["quantity"]) for x in fo["lines"]] == [("CAP", 1)]
