"""Reads from the primary database what the analytics store mirrors.

This is the one place outside each domain that reads its tables, on purpose: it is a
read-only change feed (like a CDC connector), it never writes, and reading the tables
directly in large batches is what lets a million order lines load in seconds where the
domains' one-object reads would take hours. Each source is read from a watermark: rows
whose change time is at or after `since`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from souk.carts.tables import CartLineRow, CartRow
from souk.catalog.tables import CategoryRow, ProductRow, VariantRow
from souk.cdp.tables import CdpEventRow, CdpMergeRow, CdpProfileOrderRow
from souk.channels.tables import ChannelRow
from souk.fulfilment.tables import FulfillmentOrderRow
from souk.inventory.tables import LocationRow, MovementRow, StockRow
from souk.orders.tables import OrderLineRow, OrderRow
from souk.returns.tables import RefundRow, ReturnLineRow, ReturnRow

BATCH = 50_000
Query = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class Source:
    """One mirrored table: its store name and columns, the statement reading changes since
    a watermark, how one primary row becomes one store row, and where its change time is."""

    table: str
    columns: tuple[str, ...]
    read: Callable[[datetime | None], Query]
    shape: Callable[[Any], tuple[Any, ...]]
    clock: int  # index, in the shaped row, of the change time that moves the watermark


def naive(ts: datetime | None) -> datetime | None:
    """UTC without tzinfo: what DuckDB's TIMESTAMP holds."""
    if ts is None:
        return None
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts


def _since(stmt: Query, column: Any, since: datetime | None) -> Query:
    return stmt if since is None else stmt.where(column >= since.replace(tzinfo=UTC))


def _order_row(r: Any) -> tuple[Any, ...]:
    address = r.shipping_address or {}
    fulfillment = r.fulfillment or {}
    kind = fulfillment.get("type")
    store = fulfillment.get("location") if kind in ("in_store", "pickup") else None
    # Only a digest of a guest's e-mail leaves the primary: it tells repeat buyers apart
    # without copying personal data that erasure would have to chase.
    email = r.email.strip().lower().encode() if r.email else None
    guest = f"email:{hashlib.sha256(email).hexdigest()[:24]}" if email else None
    return (
        r.id, r.channel, r.channel_type, r.source, r.status, r.customer_id or guest, r.currency,
        r.total,
        naive(r.placed_at), address.get("country") or r.channel_country, store, kind,
        naive(r.updated_at),
    )  # fmt: skip


def _event_row(r: Any) -> tuple[Any, ...]:
    props = (r.payload or {}).get("properties") or {}
    sku = props.get("sku") if isinstance(props.get("sku"), str) else None
    order_source = props.get("source") if r.event == "Order Completed" else None
    return (
        r.id, r.source, r.type, r.event, r.profile_id, naive(r.timestamp), sku,
        order_source if isinstance(order_source, str) else None, naive(r.received_at),
    )  # fmt: skip


def _plain(*clocks: int) -> Callable[[Any], tuple[Any, ...]]:
    def shape(r: Any) -> tuple[Any, ...]:
        values = list(r)
        for i in clocks:
            values[i] = naive(values[i])
        return tuple(values)

    return shape


def _orders(since: datetime | None) -> Query:
    stmt = select(
        OrderRow.id, OrderRow.channel, ChannelRow.type.label("channel_type"), OrderRow.source,
        OrderRow.status, OrderRow.customer_id, OrderRow.email, OrderRow.currency,
        OrderRow.total, OrderRow.placed_at, OrderRow.shipping_address,
        ChannelRow.country.label("channel_country"), OrderRow.fulfillment, OrderRow.updated_at,
    ).outerjoin(ChannelRow, ChannelRow.code == OrderRow.channel)  # fmt: skip
    return _since(stmt, OrderRow.updated_at, since)


def _order_lines(since: datetime | None) -> Query:
    stmt = select(
        OrderLineRow.id, OrderLineRow.order_id, OrderLineRow.sku, OrderLineRow.quantity,
        OrderLineRow.total, OrderRow.updated_at,
    ).join(OrderRow, OrderRow.id == OrderLineRow.order_id)  # fmt: skip
    return _since(stmt, OrderRow.updated_at, since)


def _return_lines(since: datetime | None) -> Query:
    stmt = select(
        ReturnLineRow.id, ReturnLineRow.return_id, ReturnRow.order_id, ReturnRow.channel,
        ReturnLineRow.reason, ReturnLineRow.quantity, ReturnLineRow.amount, ReturnRow.currency,
        ReturnRow.created_at,
    ).join(ReturnRow, ReturnRow.id == ReturnLineRow.return_id)  # fmt: skip
    return _since(stmt, ReturnRow.created_at, since)


def _refunds(since: datetime | None) -> Query:
    stmt = select(
        RefundRow.id, RefundRow.order_id, RefundRow.amount, RefundRow.currency,
        RefundRow.created_at,
    )  # fmt: skip
    return _since(stmt, RefundRow.created_at, since)


def _fulfillment_orders(since: datetime | None) -> Query:
    stmt = select(
        FulfillmentOrderRow.id, FulfillmentOrderRow.order_id, FulfillmentOrderRow.location,
        FulfillmentOrderRow.type, FulfillmentOrderRow.status, FulfillmentOrderRow.updated_at,
    )  # fmt: skip
    return _since(stmt, FulfillmentOrderRow.updated_at, since)


def _carts(since: datetime | None) -> Query:
    lines = (
        select(func.count(CartLineRow.id))
        .where(CartLineRow.cart_id == CartRow.id)
        .scalar_subquery()
    )
    stmt = select(
        CartRow.id, CartRow.status, CartRow.created_channel, lines, CartRow.order_id,
        CartRow.created_at, CartRow.updated_at,
    )  # fmt: skip
    return _since(stmt, CartRow.updated_at, since)


def _events(since: datetime | None) -> Query:
    stmt = select(
        CdpEventRow.id, CdpEventRow.source, CdpEventRow.type, CdpEventRow.event,
        CdpEventRow.profile_id, CdpEventRow.timestamp, CdpEventRow.payload,
        CdpEventRow.received_at,
    )  # fmt: skip
    return _since(stmt, CdpEventRow.received_at, since)


def _profile_orders(since: datetime | None) -> Query:
    stmt = select(
        CdpProfileOrderRow.order_id, CdpProfileOrderRow.profile_id, CdpProfileOrderRow.placed_at
    )
    return _since(stmt, CdpProfileOrderRow.placed_at, since)


def _movements(since: datetime | None) -> Query:
    stmt = (
        select(
            MovementRow.id,
            VariantRow.sku,
            LocationRow.code,
            MovementRow.quantity,
            MovementRow.on_hand_after,
            MovementRow.created_at,
        )
        .join(VariantRow, VariantRow.id == MovementRow.variant_id)
        .join(LocationRow, LocationRow.id == MovementRow.location_id)
    )
    return _since(stmt, MovementRow.created_at, since)


INCREMENTAL = [
    Source(
        "orders",
        (
            "id",
            "channel",
            "channel_type",
            "source",
            "status",
            "customer_key",
            "currency",
            "total",
            "placed_at",
            "country",
            "store",
            "fulfillment_type",
            "updated_at",
        ),
        _orders,
        _order_row,
        12,
    ),
    Source(
        "order_lines",
        ("id", "order_id", "sku", "quantity", "total", "_clock"),
        _order_lines,
        _plain(5),
        5,
    ),
    Source(
        "return_lines",
        (
            "id",
            "return_id",
            "order_id",
            "channel",
            "reason",
            "quantity",
            "amount",
            "currency",
            "created_at",
        ),
        _return_lines,
        _plain(8),
        8,
    ),
    Source(
        "refunds",
        ("id", "order_id", "amount", "currency", "created_at"),
        _refunds,
        _plain(4),
        4,
    ),
    Source(
        "fulfillment_orders",
        ("id", "order_id", "location", "type", "status", "updated_at"),
        _fulfillment_orders,
        _plain(5),
        5,
    ),
    Source(
        "carts",
        ("id", "status", "channel", "lines", "order_id", "created_at", "updated_at"),
        _carts,
        _plain(5, 6),
        6,
    ),
    Source(
        "events",
        (
            "id",
            "source",
            "type",
            "event",
            "profile_id",
            "ts",
            "sku",
            "order_source",
            "received_at",
        ),
        _events,
        _event_row,
        8,
    ),
    Source(
        "profile_orders",
        ("order_id", "profile_id", "placed_at"),
        _profile_orders,
        _plain(2),
        2,
    ),
    Source(
        "movements",
        ("id", "sku", "location", "quantity", "on_hand_after", "created_at"),
        _movements,
        _plain(5),
        5,
    ),
]


def snapshot_statements() -> dict[str, Query]:
    """Small tables copied whole at every refresh: they change in place, without a clock."""
    return {
        "stock": select(
            VariantRow.sku,
            LocationRow.code,
            StockRow.on_hand,
            StockRow.reserved,
            StockRow.allocated,
        )
        .join(VariantRow, VariantRow.id == StockRow.variant_id)
        .join(LocationRow, LocationRow.id == StockRow.location_id),
        "variants": select(VariantRow.sku, CategoryRow.code)
        .join(ProductRow, ProductRow.id == VariantRow.product_id)
        .outerjoin(CategoryRow, CategoryRow.id == ProductRow.category_id),
        "locations": select(LocationRow.code, LocationRow.type, LocationRow.country),
        "channels": select(ChannelRow.code, ChannelRow.type, ChannelRow.country),
    }


def merges_since(session: Session, since: datetime | None) -> list[tuple[str, str, datetime]]:
    """Profile merges made since the watermark: (merged, into, when)."""
    stmt = _since(
        select(CdpMergeRow.merged_profile_id, CdpMergeRow.into_profile_id, CdpMergeRow.created_at)
        .where(CdpMergeRow.undone_at.is_(None))
        .order_by(CdpMergeRow.id),
        CdpMergeRow.created_at,
        since,
    )
    return [(m, i, naive(t) or t) for m, i, t in session.execute(stmt)]


def batches(
    session: Session, stmt: Query, shape: Callable[[Any], tuple[Any, ...]]
) -> Iterator[Sequence[tuple[Any, ...]]]:
    result = session.execute(stmt.execution_options(yield_per=BATCH))
    for part in result.partitions(BATCH):
        yield [shape(r) for r in part]
