"""Tables of the fulfilment domain: fulfilment orders and their lines, shipments, carrier
tracking events, the routing record of each order, lines waiting for a decision and stock
discrepancies found on the shop floor.

Orders, locations and allocations are referred to by id/code, not by foreign key: they
belong to other domains, reached through their services.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from souk.db.base import Base
from souk.db.types import BigIntPK


class FulfillmentOrderRow(Base):
    __tablename__ = "fulfillment_orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    pickup_code_hash: Mapped[str | None] = mapped_column(String(64))
    # Wrong codes tried at the counter since the code was issued.
    pickup_failures: Mapped[int] = mapped_column(default=0)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    # The rejected fulfilment order whose lines this one took over.
    rerouted_from: Mapped[str | None] = mapped_column(String(40))
    # Endless aisle: units still on their way to the pickup store, and when they should be in.
    estimated_ready_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    lines: Mapped[list[FulfillmentOrderLineRow]] = relationship(
        back_populates="fulfillment_order",
        order_by="FulfillmentOrderLineRow.id",
        cascade="all, delete-orphan",
    )
    shipments: Mapped[list[ShipmentRow]] = relationship(
        back_populates="fulfillment_order", order_by="ShipmentRow.created_at"
    )

    __table_args__ = (Index("ix_fulfillment_orders_queue", "location", "status", "created_at"),)


class FulfillmentOrderLineRow(Base):
    __tablename__ = "fulfillment_order_lines"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    fulfillment_order_id: Mapped[str] = mapped_column(
        ForeignKey("fulfillment_orders.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[str | None] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    # The inventory allocation consumed when the units are shipped or collected; None while
    # they are still coming by transfer (allocated at the store once they arrive).
    allocation_id: Mapped[str | None] = mapped_column(String(40))
    transfer_id: Mapped[str | None] = mapped_column(String(40))
    transfer_from: Mapped[str | None] = mapped_column(String(64))

    fulfillment_order: Mapped[FulfillmentOrderRow] = relationship(back_populates="lines")


class ShipmentRow(Base):
    __tablename__ = "shipments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    fulfillment_order_id: Mapped[str] = mapped_column(
        ForeignKey("fulfillment_orders.id"), index=True
    )
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    fulfillment_order: Mapped[FulfillmentOrderRow] = relationship(back_populates="shipments")
    events: Mapped[list[TrackingEventRow]] = relationship(order_by="TrackingEventRow.occurred_at")


class TrackingEventRow(Base):
    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"), index=True)
    # The carrier's own id for the event: a redelivered webhook carries the same one.
    carrier_event_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(30))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("shipment_id", "carrier_event_id"),)


class OrderRoutingRow(Base):
    """One row per routed order: the claim that makes routing idempotent."""

    __tablename__ = "order_routings"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # routed | needs_decision
    method: Mapped[str] = mapped_column(String(20))
    solver_status: Mapped[str] = mapped_column(String(100))
    cost: Mapped[float | None]
    created_at: Mapped[datetime]


class FulfillmentHoldRow(Base):
    """Units no location could take: the order waits for a decision on them."""

    __tablename__ = "fulfillment_holds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    order_line_id: Mapped[str | None] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # open | resolved
    decision: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class StockDiscrepancyRow(Base):
    """Stock the books and the shelf disagree on, raised for a count at that location."""

    __tablename__ = "stock_discrepancies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    location: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(30))  # rejected_pick | negative_on_hand
    quantity: Mapped[int]
    reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # open | resolved
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_stock_discrepancies_open", "location", "status"),)
