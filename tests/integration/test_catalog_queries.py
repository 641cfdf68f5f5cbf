"""The catalog and pricing query functions other domains call (CONTRACTS.md)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from souk.catalog.models import HoldStock, ListingState
from souk.catalog.queries import listing_states, localized_titles, variants_by_sku
from souk.catalog.tables import ListingRow, ProductRow, ProductTranslationRow, VariantRow
from souk.channels.tables import ChannelRow
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.pricing.queries import tax_rate, unit_prices
from souk.pricing.tables import PriceRow, TaxRateRow


def _seed(db: Database) -> dict[str, int]:
    now = utcnow()
    with db.transaction() as session:
        channels = {}
        for code in ("web", "app"):
            row = ChannelRow(
                code=code,
                name=code,
                type="web",
                default_currency="EUR",
                currencies=["EUR", "JPY"],
                default_locale="en",
                locales=["en", "fr"],
                country="FR",
                prices_include_tax=True,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            channels[code] = row
        product = ProductRow(handle="tee", attributes={}, created_at=now, updated_at=now)
        product.variants = [VariantRow(sku="T-1", options={}), VariantRow(sku="T-2", options={})]
        product.translations = [
            ProductTranslationRow(locale="en", title="Tee"),
            ProductTranslationRow(locale="fr", title="Tee-shirt"),
        ]
        other = ProductRow(handle="mug", attributes={}, created_at=now, updated_at=now)
        other.variants = [VariantRow(sku="M-1", options={})]
        other.translations = [ProductTranslationRow(locale="ja", title="マグ")]
        session.add_all([product, other])
        session.flush()
        session.add(
            ListingRow(
                product_id=product.id,
                channel_id=channels["app"].id,
                published=True,
                available_from=now - timedelta(hours=1),
                available_until=now + timedelta(hours=23),
                hold_stock="cart",
                hold_minutes=10,
                updated_at=now,
            )
        )
        t1, t2 = product.variants
        session.add_all(
            [
                PriceRow(variant_id=t1.id, currency="EUR", amount=1999, updated_at=now),
                PriceRow(
                    variant_id=t1.id,
                    currency="EUR",
                    channel_id=channels["app"].id,
                    amount=1799,
                    updated_at=now,
                ),
                PriceRow(variant_id=t2.id, currency="JPY", amount=2500, updated_at=now),
            ]
        )
        session.add_all(
            [
                TaxRateRow(country="FR", rate=Decimal("0.2"), updated_at=now),
                TaxRateRow(country="FR", category="books", rate=Decimal("0.055"), updated_at=now),
                TaxRateRow(country="US", region="NY", rate=Decimal("0.04"), updated_at=now),
            ]
        )
        return {"tee": product.id, "mug": other.id}


def test_listing_states_only_for_listed_products(db: Database) -> None:
    ids = _seed(db)
    with db.transaction(write=False) as session:
        states = listing_states(session=session, channel="app", product_ids=ids.values())
        assert listing_states(session=session, channel="web", product_ids=ids.values()) == {}
    assert set(states) == {ids["tee"]}
    state = states[ids["tee"]]
    assert (state.published, state.hold_stock, state.hold_minutes) == (True, HoldStock.CART, 10)
    assert state.is_open(utcnow())
    assert state.available_until is not None
    assert not state.is_open(state.available_until)


def test_localized_titles_fall_back(db: Database) -> None:
    ids = _seed(db)
    with db.transaction(write=False) as session:
        fr_ca = localized_titles(
            session=session, product_ids=list(ids.values()), locale="fr-CA", fallback_locale="en"
        )
        de = localized_titles(
            session=session, product_ids=list(ids.values()), locale="de", fallback_locale="en"
        )
    # fr-CA → fr; the mug has only Japanese, which is better than nothing
    assert fr_ca == {ids["tee"]: "Tee-shirt", ids["mug"]: "マグ"}
    assert de == {ids["tee"]: "Tee", ids["mug"]: "マグ"}


def test_unit_prices_prefer_the_channel_override(db: Database) -> None:
    _seed(db)
    with db.transaction(write=False) as session:
        skus = ["T-1", "T-2", "M-1", "NOPE"]
        assert unit_prices(session=session, skus=skus, currency="EUR", channel="web") == {
            "T-1": 1999
        }
        assert unit_prices(session=session, skus=skus, currency="EUR", channel="app") == {
            "T-1": 1799
        }
        assert unit_prices(session=session, skus=skus, currency="JPY", channel="app") == {
            "T-2": 2500
        }
        assert variants_by_sku(session=session, skus=skus).keys() == {"T-1", "T-2", "M-1"}


def test_tax_rate_is_the_most_specific(db: Database) -> None:
    _seed(db)
    with db.transaction(write=False) as session:
        assert tax_rate(session=session, country="FR") == Decimal("0.2")
        assert tax_rate(session=session, country="FR", category="books") == Decimal("0.055")
        assert tax_rate(session=session, country="FR", category="shoes") == Decimal("0.2")
        assert tax_rate(session=session, country="US", region="NY") == Decimal("0.04")
        assert tax_rate(session=session, country="US", region="CA") == Decimal(0)
        assert tax_rate(session=session, country="JP") == Decimal(0)


def test_listing_state_window_is_half_open() -> None:
    now = utcnow()
    state = ListingState(True, now, now + timedelta(days=1), HoldStock.CHECKOUT, None)
    assert not state.is_open(now - timedelta(microseconds=1))
    assert state.is_open(now)
    assert not state.is_open(now + timedelta(days=1))
    unpublished = ListingState(False, None, None, HoldStock.CHECKOUT, None)
    assert not unpublished.is_open(now)
