"""Carrier tracking: shipment status from the carrier's webhook, idempotent by the carrier's
event id (carriers redeliver). A `delivered` event delivers the fulfilment order too.

Events may arrive out of order; the shipment's status is that of the latest event by
`occurred_at`, whatever order they came in.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from souk.access.models import Principal
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, Unauthorized
from souk.fulfilment.models import FoStatus
from souk.fulfilment.reads import check_location, shipment_read
from souk.fulfilment.schemas import ShipmentRead, TrackingEventCreate
from souk.fulfilment.tables import FulfillmentOrderRow, ShipmentRow, TrackingEventRow


def get_shipment(*, uow: UnitOfWork, principal: Principal, shipment_id: str) -> ShipmentRead:
    with uow:
        row = uow.session.get(ShipmentRow, shipment_id)
        if row is None:
            raise NotFound(f"No shipment {shipment_id!r}")
        # A POS key reads the shipments its own store sent, like its fulfilment orders.
        fo = uow.session.get(FulfillmentOrderRow, row.fulfillment_order_id)
        check_location(principal, fo.location if fo is not None else "")
        return shipment_read(row)


def carrier_of(*, uow: UnitOfWork, shipment_id: str) -> str:
    with uow:
        carrier = uow.session.scalar(
            select(ShipmentRow.carrier).where(ShipmentRow.id == shipment_id)
        )
        if carrier is None:
            raise NotFound(f"No shipment {shipment_id!r}")
        return carrier


def verify_signature(*, secrets: dict[str, str], carrier: str, body: bytes, signature: str) -> None:
    """`X-Carrier-Signature: sha256=<hex HMAC-SHA256 of the raw body with the carrier's
    secret>` — the secret of the carrier the shipment went with, not any carrier's."""
    secret = secrets.get(carrier)
    if secret is None:
        raise Unauthorized(f"No webhook secret is configured for carrier {carrier!r}")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip()):
        raise Unauthorized("The carrier signature does not match the body")


def record_tracking_event(
    *, uow: UnitOfWork, shipment_id: str, data: TrackingEventCreate
) -> tuple[ShipmentRead, bool]:
    """(the shipment, True if this event was new)."""
    with uow:
        session = uow.session
        shipment = session.get(ShipmentRow, shipment_id)
        if shipment is None:
            raise NotFound(f"No shipment {shipment_id!r}")
        event = TrackingEventRow(
            shipment_id=shipment_id,
            carrier_event_id=data.event_id,
            status=data.status,
            description=data.description,
            location=data.location,
            occurred_at=data.occurred_at,
            received_at=utcnow(),
        )
        try:
            with session.begin_nested():
                session.add(event)
                session.flush()
        except IntegrityError:
            session.refresh(shipment)
            return shipment_read(shipment), False
        session.refresh(shipment)
        latest = max(shipment.events, key=lambda e: (e.occurred_at, e.id))
        shipment.status = latest.status
        if data.status == "delivered" and shipment.delivered_at is None:
            shipment.delivered_at = data.occurred_at
            fo = session.get_one(FulfillmentOrderRow, shipment.fulfillment_order_id)
            if fo.status == FoStatus.SHIPPED.value:
                fo.status, fo.updated_at = FoStatus.DELIVERED.value, utcnow()
                uow.emit(
                    "fulfillment_order.delivered",
                    {"id": fo.id, "order_id": fo.order_id, "location": fo.location},
                )
        uow.emit(
            "shipment.tracking_updated",
            {"id": shipment.id, "status": shipment.status, "event_id": data.event_id},
        )
        result = shipment_read(shipment)
        uow.commit()
        return result, True
