"""Price use cases: set prices (all or nothing), read them, find channel differences."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from souk.api.pagination import decode_cursor, encode_cursor
from souk.catalog.tables import VariantRow
from souk.channels.tables import ChannelRow
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.money import is_currency
from souk.pricing.models import SellingChannel, channel_prices, is_inconsistent
from souk.pricing.schemas import ChannelPrice, Inconsistency, PriceIn, PriceRead
from souk.pricing.tables import PriceRow
from souk.text import cursor_key

CHUNK = 500


def _validated(session: Session, prices: list[PriceIn]) -> list[dict[str, Any]]:
    """Rows to write, or a 422 naming every bad entry: nothing is written unless all are good."""
    skus = {p.sku for p in prices}
    variant_ids = dict(
        session.execute(select(VariantRow.sku, VariantRow.id).where(VariantRow.sku.in_(skus))).all()
    )
    channels = {
        code: (cid, currencies)
        for code, cid, currencies in session.execute(
            select(ChannelRow.code, ChannelRow.id, ChannelRow.currencies).where(
                ChannelRow.code.in_({p.channel for p in prices if p.channel})
            )
        )
    }
    errors = []
    seen: set[tuple[str, str, str | None]] = set()
    rows = []
    now = utcnow()
    for i, price in enumerate(prices):
        key = (price.sku, price.currency, price.channel)
        if key in seen:
            errors.append(
                field_error(f"body.{i}", "this SKU, currency and channel are given twice")
            )
        seen.add(key)
        if price.sku not in variant_ids:
            errors.append(field_error(f"body.{i}.sku", f"unknown SKU {price.sku!r}"))
        if not is_currency(price.currency):
            errors.append(field_error(f"body.{i}.currency", "not an ISO 4217 currency code"))
        channel_id = None
        if price.channel is not None:
            if price.channel not in channels:
                errors.append(
                    field_error(f"body.{i}.channel", f"unknown channel {price.channel!r}")
                )
            else:
                channel_id, currencies = channels[price.channel]
                if price.currency not in currencies:
                    errors.append(
                        field_error(
                            f"body.{i}.currency",
                            f"channel {price.channel!r} does not sell in {price.currency}",
                        )
                    )
        rows.append(
            {
                "variant_id": variant_ids.get(price.sku),
                "currency": price.currency,
                "channel_id": channel_id,
                "amount": price.amount,
                "updated_at": now,
            }
        )
    if errors:
        raise ValidationFailed("Some prices are not valid; none was saved", errors=errors)
    return rows


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO UPDATE against the partial unique indexes, so that concurrent
    writers of the same price never collide on an insert."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for is_base in (True, False):
        batch = [r for r in rows if (r["channel_id"] is None) is is_base]
        for start in range(0, len(batch), CHUNK):
            stmt = insert(PriceRow).values(batch[start : start + CHUNK])
            stmt = stmt.on_conflict_do_update(
                index_elements=["variant_id", "currency"]
                if is_base
                else ["variant_id", "currency", "channel_id"],
                index_where=PriceRow.channel_id.is_(None)
                if is_base
                else PriceRow.channel_id.is_not(None),
                set_={"amount": stmt.excluded.amount, "updated_at": stmt.excluded.updated_at},
            )
            session.execute(stmt)


def set_prices(*, uow: UnitOfWork, prices: list[PriceIn]) -> list[PriceRead]:
    with uow:
        rows = _validated(uow.session, prices)
        _upsert(uow.session, rows)
        uow.emit("prices.changed", {"skus": sorted({p.sku for p in prices})})
        uow.commit()
        return [
            PriceRead(sku=p.sku, currency=p.currency, amount=p.amount, channel=p.channel)
            for p in prices
        ]


def prices_of(*, uow: UnitOfWork, sku: str) -> list[PriceRead]:
    with uow:
        if uow.session.scalar(select(VariantRow.id).where(VariantRow.sku == sku)) is None:
            raise NotFound(f"No SKU {sku!r}")
        rows = uow.session.execute(
            select(PriceRow.currency, PriceRow.amount, ChannelRow.code)
            .join(VariantRow, VariantRow.id == PriceRow.variant_id)
            .outerjoin(ChannelRow, ChannelRow.id == PriceRow.channel_id)
            .where(VariantRow.sku == sku)
        )
        found = [PriceRead(sku=sku, currency=c, amount=a, channel=ch) for c, a, ch in rows]
        return sorted(found, key=lambda p: (p.currency, p.channel or ""))


def remove_price(*, uow: UnitOfWork, sku: str, currency: str, channel: str | None) -> None:
    """Delete one price — typically a channel override, to bring the channel back in line."""
    with uow:
        variant_id = uow.session.scalar(select(VariantRow.id).where(VariantRow.sku == sku))
        channel_id = None
        if channel is not None:
            channel_id = uow.session.scalar(select(ChannelRow.id).where(ChannelRow.code == channel))
        if variant_id is None or (channel is not None and channel_id is None):
            raise NotFound(f"No price for {sku} in {currency}")
        which = (
            PriceRow.channel_id.is_(None)
            if channel_id is None
            else PriceRow.channel_id == channel_id
        )
        result = uow.session.execute(
            delete(PriceRow).where(
                PriceRow.variant_id == variant_id, PriceRow.currency == currency, which
            )
        )
        if not getattr(result, "rowcount", 0):
            raise NotFound(
                f"No price for {sku} in {currency}" + (f" in {channel}" if channel else "")
            )
        uow.emit("prices.changed", {"skus": [sku]})
        uow.commit()


def inconsistencies(
    *, uow: UnitOfWork, limit: int = 100, cursor: str | None = None
) -> tuple[list[Inconsistency], str | None]:
    """Every SKU whose price differs between the channels that sell in a currency.

    Differences only arise from overrides, so the search starts from them: for each SKU and
    currency with an override, the price in every channel selling that currency is its
    override, else the base price; two distinct amounts make an inconsistency.
    """
    after = cursor_key(decode_cursor(cursor), str, str)
    with uow:
        session = uow.session
        channels = [
            SellingChannel(code, tuple(currencies))
            for code, currencies in session.execute(
                select(ChannelRow.code, ChannelRow.currencies).order_by(ChannelRow.code)
            )
        ]
        base = aliased(PriceRow)
        rows = session.execute(
            select(VariantRow.sku, PriceRow.currency, ChannelRow.code, PriceRow.amount, base.amount)
            .join(VariantRow, VariantRow.id == PriceRow.variant_id)
            .join(ChannelRow, ChannelRow.id == PriceRow.channel_id)
            .outerjoin(
                base,
                and_(
                    base.variant_id == PriceRow.variant_id,
                    base.currency == PriceRow.currency,
                    base.channel_id.is_(None),
                ),
            )
        )
        overrides: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        bases: dict[tuple[str, str], int | None] = {}
        for sku, currency, channel, amount, base_amount in rows:
            overrides[(sku, currency)][channel] = amount
            bases[(sku, currency)] = base_amount
    found = []
    for key in sorted(overrides):
        if after and key <= (str(after[0]), str(after[1])):
            continue
        prices = channel_prices(key[1], channels, overrides[key], bases[key])
        if is_inconsistent(prices):
            listed = [ChannelPrice(channel=c, amount=a, source=s) for c, a, s in prices]
            found.append(Inconsistency(sku=key[0], currency=key[1], base=bases[key], prices=listed))
            if len(found) > limit:
                break
    more = len(found) > limit
    found = found[:limit]
    next_cursor = encode_cursor([found[-1].sku, found[-1].currency]) if more else None
    return found, next_cursor
