"""How other domains read prices and tax rates, inside their own transaction."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from souk.catalog.tables import VariantRow
from souk.channels.tables import ChannelRow
from souk.db.base import table_of
from souk.db.reference import TAX_RATES
from souk.db.timed import PerDatabase
from souk.pricing.tables import PriceRow, TaxRateRow

RATE_QUANTUM = Decimal("0.00001")


# Core, on the tables: a statement naming ORM entities goes through the ORM's result
# machinery, which cost more than the statement itself (every cart change reads prices).
_variants = table_of(VariantRow)
_prices = table_of(PriceRow)
_channels = table_of(ChannelRow)
_tax_rates = table_of(TaxRateRow)


# Built once with bound parameters: building the statement and its cache key on every cart
# change cost more than running it. The channel's id is a subquery of the same statement:
# one round trip, not two.
_UNIT_PRICES = (
    select(_variants.c.sku, _prices.c.channel_id, _prices.c.amount)
    .join(_prices, _prices.c.variant_id == _variants.c.id)
    .where(
        _variants.c.sku.in_(bindparam("skus", expanding=True)),
        _prices.c.currency == bindparam("currency"),
        or_(
            _prices.c.channel_id.is_(None),
            _prices.c.channel_id
            == select(_channels.c.id)
            .where(_channels.c.code == bindparam("channel"))
            .scalar_subquery(),
        ),
    )
)


# What changes a SKU's price: a price, the variant (its SKU), the channel.
PRICE_CHANGES = ("prices.", "product.", "channel.")
# (channel, currency, sku) → the price, None for none: a SKU with no price is kept as such.
_kept_prices: PerDatabase[tuple[int | None]] = PerDatabase(PRICE_CHANGES, max_entries=50_000)
_UNPRICED: tuple[int | None] = (None,)


def unit_prices(
    *, session: Session, skus: Collection[str], currency: str, channel: str, kept: bool = False
) -> dict[str, int]:
    """Each SKU's price in `currency` in `channel`: the channel's override, else the base
    price. An unpriced SKU is absent.

    `kept`: what a cart shows may come from this process's copy (`souk.db.timed`, kept for
    SOUK_REFERENCE_CACHE_MS, forgotten at once when this process commits a price change;
    another process's change shows within that time): only the SKUs not in it are read. A
    checkout and a till sale read exactly (`kept=False`)."""
    if not skus:
        return {}
    wanted = sorted(set(skus))
    cache = _kept_prices(session) if kept else None
    if cache is None:
        return _read_prices(session, wanted, currency, channel)
    keys = {sku: (channel, currency, sku) for sku in wanted}
    kept_prices = cache.through(
        keys, lambda missing: _priced(_read_prices(session, missing, currency, channel)),
        keep_absent=_UNPRICED,
    )  # fmt: skip
    return {sku: price for sku, (price,) in kept_prices.items() if price is not None}


def _priced(prices: dict[str, int]) -> dict[str, tuple[int | None]]:
    return {sku: (amount,) for sku, amount in prices.items()}


def _read_prices(session: Session, skus: list[str], currency: str, channel: str) -> dict[str, int]:
    rows = session.execute(_UNIT_PRICES, {"skus": skus, "currency": currency, "channel": channel})
    base: dict[str, int] = {}
    override: dict[str, int] = {}
    for sku, price_channel, amount in rows:
        (base if price_channel is None else override)[sku] = amount
    return {**base, **override}


def specificity(rate_region: str | None, rate_category: str | None) -> tuple[int, int]:
    """How specific a rate is: more qualifiers first; a category rate (books, food) beats a
    regional one when each has one qualifier, because reduced rates are set per category."""
    matched = (rate_region is not None) + (rate_category is not None)
    return matched, int(rate_category is not None)


TaxRates = tuple[tuple[str | None, str | None, Decimal], ...]


def tax_rates(*, session: Session, country: str, region: str | None = None) -> TaxRates:
    """Every rate that may apply in the country (and region), whatever the category: one
    read for a whole cart (none from the reference cache), which `rate_in` then picks from
    per category."""
    return TAX_RATES.get(
        session, (country, region), lambda: _read_tax_rates(session, country, region)
    )


def _read_tax_rates(session: Session, country: str, region: str | None) -> TaxRates:
    rows = session.execute(
        select(_tax_rates.c.region, _tax_rates.c.category, _tax_rates.c.rate).where(
            _tax_rates.c.country == country,
            or_(_tax_rates.c.region.is_(None), _tax_rates.c.region == region),
        )
    )
    return tuple((r, c, Decimal(rate)) for r, c, rate in rows)


def rate_in(rates: TaxRates, category: str | None) -> Decimal:
    """The most specific of `rates` that applies to `category`; Decimal(0) when none does."""
    applicable = [r for r in rates if r[1] is None or r[1] == category]
    if not applicable:
        return Decimal(0)
    best = max(applicable, key=lambda r: specificity(r[0], r[1]))
    return best[2].quantize(RATE_QUANTUM).normalize() if best[2] else Decimal(0)


def tax_rate(
    *,
    session: Session,
    country: str,
    region: str | None = None,
    category: str | None = None,
) -> Decimal:
    """The most specific rate for the country (and region, and product category) that
    applies; Decimal(0) when none does."""
    rows = session.execute(
        select(_tax_rates.c.region, _tax_rates.c.category, _tax_rates.c.rate).where(
            _tax_rates.c.country == country,
            or_(_tax_rates.c.region.is_(None), _tax_rates.c.region == region),
            or_(_tax_rates.c.category.is_(None), _tax_rates.c.category == category),
        )
    ).all()
    if not rows:
        return Decimal(0)
    best = max(rows, key=lambda r: specificity(r[0], r[1]))
    return Decimal(best[2]).quantize(RATE_QUANTUM).normalize() if best[2] else Decimal(0)


def base_prices(*, session: Session, skus: Collection[str]) -> dict[tuple[str, str], int]:
    """(sku, currency) → the price that holds in every channel without an override."""
    if not skus:
        return {}
    rows = session.execute(
        select(_variants.c.sku, _prices.c.currency, _prices.c.amount)
        .join(_prices, _prices.c.variant_id == _variants.c.id)
        .where(_variants.c.sku.in_(list(set(skus))), _prices.c.channel_id.is_(None))
    )
    return {(sku, currency): amount for sku, currency, amount in rows}
