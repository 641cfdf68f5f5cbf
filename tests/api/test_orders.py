"""Orders over HTTP on both back ends: every channel's orders in one place, imports from
marketplaces (idempotent by their own id), cancellation that gives stock and money back,
and who may see what."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from souk.db.engine import Database
from souk.db.outbox import OutboxEvent
from souk.db.uow import UnitOfWork
from souk.errors import Conflict, InvalidState
from souk.orders.service import set_status
from souk.payments import service as payments
from tests.checkout_factories import ADDRESS_JP, Shop, tokyo_shop

PROBLEM = "https://souk.dev/problems/"


@pytest.fixture
def shop(admin: TestClient, db: Database) -> Shop:
    shop = tokyo_shop(admin, db)
    shop.channel(
        "rakuten",
        type="marketplace",
        default_currency="JPY",
        currencies=["JPY"],
        locales=["ja"],
        default_locale="ja",
        country="JP",
        prices_include_tax=True,
        ship_from=["wh-tokyo"],
    )
    return shop


def place(shop: Shop, channel: str = "web", sku: str = "SNK-42", token: str | None = None) -> Any:
    cart = shop.cart(channel, token=token, email="a@example.jp", shipping_address=ADDRESS_JP)
    shop.add(cart["id"], channel, sku, 1, token=token)
    response = shop.checkout(cart["id"], channel, token=token)
    assert response.status_code == 201, response.text
    return response.json()


def import_body(external_id: str = "R-1001", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "rakuten",
        "external_id": external_id,
        "currency": "JPY",
        "customer": {"email": "Buyer@Example.jp", "name": "Buyer"},
        "lines": [{"sku": "SNK-43", "quantity": 2, "unit_price": 11500, "tax": 2091}],
        "shipping": 0,
        "shipping_address": ADDRESS_JP,
    }
    body.update(changes)
    return body


def test_orders_from_every_channel_are_listed_filtered_and_paged(
    shop: Shop, admin: TestClient
) -> None:
    token = shop.register("web", "aiko@example.jp")["token"]
    web = place(shop, "web")
    app = place(shop, "app", token=token)
    imported = admin.post("/v1/orders/import", json=import_body()).json()
    everything = admin.get("/v1/orders").json()
    assert [o["id"] for o in everything["data"]] == [imported["id"], app["id"], web["id"]]
    assert everything["next_cursor"] is None
    by_channel = admin.get("/v1/orders", params={"channel": "app"}).json()["data"]
    assert [o["id"] for o in by_channel] == [app["id"]]
    by_customer = admin.get("/v1/orders", params={"customer": app["customer"]}).json()["data"]
    assert [o["id"] for o in by_customer] == [app["id"]]
    page = admin.get("/v1/orders", params={"limit": 2}).json()
    rest = admin.get("/v1/orders", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [o["id"] for o in page["data"] + rest["data"]] == [
        imported["id"],
        app["id"],
        web["id"],
    ]
    assert admin.get("/v1/orders", params={"status": "shipped-ish"}).status_code == 422
    assert admin.get("/v1/orders", params={"cursor": "garbage"}).status_code == 422
    assert admin.get(f"/v1/orders/{web['id']}").json() == web
    assert admin.get("/v1/orders/ord_nope").status_code == 404


def test_a_marketplace_order_is_imported_once(shop: Shop, admin: TestClient, db: Database) -> None:
    first = admin.post("/v1/orders/import", json=import_body())
    assert first.status_code == 201, first.text
    order = first.json()
    assert (order["source"], order["external_id"], order["channel"], order["email"]) == (
        "import",
        "R-1001",
        "rakuten",
        "buyer@example.jp",
    )
    assert order["totals"]["total"] == {"amount": 23000, "currency": "JPY"}
    assert order["totals"]["tax_included"] == {"amount": 2091, "currency": "JPY"}
    assert [(p["provider"], p["status"]) for p in order["payments"]] == [
        ("marketplace", "captured")
    ]
    again = admin.post("/v1/orders/import", json=import_body())
    assert again.status_code == 200 and again.json() == order
    assert shop.stock_of("SNK-43")["allocated"] == 2
    assert len(admin.get("/v1/orders").json()["data"]) == 1


def test_bad_imports_are_refused_and_write_nothing(shop: Shop, admin: TestClient) -> None:
    unknown = admin.post(
        "/v1/orders/import",
        json=import_body(
            channel="nowhere",
            lines=[
                {"sku": "NOPE", "quantity": 1, "unit_price": 100},
                {"sku": "SNK-42", "quantity": 1, "unit_price": 100, "discount": 200},
            ],
        ),
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == [
        "body.channel",
        "body.lines.0.sku",
        "body.lines.1.discount",
    ]
    currency = admin.post("/v1/orders/import", json=import_body(currency="USD"))
    assert currency.status_code == 422
    assert currency.json()["errors"][0]["field"] == "body.currency"
    short = admin.post(
        "/v1/orders/import",
        json=import_body(lines=[{"sku": "SNK-43", "quantity": 50, "unit_price": 100}]),
    )
    assert short.status_code == 409 and short.json()["lines"] == [
        {"sku": "SNK-43", "requested": 50, "available": 10}
    ]
    empty = admin.post("/v1/orders/import", json=import_body(lines=[]))
    assert empty.status_code == 422
    assert admin.get("/v1/orders").json()["data"] == []
    assert shop.stock_of("SNK-43")["allocated"] == 0


def test_cancelling_gives_the_stock_back_and_voids_the_payment(
    shop: Shop, admin: TestClient, db: Database
) -> None:
    order = place(shop)
    assert shop.stock_of("SNK-42")["allocated"] == 1
    cancelled = admin.post(f"/v1/orders/{order['id']}/cancel", json={"reason": "changed mind"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled"
    assert [(h["status"], h["note"]) for h in body["status_history"]] == [
        ("placed", None),
        ("cancelled", "changed mind"),
    ]
    [payment] = body["payments"]
    assert (payment["status"], payment["voided"]["amount"]) == (
        "voided",
        order["totals"]["total"]["amount"],
    )
    stock = shop.stock_of("SNK-42")
    assert (stock["allocated"], stock["available"]) == (0, 12)  # 10 in the warehouse, 2 in store
    with db.transaction(write=False) as session:
        names = session.scalars(
            select(OutboxEvent.name).where(OutboxEvent.name == "order.cancelled")
        )
        assert list(names) == ["order.cancelled"]
    again = admin.post(f"/v1/orders/{order['id']}/cancel")
    assert again.status_code == 409 and again.json()["type"] == PROBLEM + "invalid-state"
    assert admin.post("/v1/orders/ord_nope/cancel").status_code == 404


def test_cancelling_after_capture_refunds_what_was_captured(
    shop: Shop, admin: TestClient, db: Database
) -> None:
    order = place(shop)
    total = order["totals"]["total"]["amount"]
    with UnitOfWork(db) as uow:
        assert payments.capture(session=uow.session, order_id=order["id"], amount=total) == total
        uow.commit()
    body = admin.post(f"/v1/orders/{order['id']}/cancel").json()
    [payment] = body["payments"]
    assert (payment["status"], payment["captured"]["amount"], payment["refunded"]["amount"]) == (
        "refunded",
        total,
        total,
    )


def test_refunds_never_exceed_what_was_captured(shop: Shop, db: Database) -> None:
    order = place(shop)
    with UnitOfWork(db) as uow:
        payments.capture(session=uow.session, order_id=order["id"], amount=5000)
        uow.commit()
    with UnitOfWork(db) as uow:
        assert payments.refund(session=uow.session, order_id=order["id"], amount=3000) == 3000
        uow.commit()
    with UnitOfWork(db) as uow, pytest.raises(Conflict, match="only 2000"):
        payments.refund(session=uow.session, order_id=order["id"], amount=2001)
    with UnitOfWork(db) as uow, pytest.raises(Conflict, match="only 7800"):
        payments.capture(session=uow.session, order_id=order["id"], amount=7801)
    with UnitOfWork(db) as uow:
        [info] = payments.payments_for(session=uow.session, order_id=order["id"])
    assert (info.captured, info.refunded, info.refundable, info.capturable) == (
        5000,
        3000,
        2000,
        7800,
    )


def test_status_history_and_illegal_moves(shop: Shop, db: Database) -> None:
    order = place(shop)
    with UnitOfWork(db) as uow:
        set_status(session=uow.session, order_id=order["id"], status="fulfilled", note="shipped")
        uow.commit()
    with UnitOfWork(db) as uow, pytest.raises(InvalidState):
        set_status(session=uow.session, order_id=order["id"], status="cancelled")
    with UnitOfWork(db) as uow:
        row = set_status(session=uow.session, order_id=order["id"], status="returned")
        assert [h.status for h in row.history] == ["placed", "fulfilled", "returned"]
        uow.commit()


def test_a_pos_key_sees_only_its_own_channels_orders(shop: Shop, admin: TestClient) -> None:
    shop.channel(
        "pos-ginza",
        type="pos",
        default_currency="JPY",
        currencies=["JPY"],
        locales=["ja"],
        default_locale="ja",
        country="JP",
        prices_include_tax=True,
        pickup_at=["store-ginza"],
    )
    key = admin.post(
        "/v1/api-keys",
        json={"name": "till", "role": "pos", "channel": "pos-ginza", "location": "store-ginza"},
    ).json()["key"]
    web = place(shop)
    till = {"Authorization": f"Bearer {key}"}
    assert shop.store.get(f"/v1/orders/{web['id']}", headers=till).status_code == 403
    assert shop.store.get("/v1/orders", params={"channel": "web"}, headers=till).status_code == 403
    mine = shop.store.get("/v1/orders", headers=till)
    assert mine.status_code == 200 and mine.json()["data"] == []
    customer = shop.register("web", "c@example.jp")["token"]
    as_customer = shop.call("GET", f"/v1/orders/{web['id']}", "web", token=customer)
    assert as_customer.status_code == 401
