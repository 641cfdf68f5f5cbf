"""The SQL behind the storefront catalog: a page of open, priced listings in one channel and
everything needed to show them, in a fixed handful of queries whatever the page size.

The statements are built once per shape with bound parameters: building and hashing a
SELECT costs more than running it on a warm database, and a catalog page runs several."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from souk.catalog.tables import (
    CategoryRow,
    ListingRow,
    ProductRow,
    ProductTranslationRow,
    VariantRow,
)
from souk.pricing.tables import PriceRow, TaxRateRow


@dataclass(frozen=True, slots=True)
class Filters:
    channel_id: int
    currency: str
    now: datetime
    after_id: int | None = None
    handle: str | None = None
    q: str | None = None
    category_ids: Collection[int] | None = None
    chain: tuple[str, ...] = ("en",)


def category_tree_ids(session: Session, code: str) -> list[int]:
    """The category and all its descendants (the table is small: read it whole)."""
    rows = session.execute(select(CategoryRow.id, CategoryRow.code, CategoryRow.parent_id)).all()
    children: dict[int | None, list[int]] = defaultdict(list)
    root = None
    for cid, ccode, parent in rows:
        children[parent].append(cid)
        if ccode == code:
            root = cid
    if root is None:
        return []
    found, todo = [], [root]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children[current])
    return found


def _like(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _priced_in(channel_id: BindParameter[int], override: bool) -> Any:
    """Whether the listing's product has a variant with a base price (or an override for
    the channel) in the currency — as a scalar subquery, which PostgreSQL evaluates for the
    rows of the page only, through the prices' partial unique indexes (an EXISTS would be
    turned into a semi-join or a hash over every price of the catalog)."""
    price = aliased(PriceRow)
    variant = aliased(VariantRow)
    which = price.channel_id == channel_id if override else price.channel_id.is_(None)
    found = (
        select(literal(1))
        .select_from(variant)
        .join(price, price.variant_id == variant.id)
        .where(
            variant.product_id == ListingRow.product_id,
            price.currency == bindparam("currency"),
            which,
        )
        .limit(1)
        .correlate(ListingRow)
        .scalar_subquery()
    )
    return found.is_not(None)


CHAIN_SLOTS = 4  # fallback_chain gives at most: locale, its language, default, its language


def _localized(column: Any, *, need: Any = None) -> Any:
    """The product's text in the first locale of the fallback chain that has one, else in
    any locale (the first by tag): one correlated subquery, so that a page's texts come with
    its rows."""
    t = aliased(ProductTranslationRow)
    rank = case(
        *((t.locale == bindparam(f"locale_{i}"), i) for i in range(CHAIN_SLOTS)),
        else_=CHAIN_SLOTS,
    )
    query = select(getattr(t, column)).where(t.product_id == ListingRow.product_id)
    if need is not None:
        query = query.where(getattr(t, need).is_not(None))
    return query.order_by(rank, t.locale).limit(1).correlate(ListingRow).scalar_subquery()


@cache
def _listed_statement(by_handle: bool, after: bool, by_category: bool, search: bool) -> Any:
    channel_id: BindParameter[int] = bindparam("channel_id")
    now: BindParameter[datetime] = bindparam("now")
    priced = or_(*(_priced_in(channel_id, override) for override in (False, True)))
    query = (
        select(
            ProductRow.id,
            ProductRow.handle,
            CategoryRow.code,
            ProductRow.attributes,
            ListingRow.available_from,
            ListingRow.available_until,
            ListingRow.hold_stock,
            ListingRow.hold_minutes,
            _localized("title"),
            _localized("description", need="description"),
        )
        .select_from(ListingRow)
        .join(ProductRow, ProductRow.id == ListingRow.product_id)
        .outerjoin(CategoryRow, CategoryRow.id == ProductRow.category_id)
        .where(
            ListingRow.channel_id == channel_id,
            ListingRow.published.is_(True),
            or_(ListingRow.available_from.is_(None), ListingRow.available_from <= now),
            or_(ListingRow.available_until.is_(None), ListingRow.available_until > now),
            priced,
        )
    )
    if by_handle:
        query = query.where(ProductRow.handle == bindparam("handle"))
    if after:
        query = query.where(ListingRow.product_id > bindparam("after_id"))
    if by_category:
        query = query.where(ProductRow.category_id.in_(bindparam("category_ids", expanding=True)))
    if search:
        pattern: BindParameter[str] = bindparam("pattern")
        titled = exists().where(
            ProductTranslationRow.product_id == ListingRow.product_id,
            func.lower(ProductTranslationRow.title).like(pattern, escape="\\"),
        )
        query = query.where(or_(ProductRow.handle.like(pattern, escape="\\"), titled))
    return query.order_by(ListingRow.product_id).limit(bindparam("limit"))


def listed_products(session: Session, filters: Filters, limit: int) -> list[Any]:
    """Rows (id, handle, category, attributes, window…, title, description) of products
    open in the channel and priced in the currency, in product order, after the cursor, with
    their texts in the first locale of `filters.chain` that has them."""
    statement = _listed_statement(
        filters.handle is not None,
        filters.after_id is not None,
        filters.category_ids is not None,
        bool(filters.q),
    )
    params: dict[str, Any] = {
        "channel_id": filters.channel_id,
        "now": filters.now,
        "currency": filters.currency,
        "limit": limit,
    }
    chain = list(filters.chain)[:CHAIN_SLOTS]
    chain += [chain[-1]] * (CHAIN_SLOTS - len(chain))
    params.update({f"locale_{i}": tag for i, tag in enumerate(chain)})
    if filters.handle is not None:
        params["handle"] = filters.handle
    if filters.after_id is not None:
        params["after_id"] = filters.after_id
    if filters.category_ids is not None:
        params["category_ids"] = list(filters.category_ids)
    if filters.q:
        params["pattern"] = _like(filters.q)
    return list(session.execute(statement, params))


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


def priced_variants(session: Session, filters: Filters, product_ids: list[int]) -> list[Any]:
    """Variants of the products with their price in the currency for the channel (override,
    else base); unpriced variants are left out."""
    params = {"currency": filters.currency, "channel_id": filters.channel_id, "ids": product_ids}
    return list(session.execute(_PRICED_VARIANTS, params))


_COUNTRY_RATES = select(TaxRateRow.category, TaxRateRow.rate).where(
    TaxRateRow.country == bindparam("country"), TaxRateRow.region.is_(None)
)


def country_rates(session: Session, country: str) -> dict[str | None, Decimal]:
    """The country-wide rates of a channel's country: by category, None for the default."""
    rows = session.execute(_COUNTRY_RATES, {"country": country})
    return {category: Decimal(rate) for category, rate in rows}
