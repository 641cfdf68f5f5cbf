"""Writers racing on one handle, one price, one listing: one product, one row, no 500."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from souk.catalog import listings, service
from souk.catalog.schemas import ListingPut, ProductCreate, VariantIn
from souk.catalog.tables import ListingRow, ProductRow, VariantRow
from souk.channels import service as channels_service
from souk.channels.schemas import ChannelCreate
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists
from souk.pricing import prices
from souk.pricing.schemas import PriceIn
from souk.pricing.tables import PriceRow

RACERS = 6
pytestmark = pytest.mark.slow


def _race(task: Callable[[int], Any]) -> list[Any]:
    """Run `task(i)` in RACERS threads released together; each result or the exception."""
    barrier = threading.Barrier(RACERS)

    def run(i: int) -> Any:
        barrier.wait()
        try:
            return task(i)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(run, range(RACERS)))


def _count(db: Database, table: Any) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _product(handle: str, sku: str) -> ProductCreate:
    return ProductCreate(handle=handle, title={"en": "Drop"}, variants=[VariantIn(sku=sku)])


def test_one_handle_created_once(db: Database) -> None:
    results = _race(
        lambda i: service.create_product(uow=UnitOfWork(db), data=_product("drop", f"D-{i}"))
    )
    created = [r for r in results if not isinstance(r, Exception)]
    assert len(created) == 1
    assert all(isinstance(r, AlreadyExists) for r in results if isinstance(r, Exception))
    assert (_count(db, ProductRow), _count(db, VariantRow)) == (1, 1)


def test_one_price_upserted_by_every_writer(db: Database) -> None:
    service.create_product(uow=UnitOfWork(db), data=_product("tee", "T-1"))
    results = _race(
        lambda i: prices.set_prices(
            uow=UnitOfWork(db), prices=[PriceIn(sku="T-1", currency="EUR", amount=1000 + i)]
        )
    )
    assert not [r for r in results if isinstance(r, Exception)]
    with db.transaction(write=False) as session:
        amounts = list(session.scalars(select(PriceRow.amount)))
    assert len(amounts) == 1 and 1000 <= amounts[0] < 1000 + RACERS


def test_one_listing_put_by_every_writer(db: Database) -> None:
    service.create_product(uow=UnitOfWork(db), data=_product("tee", "T-1"))
    channels_service.create_channel(
        uow=UnitOfWork(db),
        data=ChannelCreate(
            code="app",
            name="App",
            type="app",
            default_currency="EUR",  # type: ignore[arg-type]
            currencies=["EUR"],
            default_locale="en",
            locales=["en"],
            country="FR",
            prices_include_tax=True,
        ),
    )
    results = _race(
        lambda i: listings.put_listing(
            uow=UnitOfWork(db), handle="tee", channel="app", data=ListingPut(published=i % 2 == 0)
        )
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert _count(db, ListingRow) == 1
