"""Request and response models of the fulfilment API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from souk.fulfilment.models import FoStatus, FoType
from souk.timestamps import Timestamp

# No control characters (PostgreSQL refuses NUL in text; nobody means a tab in a code).
PLAIN = r"^[^\x00-\x1f\x7f]*$"
CODE = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
Text = Field(min_length=1, max_length=500, pattern=PLAIN)


class IncomingTransferRead(BaseModel):
    id: str
    from_location: str = Field(serialization_alias="from")
    status: str


class FulfillmentLineRead(BaseModel):
    sku: str
    quantity: int
    order_line_id: str | None
    allocation_id: str | None
    incoming_transfer: IncomingTransferRead | None = None


class TrackingEventRead(BaseModel):
    event_id: str
    status: str
    description: str | None
    location: str | None
    occurred_at: datetime


class ShipmentRead(BaseModel):
    id: str
    fulfillment_order_id: str
    carrier: str
    tracking_number: str
    status: str
    created_at: datetime
    delivered_at: datetime | None
    events: list[TrackingEventRead]


class FulfillmentOrderRead(BaseModel):
    id: str
    order_id: str
    channel: str
    location: str
    type: FoType
    status: FoStatus
    lines: list[FulfillmentLineRead]
    shipments: list[ShipmentRead]
    estimated_ready_at: datetime | None = Field(
        description="Click & collect waiting for a transfer: when the units should be in."
    )
    rerouted_from: str | None = Field(description="The rejected fulfilment order replaced.")
    rerouted_to: list[str] = Field(
        default=[], description="Rejected: the fulfilment orders its lines went to."
    )
    reject_reason: str | None
    created_at: datetime
    updated_at: datetime
    pickup_code: str | None = Field(
        default=None, description="Only in the answer to `ready`: the code the customer shows."
    )


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Text


class ShipBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: str = Field(min_length=1, max_length=64, pattern=CODE)
    tracking_number: str = Field(min_length=1, max_length=128, pattern=PLAIN)


class CollectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pickup_code: str = Field(min_length=1, max_length=20, pattern=PLAIN)


class TrackingEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(
        min_length=1, max_length=128, pattern=PLAIN, description="The carrier's own id."
    )
    status: str = Field(
        pattern="^(in_transit|out_for_delivery|delivered|exception|returned_to_sender)$"
    )
    occurred_at: Timestamp
    description: str | None = Field(default=None, max_length=1000, pattern=PLAIN)
    location: str | None = Field(default=None, max_length=200, pattern=PLAIN)


class FulfillmentHoldRead(BaseModel):
    id: str
    order_id: str
    order_line_id: str | None
    sku: str
    quantity: int
    reason: str
    status: str
    decision: str | None
    note: str | None
    created_at: datetime
    resolved_at: datetime | None


class DiscrepancyRead(BaseModel):
    id: str
    location: str
    sku: str
    kind: str
    quantity: int
    reference: str | None
    note: str | None
    status: str
    created_at: datetime


class PickupProposalRead(BaseModel):
    location: str
    sku: str
    quantity: int
    available_at_store: int
    transfers: list[dict[str, str | int]]
    ready: str = Field(description="`now` or `after_transfer`; `unavailable` if nowhere.")
    estimated_ready_at: datetime | None
