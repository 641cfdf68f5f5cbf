"""The storefront page: what a shopper in one channel may see and buy — what the catalog
lists, localized, priced by pricing in their currency with the channel's tax display, and
what inventory can promise (ATP) — composed from those three domains' queries."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from souk.api.pagination import decode_cursor, encode_cursor
from souk.catalog.listed import LISTED_PRODUCT_ID, Filters, category_tree_ids, listed_products
from souk.channels.locales import fallback_chain, language_of, normalize_locale
from souk.channels.models import Channel
from souk.channels.queries import channel_with_id
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.inventory.availability import atp
from souk.loyalty.queries import tier_of
from souk.money import Money, is_currency
from souk.pricing.listing_prices import country_rates, priced_in_currency, priced_variants
from souk.pricing.models import format_rate, taxed_price
from souk.text import cursor_key


def shopper_tier(db: Database, customer_id: str | None) -> str | None:
    """The signed-in shopper's loyalty tier (two statements), None for a guest."""
    if customer_id is None:
        return None
    with UnitOfWork(db, write=False, stale_ok=True) as uow:
        return tier_of(session=uow.session, customer_id=customer_id, now=utcnow())


def _resolve(channel: Channel, locale: str | None, currency: str | None) -> tuple[str, str]:
    """The shopper's locale and currency, defaulting to the channel's; 422 for a currency
    the channel does not sell in, or a locale it does not speak (`fr-CA` is fine where the
    channel speaks French: it falls back to `fr`)."""
    errors = []
    chosen_currency = currency or channel.default_currency
    if not is_currency(chosen_currency):
        errors.append(field_error("query.currency", f"unknown currency {chosen_currency!r}"))
    elif not channel.sells_in(chosen_currency):
        sold = ", ".join(channel.currencies)
        errors.append(
            field_error("query.currency", f"{channel.code} sells in {sold}, not {chosen_currency}")
        )
    chosen_locale = channel.default_locale
    if locale is not None:
        canonical = normalize_locale(locale)
        if canonical is None:
            errors.append(field_error("query.locale", f"unknown locale {locale!r}"))
        elif language_of(canonical) not in {language_of(t) for t in channel.locales}:
            spoken = ", ".join(channel.locales)
            errors.append(field_error("query.locale", f"{channel.code} offers {spoken} only"))
        else:
            chosen_locale = canonical
    if errors:
        raise ValidationFailed("This channel cannot show that", errors=errors)
    return chosen_locale, chosen_currency


def _channel(session: Session, code: str | None) -> tuple[int, Channel]:
    found = channel_with_id(session=session, code=code or "")
    if found is None:
        raise NotFound(f"No channel {code!r}")
    return found


@lru_cache(maxsize=65536)
def _formatted(amount: int, currency: str, locale: str) -> str:
    # CLDR formatting is the costliest step of a page; a catalog has few distinct prices.
    return Money(amount, currency).format(locale)


_rate_text = lru_cache(maxsize=1024)(format_rate)
_taxed = lru_cache(maxsize=65536)(taxed_price)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def _priced() -> Any:
    return priced_in_currency(LISTED_PRODUCT_ID)


def _listed(session: Session, filters: Filters, limit: int) -> list[Any]:
    """Open listings that have a price in the shopper's currency: the catalog's query with
    pricing's condition."""
    return listed_products(
        session, filters, limit, also=_priced, params={"currency": filters.currency}
    )


def _available(session: Session, channel: Channel, skus: list[str]) -> dict[str, int]:
    """Units of each SKU the channel can promise, in one bulk call for a whole page (never
    below zero: a shopper is not shown a debt)."""
    found = atp(session=session, channel=channel, skus=skus)
    return {sku: max(0, found.get(sku, 0)) for sku in skus}


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _variant(
    row: Any, rate: Decimal, channel: Channel, currency: str, locale: str, available: int
) -> dict[str, Any]:
    _, sku, options, barcode, weight, backorder, amount = row
    price = _taxed(amount, rate, prices_include_tax=channel.prices_include_tax)
    return {
        "sku": sku,
        "options": options or {},
        "barcode": barcode,
        "weight_g": weight,
        "price": _money(price.shown, currency),
        "price_excluding_tax": _money(price.net, currency),
        "price_including_tax": _money(price.gross, currency),
        "tax": {"rate": _rate_text(rate), "amount": price.tax, "included": price.included},
        "formatted_price": _formatted(price.shown, currency, locale),
        "available": available,
        "allow_backorder": bool(backorder),
    }


def _assemble(
    session: Session, channel: Channel, filters: Filters, locale: str, rows: list[Any]
) -> list[dict[str, Any]]:
    """The products of a page in the shape of `CatalogProduct`, as plain data: a page holds
    hundreds of nested objects, and building models for them would cost more than the
    queries (the route serialises this directly; tests check it against the schema)."""
    ids = [r[0] for r in rows]
    if not ids:
        return []
    variants: dict[int, list[Any]] = defaultdict(list)
    for v in priced_variants(
        session, currency=filters.currency, channel_id=filters.channel_id, product_ids=ids
    ):
        variants[v[0]].append(v)
    available = _available(session, channel, [v[1] for vs in variants.values() for v in vs])
    rates = country_rates(session, channel.country)
    currency = filters.currency
    products = []
    for pid, handle, category, attributes, start, end, hold, minutes, title, text in rows:
        rate = rates.get(category, rates.get(None, Decimal(0)))
        shown = [
            _variant(row, rate, channel, currency, locale, available.get(row[1], 0))
            for row in variants[pid]
        ]
        products.append(
            {
                "handle": handle,
                "title": title or handle,
                "description": text,
                "category": category,
                "attributes": attributes or {},
                "listing": {
                    "available_from": _iso(start),
                    "available_until": _iso(end),
                    "hold_stock": hold,
                    "hold_minutes": minutes,
                },
                "variants": shown,
                "available": sum(v["available"] for v in shown),
            }
        )
    return products


def browse(
    *,
    uow: UnitOfWork,
    channel: str | None,
    locale: str | None = None,
    currency: str | None = None,
    q: str | None = None,
    category: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    tier: str | None = None,
) -> dict[str, Any]:
    """A page in the shape of `CatalogPage`; `tier`, the signed-in shopper's loyalty tier
    (drops in their early window show to its members)."""
    after = cursor_key(decode_cursor(cursor), int)
    with uow:
        session = uow.session
        channel_id, shop = _channel(session, channel)
        chosen_locale, chosen_currency = _resolve(shop, locale, currency)
        filters = Filters(
            channel_id=channel_id,
            currency=chosen_currency,
            now=utcnow(),
            after_id=after[0] if after else None,
            q=q,
            category_ids=category_tree_ids(session, category) if category else None,
            chain=tuple(fallback_chain(chosen_locale, shop.default_locale)),
            tier=tier,
        )
        rows = _listed(session, filters, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        products = _assemble(session, shop, filters, chosen_locale, rows)
        return {
            "data": products,
            "next_cursor": encode_cursor([rows[-1][0]]) if more else None,
            "channel": shop.code,
            "locale": chosen_locale,
            "currency": chosen_currency,
            "prices_include_tax": shop.prices_include_tax,
        }


def product(
    *,
    uow: UnitOfWork,
    channel: str | None,
    handle: str,
    locale: str | None = None,
    currency: str | None = None,
    tier: str | None = None,
) -> dict[str, Any]:
    """One product in the shape of `CatalogProduct`."""
    with uow:
        session = uow.session
        channel_id, shop = _channel(session, channel)
        chosen_locale, chosen_currency = _resolve(shop, locale, currency)
        filters = Filters(
            channel_id=channel_id,
            currency=chosen_currency,
            now=utcnow(),
            handle=handle,
            chain=tuple(fallback_chain(chosen_locale, shop.default_locale)),
            tier=tier,
        )
        rows = _listed(session, filters, 1)
        found = _assemble(session, shop, filters, chosen_locale, rows)
        if not found:
            raise NotFound(f"No product {handle!r} on sale in {shop.code} in {chosen_currency}")
        return found[0]
