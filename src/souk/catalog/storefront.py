"""The storefront catalog: what a shopper in one channel may see and buy, localized, priced
in their currency, with the channel's tax display and availability."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from souk.api.pagination import decode_cursor, encode_cursor
from souk.catalog.models import HoldStock
from souk.catalog.stock import available_for
from souk.catalog.storefront_query import (
    Filters,
    category_tree_ids,
    country_rates,
    listed_products,
    priced_variants,
    texts,
)
from souk.catalog.storefront_schemas import (
    CatalogPage,
    CatalogProduct,
    CatalogVariant,
    ListingWindow,
    MoneyRead,
    TaxRead,
)
from souk.channels.locales import fallback_chain, language_of, normalize_locale
from souk.channels.models import Channel
from souk.channels.queries import find_channel_row, to_channel
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.money import Money, is_currency
from souk.pricing.models import format_rate, taxed_price
from souk.text import cursor_key


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
    row = find_channel_row(session=session, code=code or "")
    if row is None:
        raise NotFound(f"No channel {code!r}")
    return row.id, to_channel(row)


def _assemble(
    session: Session, channel: Channel, filters: Filters, locale: str, rows: list[Any]
) -> list[CatalogProduct]:
    ids = [r[0] for r in rows]
    if not ids:
        return []
    chain = fallback_chain(locale, channel.default_locale)
    by_locale = texts(session, ids, chain)
    variants: dict[int, list[Any]] = defaultdict(list)
    for v in priced_variants(session, filters, ids):
        variants[v[0]].append(v)
    available = available_for(
        session=session, channel=channel, skus=[v[1] for vs in variants.values() for v in vs]
    )
    rates = country_rates(session, channel.country)
    currency = filters.currency
    products = []
    for pid, handle, category, attributes, start, end, hold, minutes in rows:
        translations = by_locale.get(pid, {})
        tag = next((t for t in chain if t in translations), min(translations, default=None))
        title, description = translations[tag] if tag else (handle, None)
        if description is None:
            description = next(
                (translations[t][1] for t in chain if t in translations and translations[t][1]),
                None,
            )
        rate = rates.get(category, rates.get(None, Decimal(0)))
        shown = []
        for _, sku, options, barcode, weight, backorder, amount in variants[pid]:
            price = taxed_price(amount, rate, prices_include_tax=channel.prices_include_tax)
            shown.append(
                CatalogVariant(
                    sku=sku,
                    options=options or {},
                    barcode=barcode,
                    weight_g=weight,
                    price=MoneyRead(amount=price.shown, currency=currency),
                    price_excluding_tax=MoneyRead(amount=price.net, currency=currency),
                    price_including_tax=MoneyRead(amount=price.gross, currency=currency),
                    tax=TaxRead(rate=format_rate(rate), amount=price.tax, included=price.included),
                    formatted_price=Money(price.shown, currency).format(locale),
                    available=available.get(sku, 0),
                    allow_backorder=bool(backorder),
                )
            )
        products.append(
            CatalogProduct(
                handle=handle,
                title=title,
                description=description,
                category=category,
                attributes=attributes or {},
                listing=ListingWindow(
                    available_from=start,
                    available_until=end,
                    hold_stock=HoldStock(hold),
                    hold_minutes=minutes,
                ),
                variants=shown,
                available=sum(v.available for v in shown),
            )
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
) -> CatalogPage:
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
        )
        rows = listed_products(session, filters, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        products = _assemble(session, shop, filters, chosen_locale, rows)
        return CatalogPage(
            data=products,
            next_cursor=encode_cursor([rows[-1][0]]) if more else None,
            channel=shop.code,
            locale=chosen_locale,
            currency=chosen_currency,
            prices_include_tax=shop.prices_include_tax,
        )


def product(
    *,
    uow: UnitOfWork,
    channel: str | None,
    handle: str,
    locale: str | None = None,
    currency: str | None = None,
) -> CatalogProduct:
    with uow:
        session = uow.session
        channel_id, shop = _channel(session, channel)
        chosen_locale, chosen_currency = _resolve(shop, locale, currency)
        filters = Filters(
            channel_id=channel_id, currency=chosen_currency, now=utcnow(), handle=handle
        )
        rows = listed_products(session, filters, 1)
        found = _assemble(session, shop, filters, chosen_locale, rows)
        if not found:
            raise NotFound(f"No product {handle!r} on sale in {shop.code} in {chosen_currency}")
        return found[0]
