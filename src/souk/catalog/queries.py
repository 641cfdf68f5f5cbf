"""How other domains read the catalog, inside their own transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, select
from sqlalchemy.orm import Session

from souk.catalog.models import HoldStock, ListingState
from souk.catalog.tables import (
    CategoryRow,
    ListingRow,
    ProductRow,
    ProductTranslationRow,
    VariantRow,
)
from souk.channels.locales import fallback_chain, normalize_locale, pick_translation
from souk.channels.tables import ChannelRow
from souk.db.base import table_of
from souk.db.timed import PerDatabase

__all__ = [
    "CartItem",
    "ListingState",
    "VariantInfo",
    "cart_items",
    "listing_state_from",
    "listing_states",
    "localized_titles",
    "variants_by_sku",
]


# Core, on the tables: every statement here is read on a hot path (carts, checkout, a
# placed order's reactions), and one naming ORM entities goes through the ORM's result
# machinery, which cost more than the statement itself.
_variants, _products = table_of(VariantRow), table_of(ProductRow)
_categories, _listings = table_of(CategoryRow), table_of(ListingRow)
_translations, _channels = table_of(ProductTranslationRow), table_of(ChannelRow)


@dataclass(frozen=True, slots=True)
class VariantInfo:
    sku: str
    variant_id: int
    product_id: int
    product_handle: str
    category: str | None
    weight_g: int | None
    allow_backorder: bool


# A VariantInfo's columns, in its order; the cart's items read the same ones first.
_VARIANT_COLUMNS = (
    _variants.c.sku,
    _variants.c.id,
    _variants.c.product_id,
    _products.c.handle,
    _categories.c.code,
    _variants.c.weight_g,
    _variants.c.allow_backorder,
)
# A listing's product and the columns `listing_state_from` takes, in its order.
_LISTING_COLUMNS = (
    _listings.c.product_id,
    _listings.c.published,
    _listings.c.available_from,
    _listings.c.available_until,
    _listings.c.hold_stock,
    _listings.c.hold_minutes,
    _listings.c.early_access_from,
    _listings.c.early_access_tiers,
)
# Built once with bound parameters, as `_CART_ITEMS` below: a placed order's reactions and
# every till sale look their SKUs up, and building the statement cost more than running it.
_VARIANTS_BY_SKU = (
    select(*_VARIANT_COLUMNS)
    .join(_products, _products.c.id == _variants.c.product_id)
    .outerjoin(_categories, _categories.c.id == _products.c.category_id)
    .where(_variants.c.sku.in_(bindparam("skus", expanding=True)))
)


# What changes a variant as `variants_by_sku` tells it: its product and its category.
VARIANT_CHANGES = ("product.", "category.")
_kept_variants: PerDatabase[VariantInfo] = PerDatabase(VARIANT_CHANGES, max_entries=20_000)


def variants_by_sku(
    *, session: Session, skus: Collection[str], kept: bool = False
) -> dict[str, VariantInfo]:
    """The variants among `skus` that exist; a missing SKU is simply absent. `kept`: from
    this process's copy where it has them (as `cart_items`), for a reader that may trail a
    product's change by SOUK_REFERENCE_CACHE_MS; stock, prices and orders never do."""
    if not skus:
        return {}
    wanted = sorted(set(skus))
    cache = _kept_variants(session) if kept else None
    if cache is None:
        return _read_variants(session, wanted)
    return cache.through(
        {sku: sku for sku in wanted}, lambda missing: _read_variants(session, missing)
    )


def _read_variants(session: Session, skus: list[str]) -> dict[str, VariantInfo]:
    rows = session.execute(_VARIANTS_BY_SKU, {"skus": skus})
    return {
        sku: VariantInfo(sku, vid, pid, handle, category, weight, bool(backorder))
        for sku, vid, pid, handle, category, weight, backorder in rows
    }


def listing_states(
    *, session: Session, channel: str, product_ids: Collection[int]
) -> dict[int, ListingState]:
    """Each product's listing in `channel`; a product not listed there is absent."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(
            *_LISTING_COLUMNS,
        )
        .join(_channels, _channels.c.id == _listings.c.channel_id)
        .where(_channels.c.code == channel, _listings.c.product_id.in_(list(set(product_ids))))
    )
    return {row[0]: listing_state_from(*row[1:]) for row in rows}


def listing_state_from(
    published: bool,
    start: datetime | None,
    end: datetime | None,
    hold: str,
    minutes: int | None,
    early_from: datetime | None,
    early_tiers: list[str] | None,
) -> ListingState:
    return ListingState(
        bool(published),
        start,
        end,
        HoldStock(hold),
        minutes,
        early_from,
        frozenset(early_tiers or ()),
    )


def localized_titles(
    *, session: Session, product_ids: Collection[int], locale: str, fallback_locale: str
) -> dict[int, str]:
    """Each product's title in `locale`, falling back `fr-CA` → `fr` → `fallback_locale`
    (and its language) → any title it has."""
    if not product_ids:
        return {}
    texts: dict[int, dict[str, str]] = defaultdict(dict)
    for pid, tag, title in session.execute(
        select(
            _translations.c.product_id,
            _translations.c.locale,
            _translations.c.title,
        ).where(_translations.c.product_id.in_(list(set(product_ids))))
    ):
        texts[pid][tag] = title
    chain = fallback_chain(
        normalize_locale(locale) or locale, normalize_locale(fallback_locale) or fallback_locale
    )
    result = {}
    for pid, by_locale in texts.items():
        picked = pick_translation(by_locale, chain)
        if picked is not None:
            result[pid] = picked
    return result


@dataclass(frozen=True, slots=True)
class CartItem:
    """What a cart shows and checks of one SKU: the variant, its listing in the channel
    (None: not listed there) and its title in the cart's locale."""

    variant: VariantInfo
    listing: ListingState | None
    title: str | None


_CHAIN_SLOTS = 4  # fallback_chain gives at most: locale, its language, default, its language


def _cart_items_statement() -> Any:
    title = _translations.alias("title")
    rank = case(
        *((title.c.locale == bindparam(f"locale_{i}"), i) for i in range(_CHAIN_SLOTS)),
        else_=_CHAIN_SLOTS,
    )
    # The title along the fallback chain, else any (first by tag): as in pick_translation.
    localized = (
        select(title.c.title)
        .where(title.c.product_id == _variants.c.product_id)
        .order_by(rank, title.c.locale)
        .limit(1)
        .correlate(_variants)
        .scalar_subquery()
    )
    channel_id = select(_channels.c.id).where(_channels.c.code == bindparam("channel"))
    return (
        select(
            *_VARIANT_COLUMNS,
            *_LISTING_COLUMNS,
            localized,
        )
        .join(_products, _products.c.id == _variants.c.product_id)
        .outerjoin(_categories, _categories.c.id == _products.c.category_id)
        .outerjoin(
            _listings,
            and_(
                _listings.c.product_id == _variants.c.product_id,
                _listings.c.channel_id == channel_id.scalar_subquery(),
            ),
        )
        .where(_variants.c.sku.in_(bindparam("skus", expanding=True)))
    )


_CART_ITEMS = _cart_items_statement()


# What changes a cart item: the product (its variants, titles, category), its listing, the
# channel, a category's code.
CART_ITEM_CHANGES = ("product.", "listing.", "channel.", "category.")
_kept_items: PerDatabase[CartItem] = PerDatabase(CART_ITEM_CHANGES, max_entries=20_000)


def cart_items(
    *,
    session: Session,
    skus: Collection[str],
    channel: str,
    locale: str,
    fallback_locale: str,
    kept: bool = False,
) -> dict[str, CartItem]:
    """Variant, listing in `channel` and localized title of each SKU that exists, in one
    statement: a cart change and the cart it answers with need all three for every line,
    and reading them apart cost three round trips per change.

    `kept`: what a cart shows may come from this process's copy (`souk.db.timed`, kept for
    SOUK_REFERENCE_CACHE_MS, forgotten at once when this process commits a change to a
    product, listing, channel or category; another process's change shows within that
    time): only the SKUs not in it are read. A checkout reads exactly (`kept=False`)."""
    if not skus:
        return {}
    chain = fallback_chain(
        normalize_locale(locale) or locale, normalize_locale(fallback_locale) or fallback_locale
    )[:_CHAIN_SLOTS]
    chain += [chain[-1]] * (_CHAIN_SLOTS - len(chain))
    wanted = sorted(set(skus))
    cache = _kept_items(session) if kept else None
    if cache is None:
        return _read_items(session, wanted, channel, chain)
    keys = {sku: (channel, *chain, sku) for sku in wanted}
    return cache.through(keys, lambda missing: _read_items(session, missing, channel, chain))


def _read_items(
    session: Session, skus: list[str], channel: str, chain: list[str]
) -> dict[str, CartItem]:
    params: dict[str, Any] = {"skus": skus, "channel": channel}
    params.update({f"locale_{i}": tag for i, tag in enumerate(chain)})
    found = {}
    for row in session.execute(_CART_ITEMS, params):
        sku, vid, pid, handle, category, weight, backorder = row[:7]
        listed, *listing_columns, title = row[7:]
        listing = None if listed is None else listing_state_from(*listing_columns)
        variant = VariantInfo(sku, vid, pid, handle, category, weight, bool(backorder))
        found[sku] = CartItem(variant, listing, title)
    return found
