"""How other domains read channels, inside their own transaction."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from souk.channels.models import Channel, ChannelType
from souk.channels.tables import ChannelLocationRow, ChannelRow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound


def to_channel(row: ChannelRow) -> Channel:
    return Channel(
        code=row.code,
        name=row.name,
        type=ChannelType(row.type),
        default_currency=row.default_currency,
        currencies=tuple(row.currencies),
        default_locale=row.default_locale,
        locales=tuple(row.locales),
        country=row.country,
        prices_include_tax=row.prices_include_tax,
        ship_from=tuple(loc.location_code for loc in row.locations if loc.role == "ship_from"),
        pickup_at=tuple(loc.location_code for loc in row.locations if loc.role == "pickup"),
    )


def find_channel_row(*, session: Session, code: str) -> ChannelRow | None:
    return session.scalar(
        select(ChannelRow)
        .where(ChannelRow.code == code)
        .options(selectinload(ChannelRow.locations))
    )


def get_channel(*, session: Session, code: str) -> Channel:
    row = find_channel_row(session=session, code=code)
    if row is None:
        raise NotFound(f"No channel {code!r}")
    return to_channel(row)


def channel_exists(uow: UnitOfWork, code: str) -> bool:
    return uow.session.scalar(select(ChannelRow.id).where(ChannelRow.code == code)) is not None


_CHANNEL = select(
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
).where(ChannelRow.code == bindparam("code"))
_LOCATIONS = (
    select(ChannelLocationRow.role, ChannelLocationRow.location_code)
    .where(ChannelLocationRow.channel_id == bindparam("channel_id"))
    .order_by(ChannelLocationRow.position)
)


def channel_with_id(*, session: Session, code: str) -> tuple[int, Channel] | None:
    """The channel and its row id, in two plain queries (no ORM objects): for hot paths
    such as the storefront catalog, which resolves its channel on every request."""
    row = session.execute(_CHANNEL, {"code": code}).first()
    if row is None:
        return None
    locations = session.execute(_LOCATIONS, {"channel_id": row.id}).all()
    channel = Channel(
        code=row.code,
        name=row.name,
        type=ChannelType(row.type),
        default_currency=row.default_currency,
        currencies=tuple(row.currencies),
        default_locale=row.default_locale,
        locales=tuple(row.locales),
        country=row.country,
        prices_include_tax=row.prices_include_tax,
        ship_from=tuple(code for role, code in locations if role == "ship_from"),
        pickup_at=tuple(code for role, code in locations if role == "pickup"),
    )
    return row.id, channel
