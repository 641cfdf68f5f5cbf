"""Tables of the channels domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from souk.db.base import Base
from souk.db.types import Json


class ChannelRow(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    default_currency: Mapped[str] = mapped_column(String(3))
    currencies: Mapped[list[str]] = mapped_column(Json)
    default_locale: Mapped[str] = mapped_column(String(35))
    locales: Mapped[list[str]] = mapped_column(Json)
    country: Mapped[str] = mapped_column(String(2))
    prices_include_tax: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    locations: Mapped[list[ChannelLocationRow]] = relationship(
        back_populates="channel",
        cascade="all, delete-orphan",
        order_by="ChannelLocationRow.position",
    )


class ChannelLocationRow(Base):
    """A location a channel ships from (`ship_from`) or offers pickup at (`pickup`).

    Kept by code so that the order of preference survives; the inventory domain validates
    that each code is a location able to play that role.
    """

    __tablename__ = "channel_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    location_code: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int]

    channel: Mapped[ChannelRow] = relationship(back_populates="locations")

    __table_args__ = (UniqueConstraint("channel_id", "role", "location_code"),)
