"""`souk demo load`: a believable business in under a minute — locations and channels
through their services, the catalog in bulk inserts (one transaction), stock as receipts
in the inventory ledger, and storefront keys to try it with."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

from rich.progress import Progress
from sqlalchemy import func, insert, select, text

from souk.access import service as access_service
from souk.access.models import Role
from souk.access.schemas import ApiKeyCreate
from souk.catalog.tables import (
    CategoryRow,
    ListingRow,
    ProductRow,
    ProductTranslationRow,
    VariantRow,
)
from souk.channels import service as channels_service
from souk.channels.tables import ChannelRow
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.demo import business, places, stock
from souk.demo.assortment import CATEGORIES
from souk.demo.generator import ProductSpec, generate
from souk.errors import InvalidState
from souk.inventory import locations
from souk.pricing import taxes
from souk.pricing.schemas import TaxRateCreate
from souk.pricing.tables import PriceRow

CHUNK = 500


def is_empty(db: Database) -> bool:
    """No product and no channel yet: the demo may be loaded."""
    with UnitOfWork(db, write=False) as uow:
        products = uow.session.scalar(select(func.count()).select_from(ProductRow))
        channels = uow.session.scalar(select(func.count()).select_from(ChannelRow))
        return not products and not channels


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _locations(db: Database) -> None:
    for place in places.places():
        locations.create_location(
            uow=UnitOfWork(db),
            code=place.code,
            values={
                "name": place.name,
                "type": place.type,
                "line1": place.line1,
                "city": place.city,
                "postal_code": place.postal_code,
                "country": place.country,
                "lat": place.lat,
                "lon": place.lon,
                "timezone": place.timezone,
                "can_ship": True,  # ship-from-store: stores send parcels too
                "can_pickup": place.type == "store",
                "accepts_returns": place.type == "store",
                "daily_capacity": 5000 if place.type == "warehouse" else 80,
            },
        )


def _settings(db: Database) -> None:
    for rate in places.tax_rates():
        taxes.create_tax_rate(
            uow=UnitOfWork(db),
            data=TaxRateCreate(
                country=rate.country,
                region=rate.region,
                category=rate.category,
                rate=rate.rate,
                name=rate.name,
            ),
        )
    for channel in business.channels():
        channels_service.create_channel(uow=UnitOfWork(db), data=channel)


def _catalog(db: Database, specs: list[ProductSpec], seed: int, progress: Progress) -> None:
    """Every product, text, variant, price and listing, in bulk, in one transaction."""
    task = progress.add_task("Catalog", total=len(specs))
    rng = random.Random(seed + 1)
    now = utcnow()
    with UnitOfWork(db) as uow:
        session = uow.session
        category_ids: dict[str, int] = {}
        for code, parent, en, fr, ja in CATEGORIES:
            row = CategoryRow(
                code=code,
                parent_id=category_ids.get(parent or ""),
                names={"en": en, "fr": fr, "ja": ja},
            )
            session.add(row)
            session.flush()
            category_ids[code] = row.id
        channel_ids = {r[0]: r[1] for r in session.execute(select(ChannelRow.code, ChannelRow.id))}
        for batch in _chunks(list(enumerate(specs, start=1))):
            product_ids = _insert_returning(
                session,
                ProductRow,
                [
                    {
                        "handle": spec.handle,
                        "category_id": category_ids[spec.category],
                        "attributes": spec.attributes,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for _, spec in batch
                ],
                key="handle",
            )
            texts, variants, listings = [], [], []
            for index, spec in batch:
                pid = product_ids[spec.handle]
                texts += [
                    {
                        "product_id": pid,
                        "locale": locale,
                        "title": title,
                        "description": spec.descriptions.get(locale),
                    }
                    for locale, title in spec.titles.items()
                ]
                variants += [
                    {
                        "product_id": pid,
                        "sku": v.sku,
                        "options": v.options,
                        "barcode": v.barcode,
                        "weight_g": v.weight_g,
                        "allow_backorder": False,
                    }
                    for v in spec.variants
                ]
                listings += [
                    {
                        "product_id": pid,
                        "channel_id": channel_ids[code],
                        "published": published,
                        "available_from": start,
                        "available_until": end,
                        "hold_stock": hold,
                        "hold_minutes": minutes,
                        "updated_at": now,
                    }
                    for code, published, start, end, hold, minutes in business.listings_for(
                        index, rng, now
                    )
                ]
            session.execute(insert(ProductTranslationRow), texts)
            session.execute(insert(ListingRow), listings)
            variant_ids = _insert_returning(session, VariantRow, variants, key="sku")
            prices = [
                {
                    "variant_id": variant_ids[v.sku],
                    "currency": currency,
                    "channel_id": None,
                    "amount": amount,
                    "updated_at": now,
                }
                for _, spec in batch
                for v in spec.variants
                for currency, amount in spec.prices.items()
            ]
            session.execute(insert(PriceRow), prices)
            progress.advance(task, len(batch))
        session.execute(insert(PriceRow), _marketplace_markup(session, channel_ids, now))
        uow.commit()


def _insert_returning(
    session: Any, table: Any, rows: list[dict[str, Any]], *, key: str
) -> dict[str, int]:
    column = getattr(table, key)
    result = session.execute(insert(table).returning(column, table.id), rows)
    return {row[0]: row[1] for row in result}


def _marketplace_markup(
    session: Any, channel_ids: dict[str, int], now: Any
) -> list[dict[str, Any]]:
    """The marketplace charges its commission back: a few SKUs cost 5% more there, on
    purpose — `GET /v1/prices/inconsistencies` lists them."""
    rows = session.execute(
        select(PriceRow.variant_id, PriceRow.amount)
        .where(PriceRow.currency == "EUR", PriceRow.channel_id.is_(None))
        .order_by(PriceRow.variant_id)
        .limit(40)
    )
    return [
        {
            "variant_id": vid,
            "currency": "EUR",
            "channel_id": channel_ids["marketplace-de"],
            "amount": round(amount * 1.05 / 100) * 100 - 1,
            "updated_at": now,
        }
        for vid, amount in rows
    ]


def _keys(db: Database) -> list[str]:
    lines = []
    for channel in ("web", "web-us", "web-jp", "app"):
        created = access_service.create_key(
            uow=UnitOfWork(db),
            data=ApiKeyCreate(
                name=f"demo {channel} storefront", role=Role.STOREFRONT, channel=channel
            ),
        )
        lines.append(f"  {channel:8} X-Publishable-Key: {created.key}")
    return lines


def load(db: Database, *, products: int, seed: int, progress: Progress) -> list[str]:
    if not is_empty(db):
        raise InvalidState(
            "The database already has a catalog or channels: load the demo "
            "into an empty database (or use --if-empty)"
        )
    setup = progress.add_task("Locations, channels, taxes", total=3)
    _locations(db)
    progress.advance(setup)
    _settings(db)
    progress.advance(setup)
    specs = list(generate(products, seed))
    progress.advance(setup)
    _catalog(db, specs, seed, progress)
    units = stock.receive(db, specs, seed=seed, progress=progress)
    # Planner statistics right after a bulk load: without them PostgreSQL plans the
    # storefront's queries for empty tables until autovacuum comes by.
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    variants = sum(len(s.variants) for s in specs)
    summary = [
        f"{len(places.warehouses())} warehouses and {len(places.stores())} stores in "
        f"{len({p.country for p in places.places()})} countries",
        f"{len(business.channels())} channels, {len(specs)} products, {variants} variants, "
        f"prices in EUR, USD and JPY, {len(places.tax_rates())} tax rates",
        f"{units} units of stock received",
        "Storefront keys (shown once):",
    ]
    return summary + _keys(db)
