from fastapi.testclient import TestClient
from souk.db.engine import Database
from tests.fulfilment_factories import french_shop


def test_x(admin: TestClient, db: Database, backend: str) -> None:
    if backend != "sqlite":
        return
    fr = french_shop(admin, db)
    cart = fr.shop.cart("web", currency="EUR")
    print(fr.shop.add(cart["id"], "web", "CAP", 3).json())
    r = fr.shop.call("PATCH", f"/v1/carts/{cart['id']}", "web", json={"email": "a@example.com", "fulfillment": {"type": "pickup", "location": "store-paris"}})
    print(r.json()["lines"])
    placed = fr.shop.checkout(cart["id"], "web")
    print(placed.status_code, placed.json())
    assert 0
