"""The transfers coming to one location that have not arrived yet: a store's list of what to
expect (requested at the source, or on the way)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from souk.catalog.tables import VariantRow
from souk.db.uow import UnitOfWork
from souk.inventory.models import TransferStatus
from souk.inventory.tables import LocationRow, TransferRow
from souk.inventory.transfers import Transfer, transfer_of

OPEN = (TransferStatus.REQUESTED.value, TransferStatus.SHIPPED.value)


def incoming_transfers(*, uow: UnitOfWork, location: str, limit: int = 200) -> list[Transfer]:
    """Oldest first: the one asked for longest ago is the one to chase."""
    source = aliased(LocationRow)
    target = aliased(LocationRow)
    statement = (
        select(TransferRow, VariantRow.sku, source.code, target.code)
        .join(VariantRow, VariantRow.id == TransferRow.variant_id)
        .join(source, source.id == TransferRow.from_location_id)
        .join(target, target.id == TransferRow.to_location_id)
        .where(target.code == location, TransferRow.status.in_(OPEN))
        .order_by(TransferRow.created_at, TransferRow.id)
        .limit(limit)
    )
    with uow:
        return [
            transfer_of(row, sku, from_code, to_code)
            for row, sku, from_code, to_code in uow.session.execute(statement)
        ]
