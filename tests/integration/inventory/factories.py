"""Small factories for inventory tests: catalog and channel rows are written directly (their
owners' services are built in parallel); locations and stock go through inventory's own
services."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from souk.catalog.tables import ProductRow, VariantRow
from souk.channels.models import Channel
from souk.channels.queries import get_channel
from souk.channels.tables import ChannelLocationRow, ChannelRow
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.inventory import locations, movements
from tests.catalog_factories import make_channel

_serial = itertools.count(1)


def location(
    db: Database,
    code: str,
    *,
    type: str = "warehouse",
    lat: float | None = 48.85,
    lon: float | None = 2.35,
    can_ship: bool = True,
    can_pickup: bool = False,
    accepts_returns: bool = False,
    name: str | None = None,
) -> str:
    locations.create_location(
        uow=UnitOfWork(db),
        code=code,
        values={
            "name": name or code.title(),
            "type": type,
            "lat": lat,
            "lon": lon,
            "timezone": "Europe/Paris",
            "can_ship": can_ship,
            "can_pickup": can_pickup,
            "accepts_returns": accepts_returns,
            "daily_capacity": None,
            "line1": None,
            "city": None,
            "postal_code": None,
            "country": "FR",
        },
    )
    return code


def variant(
    db: Database, sku: str, *, allow_backorder: bool = False, handle: str | None = None
) -> int:
    """A product with one variant; returns the product id."""
    now = utcnow()
    with UnitOfWork(db) as uow:
        product_id = None
        if handle is not None:
            found = select(ProductRow.id).where(ProductRow.handle == handle)
            product_id = uow.session.scalar(found)
        if product_id is None:
            product = ProductRow(
                handle=handle or f"p-{sku.lower()}-{next(_serial)}",
                attributes={},
                created_at=now,
                updated_at=now,
            )
            uow.session.add(product)
            uow.session.flush()
            product_id = product.id
        uow.session.add(
            VariantRow(product_id=product_id, sku=sku, options={}, allow_backorder=allow_backorder)
        )
        uow.commit()
    return product_id


def channel(
    db: Database,
    code: str,
    *,
    ship_from: tuple[str, ...] = (),
    pickup_at: tuple[str, ...] = (),
    type: str = "web",
) -> Channel:
    now = utcnow()
    with UnitOfWork(db) as uow:
        row = ChannelRow(
            code=code,
            name=code.title(),
            type=type,
            default_currency="EUR",
            currencies=["EUR"],
            default_locale="en",
            locales=["en"],
            country="FR",
            prices_include_tax=True,
            created_at=now,
            updated_at=now,
        )
        position = itertools.count()
        row.locations = [
            ChannelLocationRow(role="ship_from", location_code=c, position=next(position))
            for c in ship_from
        ] + [
            ChannelLocationRow(role="pickup", location_code=c, position=next(position))
            for c in pickup_at
        ]
        uow.session.add(row)
        uow.commit()
    with UnitOfWork(db, write=False) as uow:
        return get_channel(session=uow.session, code=code)


def receive(
    db: Database, sku: str, location: str, quantity: int, *, now: datetime | None = None
) -> None:
    with UnitOfWork(db) as uow:
        movements.record_movement(
            session=uow.session,
            sku=sku,
            location=location,
            type="receipt",
            quantity=quantity,
            now=now,
        )
        uow.commit()


def location_body(code: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code,
        "name": code.replace("-", " ").title(),
        "type": "warehouse",
        "address": {
            "line1": "1 rue de Rivoli",
            "city": "Paris",
            "postal_code": "75001",
            "country": "FR",
        },
        "lat": 48.8566,
        "lon": 2.3522,
        "timezone": "Europe/Paris",
        "can_ship": True,
        "can_pickup": False,
        "accepts_returns": False,
    }
    body.update(changes)
    return body


def api_location(admin: TestClient, code: str, **changes: Any) -> dict[str, Any]:
    response = admin.post("/v1/locations", json=location_body(code, **changes))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def api_store(
    admin: TestClient, code: str, lat: float, lon: float, **changes: Any
) -> dict[str, Any]:
    return api_location(
        admin,
        code,
        type="store",
        lat=lat,
        lon=lon,
        can_pickup=True,
        accepts_returns=True,
        **changes,
    )


def api_move(
    admin: TestClient, sku: str, location: str, type: str, quantity: int, **extra: Any
) -> Any:
    body = {"sku": sku, "location": location, "type": type, "quantity": quantity, **extra}
    return admin.post("/v1/inventory/movements", json=body)


def storefront_key(admin: TestClient, channel: str) -> str:
    response = admin.post(
        "/v1/api-keys", json={"name": f"{channel} shop", "role": "storefront", "channel": channel}
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


def shop(
    admin: TestClient,
    *,
    ship_from: list[str],
    pickup_at: list[str] | None = None,
    code: str = "web",
) -> dict[str, str]:
    """A channel through the API and the headers of its storefront."""
    make_channel(admin, code, ship_from=ship_from, pickup_at=pickup_at or [])
    return {"X-Publishable-Key": storefront_key(admin, code), "Authorization": ""}
