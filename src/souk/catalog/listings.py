"""Listing a product in a channel, optionally inside a time window (a timed drop)."""

from __future__ import annotations

from sqlalchemy import delete, select

from souk.catalog.reads import listing_read
from souk.catalog.schemas import ListingPut, ListingRead
from souk.catalog.tables import ListingRow, ProductRow
from souk.channels.tables import ChannelRow
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.loyalty.queries import tier_codes


def _product_id(uow: UnitOfWork, handle: str) -> int:
    # The product row is locked so that two concurrent PUTs of a new listing queue up
    # instead of both inserting (PostgreSQL; SQLite writers are serialised anyway).
    found = uow.session.scalar(
        select(ProductRow.id).where(ProductRow.handle == handle).with_for_update()
    )
    if found is None:
        raise NotFound(f"No product {handle!r}")
    return found


def _channel_id(uow: UnitOfWork, code: str) -> int:
    found = uow.session.scalar(select(ChannelRow.id).where(ChannelRow.code == code))
    if found is None:
        raise NotFound(f"No channel {code!r}")
    return found


def _check_tiers(uow: UnitOfWork, tiers: list[str]) -> None:
    known = tier_codes(session=uow.session)
    unknown = [t for t in tiers if t not in known]
    if unknown:
        raise ValidationFailed(
            "Early access names a tier the loyalty program does not have",
            errors=[
                field_error(
                    f"body.early_access.tiers.{tiers.index(t)}",
                    f"{t!r} is not a tier of the loyalty program"
                    + (f" ({', '.join(sorted(known))})" if known else " (no program is set up)"),
                )
                for t in unknown
            ],
        )


def put_listing(*, uow: UnitOfWork, handle: str, channel: str, data: ListingPut) -> ListingRead:
    """Create or replace the product's listing in the channel (PUT: the body is the whole
    listing; an omitted window bound means open-ended)."""
    with uow:
        product_id = _product_id(uow, handle)
        channel_id = _channel_id(uow, channel)
        if data.early_access is not None:
            _check_tiers(uow, data.early_access.tiers)
        row = uow.session.scalar(
            select(ListingRow).where(
                ListingRow.product_id == product_id, ListingRow.channel_id == channel_id
            )
        )
        if row is None:
            row = ListingRow(product_id=product_id, channel_id=channel_id)
            uow.session.add(row)
        row.published = data.published
        row.available_from = data.available_from
        row.available_until = data.available_until
        row.hold_stock = data.hold_stock.value
        row.hold_minutes = data.hold_minutes
        early = data.early_access
        row.early_access_from = early.from_ if early is not None else None
        row.early_access_tiers = sorted(early.tiers) if early is not None else None
        row.updated_at = utcnow()
        uow.session.flush()
        result = listing_read(row, channel, utcnow())
        uow.emit("listing.changed", {"product": handle, "channel": channel})
        uow.commit()
        return result


def delete_listing(*, uow: UnitOfWork, handle: str, channel: str) -> None:
    """Withdraw the product from the channel altogether."""
    with uow:
        product_id = _product_id(uow, handle)
        channel_id = _channel_id(uow, channel)
        result = uow.session.execute(
            delete(ListingRow).where(
                ListingRow.product_id == product_id, ListingRow.channel_id == channel_id
            )
        )
        if not getattr(result, "rowcount", 0):
            raise NotFound(f"{handle!r} is not listed in {channel!r}")
        uow.emit("listing.changed", {"product": handle, "channel": channel})
        uow.commit()
