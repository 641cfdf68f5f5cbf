"""Per-location stock settings: safety stock (units never promised) and the low-stock
threshold that fires `inventory.low_stock`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from souk.catalog.queries import variants_by_sku
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound
from souk.inventory.availability import LocationStock
from souk.inventory.queries import location_ids
from souk.inventory.stock import ensure_stock, read_stock, set_figures


def _stock_id(session: Session, sku: str, location: str) -> tuple[tuple[int, int], int]:
    variant = variants_by_sku(session=session, skus=[sku]).get(sku)
    if variant is None:
        raise NotFound(f"No SKU {sku!r}")
    location_id = location_ids(session=session, codes=[location]).get(location)
    if location_id is None:
        raise NotFound(f"No location {location!r}")
    key = (variant.variant_id, location_id)
    return key, ensure_stock(session, pairs=[key], now=utcnow())[key]


def update(
    *,
    uow: UnitOfWork,
    sku: str,
    location: str,
    safety_stock: int | None = None,
    low_stock_threshold: int | None = None,
) -> LocationStock:
    with uow:
        now = utcnow()
        key, stock_id = _stock_id(uow.session, sku, location)
        values = {}
        if safety_stock is not None:
            values["safety_stock"] = safety_stock
        if low_stock_threshold is not None:
            values["low_stock_threshold"] = low_stock_threshold
        if values:
            set_figures(uow.session, stock_id=stock_id, now=now, **values)
        live = read_stock(uow.session, now=now, stock_ids=[stock_id])[key]
        uow.commit()
        return LocationStock(location, live.figures)
