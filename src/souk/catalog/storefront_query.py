"""The SQL behind the storefront catalog: a page of open, priced listings in one channel and
everything needed to show them, in a fixed handful of queries whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
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


def listed_products(session: Session, filters: Filters, limit: int) -> list[Any]:
    """Rows (id, handle, category, attributes, window…) of products open in the channel and
    priced in the currency, in product order, after the cursor."""
    priced = (
        exists()
        .where(
            VariantRow.product_id == ListingRow.product_id,
            PriceRow.variant_id == VariantRow.id,
            PriceRow.currency == filters.currency,
            or_(PriceRow.channel_id.is_(None), PriceRow.channel_id == filters.channel_id),
        )
        .correlate(ListingRow)
    )
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
        )
        .select_from(ListingRow)
        .join(ProductRow, ProductRow.id == ListingRow.product_id)
        .outerjoin(CategoryRow, CategoryRow.id == ProductRow.category_id)
        .where(
            ListingRow.channel_id == filters.channel_id,
            ListingRow.published.is_(True),
            or_(ListingRow.available_from.is_(None), ListingRow.available_from <= filters.now),
            or_(ListingRow.available_until.is_(None), ListingRow.available_until > filters.now),
            priced,
        )
    )
    if filters.handle is not None:
        query = query.where(ProductRow.handle == filters.handle)
    if filters.after_id is not None:
        query = query.where(ListingRow.product_id > filters.after_id)
    if filters.category_ids is not None:
        query = query.where(ProductRow.category_id.in_(list(filters.category_ids)))
    if filters.q:
        pattern = _like(filters.q)
        titled = exists().where(
            ProductTranslationRow.product_id == ListingRow.product_id,
            func.lower(ProductTranslationRow.title).like(pattern, escape="\\"),
        )
        query = query.where(or_(ProductRow.handle.like(pattern, escape="\\"), titled))
    return list(session.execute(query.order_by(ListingRow.product_id).limit(limit)))


def texts(
    session: Session, product_ids: list[int], locales: list[str]
) -> dict[int, dict[str, tuple[str, str | None]]]:
    """(title, description) per product and locale, for the locales of the fallback chain;
    a product with none of them gets all its translations, so that it still has a title."""
    found: dict[int, dict[str, tuple[str, str | None]]] = defaultdict(dict)
    columns = (
        ProductTranslationRow.product_id,
        ProductTranslationRow.locale,
        ProductTranslationRow.title,
        ProductTranslationRow.description,
    )
    query = select(*columns).where(
        ProductTranslationRow.product_id.in_(product_ids),
        ProductTranslationRow.locale.in_(locales),
    )
    for pid, locale, title, description in session.execute(query):
        found[pid][locale] = (title, description)
    missing = [pid for pid in product_ids if pid not in found]
    if missing:
        query = select(*columns).where(ProductTranslationRow.product_id.in_(missing))
        for pid, locale, title, description in session.execute(query):
            found[pid][locale] = (title, description)
    return found


def priced_variants(session: Session, filters: Filters, product_ids: list[int]) -> list[Any]:
    """Variants of the products with their price in the currency for the channel (override,
    else base); unpriced variants are left out."""
    base = aliased(PriceRow)
    override = aliased(PriceRow)
    query = (
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
                base.currency == filters.currency,
                base.channel_id.is_(None),
            ),
        )
        .outerjoin(
            override,
            and_(
                override.variant_id == VariantRow.id,
                override.currency == filters.currency,
                override.channel_id == filters.channel_id,
            ),
        )
        .where(
            VariantRow.product_id.in_(product_ids),
            or_(base.id.is_not(None), override.id.is_not(None)),
        )
        .order_by(VariantRow.id)
    )
    return list(session.execute(query))


def country_rates(session: Session, country: str) -> dict[str | None, Decimal]:
    """The country-wide rates of a channel's country: by category, None for the default."""
    rows = session.execute(
        select(TaxRateRow.category, TaxRateRow.rate).where(
            TaxRateRow.country == country, TaxRateRow.region.is_(None)
        )
    )
    return {category: Decimal(rate) for category, rate in rows}
