"""`souk demo load`: a believable business, fast, consistent, on both back ends."""

from __future__ import annotations

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import func, select

from souk.catalog.tables import ListingRow, ProductRow, ProductTranslationRow, VariantRow
from souk.channels.tables import ChannelRow
from souk.db.engine import Database
from souk.demo import loader
from souk.demo.generator import ean13, generate, shop_prices
from souk.errors import InvalidState
from souk.inventory.tables import LocationRow, stock_levels, stock_movements
from souk.pricing.tables import PriceRow, TaxRateRow


def _load(db: Database, products: int) -> list[str]:
    with Progress(console=Console(quiet=True)) as progress:
        return loader.load(db, products=products, seed=7, progress=progress)


def _count(db: Database, table: object) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


def test_demo_business_is_complete_and_consistent(db: Database) -> None:
    # given an empty database
    assert loader.is_empty(db)
    # when the demo is loaded
    summary = _load(db, 120)
    # then it has stores and warehouses in five countries, every channel type, the catalog
    assert not loader.is_empty(db)
    assert summary[0] == "7 warehouses and 21 stores in 5 countries"
    with db.transaction(write=False) as session:
        countries = set(session.scalars(select(LocationRow.country)))
        types = set(session.scalars(select(ChannelRow.type)))
        locales = set(session.scalars(select(ProductTranslationRow.locale)))
        currencies = set(session.scalars(select(PriceRow.currency)))
        tax_countries = set(session.scalars(select(TaxRateRow.country)))
        # invariant 2: on hand is explained by the ledger, row by row
        ledger = dict(
            session.execute(
                select(stock_movements.c.stock_id, func.sum(stock_movements.c.quantity)).group_by(
                    stock_movements.c.stock_id
                )
            ).all()
        )
        on_hand = dict(session.execute(select(stock_levels.c.id, stock_levels.c.on_hand)).all())
        drops = session.scalars(
            select(ListingRow.hold_stock).where(ListingRow.available_from.is_not(None))
        ).all()
    assert countries == {"FR", "DE", "ES", "US", "JP"}
    assert types == {"web", "app", "pos", "marketplace", "social"}
    assert locales == {"en", "fr", "ja"}
    assert currencies == {"EUR", "USD", "JPY"}
    assert tax_countries == countries
    assert on_hand == ledger and sum(on_hand.values()) > 0
    assert drops == ["cart"]  # product 97 is a timed app drop, held at add-to-cart
    assert _count(db, ProductRow) == 120
    assert _count(db, VariantRow) == sum(len(p.variants) for p in generate(120, 7))


def test_demo_refuses_a_database_that_has_a_catalog(db: Database) -> None:
    _load(db, 5)
    try:
        _load(db, 5)
    except InvalidState as exc:
        assert "empty database" in exc.detail
    else:
        raise AssertionError("a second load must be refused")
    assert _count(db, ProductRow) == 5


def test_generator_is_deterministic_and_big_enough() -> None:
    first = list(generate(600, 7))
    assert first == list(generate(600, 7))
    assert len({p.handle for p in first}) == 600
    skus = [v.sku for p in first for v in p.variants]
    assert len(skus) == len(set(skus)) >= 2000
    assert all(set(p.titles) == {"en", "fr", "ja"} for p in first)


def test_barcodes_and_price_points() -> None:
    assert ean13(1) == "3700000000013"
    digits = [int(d) for d in ean13(123456)]
    assert sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0
    assert shop_prices(4499) == {"EUR": 4499, "USD": 4999, "JPY": 7180}
