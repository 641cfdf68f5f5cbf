"""Prices of what a channel lists, for the storefront page: which listed products have a
price in the shopper's currency, their variants' prices, and the country's tax rates — each
one statement for a whole page, bound parameters `currency` and `channel_id`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from souk.catalog.tables import VariantRow
from souk.pricing.tables import PriceRow, TaxRateRow


def _priced(product_id: Any, override: bool) -> Any:
    price = aliased(PriceRow)
    variant = aliased(VariantRow)
    which = price.channel_id == bindparam("channel_id") if override else price.channel_id.is_(None)
    found = (
        select(literal(1))
        .select_from(variant)
        .join(price, price.variant_id == variant.id)
        .where(
            variant.product_id == product_id,
            price.currency == bindparam("currency"),
            which,
        )
        .limit(1)
        .correlate_except(variant, price)
        .scalar_subquery()
    )
    return found.is_not(None)


def priced_in_currency(product_id: Any) -> Any:
    """Whether the product (a column of the caller's query) has a variant with a base price,
    or an override for the channel, in the currency — as scalar subqueries, which PostgreSQL
    evaluates for the rows of the page only, through the prices' partial unique indexes (an
    EXISTS would be turned into a semi-join or a hash over every price of the catalog)."""
    return or_(*(_priced(product_id, override) for override in (False, True)))


def _priced_variants_statement() -> Any:
    base = aliased(PriceRow)
    override = aliased(PriceRow)
    currency: BindParameter[str] = bindparam("currency")
    return (
        select(
            VariantRow.product_id,
            VariantRow.sku,
            VariantRow.options,
            VariantRow.barcode,
            VariantRow.weight_g,
            VariantRow.allow_backorder,
            func.coalesce(override.amount, base.amount),
        )
        .outerjoin(
            base,
            and_(
                base.variant_id == VariantRow.id,
                base.currency == currency,
                base.channel_id.is_(None),
            ),
        )
        .outerjoin(
            override,
            and_(
                override.variant_id == VariantRow.id,
                override.currency == currency,
                override.channel_id == bindparam("channel_id"),
            ),
        )
        .where(
            VariantRow.product_id.in_(bindparam("ids", expanding=True)),
            or_(base.id.is_not(None), override.id.is_not(None)),
        )
        .order_by(VariantRow.id)
    )


_PRICED_VARIANTS = _priced_variants_statement()


def priced_variants(
    session: Session, *, currency: str, channel_id: int, product_ids: list[int]
) -> list[Any]:
    """Rows (product id, sku, options, barcode, weight, backorder, price) of the products'
    variants priced in the currency for the channel (override, else base); unpriced
    variants are left out."""
    params = {"currency": currency, "channel_id": channel_id, "ids": product_ids}
    return list(session.execute(_PRICED_VARIANTS, params))


_COUNTRY_RATES = select(TaxRateRow.category, TaxRateRow.rate).where(
    TaxRateRow.country == bindparam("country"), TaxRateRow.region.is_(None)
)


def country_rates(session: Session, country: str) -> dict[str | None, Decimal]:
    """The country-wide rates of a channel's country: by category, None for the default."""
    rows = session.execute(_COUNTRY_RATES, {"country": country})
    return {category: Decimal(rate) for category, rate in rows}
