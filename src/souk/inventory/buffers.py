"""Channel buffers: units a channel withholds from its ATP, so that a marketplace whose stock
feed lags never sells the last units. A buffer is a fixed number of units or a percentage,
for the whole channel and optionally overridden per product."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from souk.catalog.tables import ProductRow
from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import ValidationFailed, field_error
from souk.inventory.queries import as_dict
from souk.inventory.tables import ChannelBufferRow

Rule = tuple[int | None, Decimal | None]  # (units, percent); (None, None) withholds nothing
NO_BUFFER: Rule = (None, None)


@dataclass(frozen=True, slots=True)
class BufferRule:
    units: int | None = None
    percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Buffers:
    channel: str
    default: BufferRule | None
    products: dict[str, BufferRule]  # by product handle


def buffers_for(
    *, session: Session, channel: str, product_ids: Collection[int]
) -> tuple[Rule, dict[int, Rule]]:
    """The channel-wide rule and the per-product overrides among `product_ids`."""
    rows = session.execute(
        select(ChannelBufferRow.product_id, ChannelBufferRow.units, ChannelBufferRow.percent).where(
            ChannelBufferRow.channel == channel,
            or_(
                ChannelBufferRow.product_id.is_(None),
                ChannelBufferRow.product_id.in_(list(product_ids)),
            ),
        )
    )
    default = NO_BUFFER
    per_product: dict[int, Rule] = {}
    for product_id, units, percent in rows:
        if product_id is None:
            default = (units, percent)
        else:
            per_product[product_id] = (units, percent)
    return default, per_product


def set_buffers(
    *,
    uow: UnitOfWork,
    channel: str,
    default: BufferRule | None,
    products: Sequence[tuple[str, BufferRule]],
) -> Buffers:
    """Replace the channel's buffers (PUT /v1/channels/{code}/buffers)."""
    with uow:
        get_channel(session=uow.session, code=channel)  # NotFound for an unknown channel
        handles = [handle for handle, _ in products]
        ids = as_dict(
            uow.session.execute(
                select(ProductRow.handle, ProductRow.id).where(ProductRow.handle.in_(handles))
            )
        )
        errors = [
            field_error(f"body.products.{i}.handle", f"unknown product {handle!r}")
            for i, handle in enumerate(handles)
            if handle not in ids
        ]
        seen: set[str] = set()
        for i, handle in enumerate(handles):
            if handle in seen:
                errors.append(field_error(f"body.products.{i}.handle", "listed twice"))
            seen.add(handle)
        if errors:
            raise ValidationFailed("The buffers are not valid", errors=errors)
        uow.session.execute(delete(ChannelBufferRow).where(ChannelBufferRow.channel == channel))
        now = utcnow()
        rows: list[tuple[int | None, BufferRule]] = [(None, default)] if default else []
        rows += [(ids[handle], rule) for handle, rule in products]
        for product_id, rule in rows:
            uow.session.add(
                ChannelBufferRow(
                    channel=channel,
                    product_id=product_id,
                    units=rule.units,
                    percent=rule.percent,
                    updated_at=now,
                )
            )
        uow.session.flush()
        result = _read(uow.session, channel)
        uow.commit()
        return result


def get_buffers(*, uow: UnitOfWork, channel: str) -> Buffers:
    with uow:
        get_channel(session=uow.session, code=channel)
        return _read(uow.session, channel)


def _read(session: Session, channel: str) -> Buffers:
    rows = session.execute(
        select(ChannelBufferRow.units, ChannelBufferRow.percent, ProductRow.handle)
        .outerjoin(ProductRow, ProductRow.id == ChannelBufferRow.product_id)
        .where(ChannelBufferRow.channel == channel)
        .order_by(ProductRow.handle)
    )
    default = None
    products = {}
    for units, percent, handle in rows:
        rule = BufferRule(units, percent)
        if handle is None:
            default = rule
        else:
            products[handle] = rule
    return Buffers(channel, default, products)
