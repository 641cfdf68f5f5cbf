"""Orders written straight into the primary tables, in bulk, for analytics tests and the
analytics benchmark: a million order lines through the checkout would take hours, and the
analytics only read these rows. PostgreSQL gets them by COPY, SQLite by executemany."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from souk.catalog.tables import CategoryRow, ProductRow, VariantRow
from souk.db.engine import Database
from souk.orders.tables import OrderLineRow, OrderRow


@dataclass
class Line:
    sku: str
    quantity: int
    total: int


@dataclass
class Order:
    id: str
    number: int
    channel: str
    currency: str
    placed_at: datetime
    lines: list[Line]
    shipping: int = 0
    status: str = "placed"
    source: str = "checkout"
    customer_id: str | None = None
    country: str | None = None
    fulfillment: dict[str, Any] | None = field(default=None)
    # When the row last changed (unset: when it was placed), what the analytics watermark reads.
    updated_at: datetime | None = None

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines) + self.shipping


def _order_values(o: Order) -> dict[str, Any]:
    subtotal = sum(line.total for line in o.lines)
    return {
        "id": o.id, "number": o.number, "channel": o.channel, "status": o.status,
        "source": o.source, "external_id": None, "cart_id": None, "customer_id": o.customer_id,
        "email": None, "locale": "en", "currency": o.currency, "subtotal": subtotal,
        "discount": 0, "shipping": o.shipping, "shipping_tax": 0, "tax": 0, "tax_included": 0,
        "total": o.total, "prices_include_tax": True,
        "shipping_address": {"country": o.country} if o.country else None,
        "fulfillment": o.fulfillment or {"type": "delivery"}, "adjustments": None,
        "placed_at": o.placed_at, "created_at": o.placed_at,
        "updated_at": o.updated_at or o.placed_at,
    }  # fmt: skip


def _line_values(o: Order) -> Iterable[dict[str, Any]]:
    for position, line in enumerate(o.lines):
        yield {
            "order_id": o.id, "position": position, "sku": line.sku, "title": line.sku,
            "quantity": line.quantity, "unit_price": line.total // max(line.quantity, 1),
            "discount": 0, "tax": 0, "tax_rate": Decimal("0"), "total": line.total,
        }  # fmt: skip


def _copy(db: Database, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    columns = [c.name for c in table.columns if c.name in rows[0]]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(  # type: ignore[attr-defined]
            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row([_pg(row[c]) for c in columns])
        raw.commit()
    finally:
        raw.close()


def _pg(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def insert_orders(db: Database, orders: Sequence[Order], *, batch: int = 20_000) -> None:
    for start in range(0, len(orders), batch):
        chunk = orders[start : start + batch]
        order_rows = [_order_values(o) for o in chunk]
        line_rows = [v for o in chunk for v in _line_values(o)]
        if db.is_sqlite:
            with db.engine.begin() as conn:
                conn.execute(insert(OrderRow.__table__), order_rows)
                conn.execute(insert(OrderLineRow.__table__), line_rows)
        else:
            _copy(db, OrderRow.__table__, order_rows)
            _copy(db, OrderLineRow.__table__, line_rows)


CHANNELS = [
    ("web", "EUR", "FR"),
    ("app", "EUR", "DE"),
    ("web-us", "USD", "US"),
    ("web-jp", "JPY", "JP"),
]


def generate(
    *, lines: int, days: int = 365, seed: int = 7, start: datetime | None = None,
    skus: int = 2000, customers: int = 50_000,
) -> list[Order]:  # fmt: skip
    """Orders of 1 to 7 lines (4 on average) spread over `days`, until `lines` lines."""
    rng = random.Random(seed)
    start = start or datetime(2025, 1, 1, tzinfo=UTC)
    orders: list[Order] = []
    made = 0
    number = 1001
    while made < lines:
        channel, currency, country = rng.choice(CHANNELS)
        count = min(rng.randint(1, 7), lines - made)
        order_lines = [
            Line(
                f"SKU-{rng.randrange(skus):05d}", q := rng.randint(1, 3), q * rng.randint(500, 9000)
            )
            for _ in range(count)
        ]
        placed = start + timedelta(seconds=rng.randrange(days * 86_400))
        pickup = rng.random() < 0.15
        orders.append(
            Order(
                id=f"ord_bench{number:09d}",
                number=number,
                channel=channel,
                currency=currency,
                placed_at=placed,
                lines=order_lines,
                shipping=0 if pickup else 490,
                status="cancelled" if rng.random() < 0.02 else "placed",
                customer_id=f"cus_{rng.randrange(customers):06d}",
                country=country,
                fulfillment={"type": "pickup", "location": "store-1"} if pickup else None,
            )
        )
        made += count
        number += 1
    return orders


def insert_catalog(db: Database, *, skus: int = 2000, categories: int = 12) -> None:
    """The generator's SKUs as products in categories, so that grouping by category has
    something to group by."""
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        conn.execute(
            insert(CategoryRow.__table__),
            [
                {"id": c + 1, "code": f"cat-{c:02d}", "parent_id": None, "names": {}}
                for c in range(categories)
            ],
        )
        conn.execute(
            insert(ProductRow.__table__),
            [
                {"id": i + 1, "handle": f"p-{i:05d}", "category_id": i % categories + 1,
                 "attributes": {}, "created_at": now, "updated_at": now}
                for i in range(skus)
            ],
        )  # fmt: skip
        conn.execute(
            insert(VariantRow.__table__),
            [
                {"id": i + 1, "product_id": i + 1, "sku": f"SKU-{i:05d}", "options": {},
                 "barcode": None, "weight_g": 300, "allow_backorder": False}
                for i in range(skus)
            ],
        )  # fmt: skip
