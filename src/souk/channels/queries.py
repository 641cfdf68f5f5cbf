"""How other domains read channels, inside their own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, case, select
from sqlalchemy.orm import Session, selectinload

from souk.channels.models import Channel, ChannelType
from souk.channels.tables import ChannelLocationRow, ChannelRow
from souk.db.reference import CHANNELS
from souk.db.uow import UnitOfWork
from souk.errors import NotFound


def to_channel(row: ChannelRow) -> Channel:
    return _channel(row, [(loc.role, loc.location_code) for loc in row.locations])


def _channel(head: Any, locations: list[tuple[str, str]]) -> Channel:
    """A channel from its row's fields (an ORM row or a result row) and its (role, location)
    pairs in order."""
    return Channel(
        code=head.code,
        name=head.name,
        type=ChannelType(head.type),
        default_currency=head.default_currency,
        currencies=tuple(head.currencies),
        default_locale=head.default_locale,
        locales=tuple(head.locales),
        country=head.country,
        prices_include_tax=head.prices_include_tax,
        ship_from=tuple(code for role, code in locations if role == "ship_from"),
        pickup_at=tuple(code for role, code in locations if role == "pickup"),
    )


def find_channel_row(*, session: Session, code: str) -> ChannelRow | None:
    return session.scalar(
        select(ChannelRow)
        .where(ChannelRow.code == code)
        .options(selectinload(ChannelRow.locations))
    )


def channel_exists(uow: UnitOfWork, code: str) -> bool:
    return uow.session.scalar(select(ChannelRow.id).where(ChannelRow.code == code)) is not None


_CHANNEL_WITH_LOCATIONS = (
    select(
        ChannelRow.id,
        ChannelRow.code,
        ChannelRow.name,
        ChannelRow.type,
        ChannelRow.default_currency,
        ChannelRow.currencies,
        ChannelRow.default_locale,
        ChannelRow.locales,
        ChannelRow.country,
        ChannelRow.prices_include_tax,
        ChannelLocationRow.role,
        ChannelLocationRow.location_code,
    )
    .outerjoin(ChannelLocationRow, ChannelLocationRow.channel_id == ChannelRow.id)
    .where(ChannelRow.code == bindparam("code"))
    .order_by(ChannelLocationRow.position)
)


def channel_with_id(*, session: Session, code: str) -> tuple[int, Channel] | None:
    """The channel and its row id, from the process's reference cache or in one round trip
    without ORM objects: nearly every storefront, cart, checkout and reservation request
    resolves its channel."""
    return CHANNELS.get(session, code, lambda: _read_channel(session, code))


def _read_channel(session: Session, code: str) -> tuple[int, Channel] | None:
    rows = session.execute(_CHANNEL_WITH_LOCATIONS, {"code": code}).all()
    if not rows:
        return None
    first = rows[0]
    channel = _channel(first, [(r.role, r.location_code) for r in rows if r.role is not None])
    return first.id, channel


def get_channel(*, session: Session, code: str) -> Channel:
    """The channel named `code` (NotFound if unknown)."""
    found = channel_with_id(session=session, code=code)
    if found is None:
        raise NotFound(f"No channel {code!r}")
    return found[1]


def first_channel_of_type(*, session: Session, type_: str) -> str | None:
    """The code of the oldest channel of this type (the demo storefront's default)."""
    code = session.scalar(
        select(ChannelRow.code).where(ChannelRow.type == type_).order_by(ChannelRow.id).limit(1)
    )
    return None if code is None else str(code)


def pos_channel_of_store(*, session: Session, store: str) -> str | None:
    """The channel a store manager's till sells in: the oldest POS channel that hands over
    at this store (`pickup_at`), else the oldest that ships from it. (A store can be a
    ship-from location of another store's POS channel, for its endless aisle: that channel
    is the other store's till.)"""
    at_the_counter = case((ChannelLocationRow.role == "pickup", 0), else_=1)
    code = session.scalar(
        select(ChannelRow.code)
        .join(ChannelLocationRow, ChannelLocationRow.channel_id == ChannelRow.id)
        .where(ChannelRow.type == "pos", ChannelLocationRow.location_code == store)
        .order_by(at_the_counter, ChannelRow.id)
        .limit(1)
    )
    return None if code is None else str(code)
