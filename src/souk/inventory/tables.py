"""Tables of the inventory domain: locations, stock levels, the movement ledger, transfers,
reservations, allocations and channel buffers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Float, ForeignKey, Index, Numeric, String, Table, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.db.types import BigIntPK


class LocationRow(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    line1: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    can_ship: Mapped[bool]
    can_pickup: Mapped[bool]
    accepts_returns: Mapped[bool]
    daily_capacity: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    # The bounding-box prefilter of "near me" is a range on lat (then lon) over this index.
    __table_args__ = (Index("ix_locations_lat_lon", "lat", "lon"),)


class StockRow(Base):
    """The figures of one variant at one location.

    `reserved` may include units of reservations that have expired but not yet been
    released; every reader adds those back (see `stock.py`), so they never count.
    """

    __tablename__ = "stock_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    allocated: Mapped[int] = mapped_column(default=0)
    safety_stock: Mapped[int] = mapped_column(default=0)
    inbound: Mapped[int] = mapped_column(default=0)
    low_stock_threshold: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("variant_id", "location_id"),)


class MovementRow(Base):
    """The ledger: every change of on hand, signed, with the balance it left."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock_levels.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    type: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int]
    on_hand_after: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_stock_movements_variant", "variant_id", "id"),
        Index("ix_stock_movements_stock", "stock_id", "id"),
    )


class TransferRow(Base):
    __tablename__ = "stock_transfers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), index=True
    )
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    shipped_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class ReservationRow(Base):
    __tablename__ = "reservations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_reservations_status_expires", "status", "expires_at"),)


class ReservationLineRow(Base):
    """Units one reservation holds at one stock row.

    A line leaves `held` exactly once (released, expired or allocated), by a conditional
    UPDATE, and whoever moves it takes its quantity out of `stock_levels.reserved`: so a
    reservation that expires while it is being allocated is never counted off twice.
    """

    __tablename__ = "reservation_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[str] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), index=True
    )
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock_levels.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    # Copied from the reservation so that expired units of one stock row are found through
    # one small partial index.
    expires_at: Mapped[datetime]

    __table_args__ = (
        Index(
            "ix_reservation_lines_held",
            "stock_id",
            "expires_at",
            postgresql_where=text("status = 'held'"),
            sqlite_where=text("status = 'held'"),
        ),
    )


class AllocationRow(Base):
    __tablename__ = "allocations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    stock_id: Mapped[int] = mapped_column(
        ForeignKey("stock_levels.id", ondelete="CASCADE"), index=True
    )
    reservation_id: Mapped[str | None] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(200), index=True)
    quantity: Mapped[int]
    consumed: Mapped[int] = mapped_column(default=0)
    released: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ChannelBufferRow(Base):
    """Units a channel keeps back from its ATP: for every product, or for one product."""

    __tablename__ = "channel_buffers"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    units: Mapped[int | None]
    percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    updated_at: Mapped[datetime]

    # NULLs are distinct in a unique constraint, so the channel-wide buffer has its own.
    __table_args__ = (
        Index(
            "uq_channel_buffers_product",
            "channel",
            "product_id",
            unique=True,
            postgresql_where=text("product_id IS NOT NULL"),
            sqlite_where=text("product_id IS NOT NULL"),
        ),
        Index(
            "uq_channel_buffers_default",
            "channel",
            unique=True,
            postgresql_where=text("product_id IS NULL"),
            sqlite_where=text("product_id IS NULL"),
        ),
    )


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# Core handles for the hot paths: plain statements, no ORM unit-of-work bookkeeping.
stock_levels = _table(StockRow)
stock_movements = _table(MovementRow)
stock_transfers = _table(TransferRow)
reservations = _table(ReservationRow)
reservation_lines = _table(ReservationLineRow)
allocations = _table(AllocationRow)
