"""Deliveries: enqueued from the event handler (one per event and endpoint), listed with
their attempts (the dead-letter view), replayed on request."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.api.pagination import decode_cursor, encode_cursor
from souk.db.base import new_id, utcnow
from souk.db.dialects import upsert_insert
from souk.db.outbox import Event
from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, NotFound
from souk.webhooks.delivery_queue import DELIVERIES
from souk.webhooks.models import object_key, slim_payload
from souk.webhooks.schemas import DeliveryStatus, WebhookAttemptRead, WebhookDeliveryRead
from souk.webhooks.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from souk.webhooks.worker import ring

PAGE = 100


def envelope(event: Event, *, base_url: str) -> dict[str, object]:
    """The Standard Webhooks payload: `type`, `timestamp`, and small `data`."""
    return {
        "type": event.name,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": {
            "event_id": event.id,
            **slim_payload(event.name, event.payload, base_url=base_url),
        },
    }


def enqueue(
    *, session: Session, wanted: Sequence[tuple[Event, Sequence[str]]], base_url: str
) -> None:
    """One row per event and endpoint, all in one executemany; a second run for the same
    event inserts nothing (the unique endpoint × event key, ON CONFLICT DO NOTHING), so an
    outbox or stream redelivery never sends twice. Rows go in in event order, so the
    sequence that per-object ordering follows is the order the events happened in."""
    now = utcnow()
    rows: list[dict[str, object]] = []
    for event, endpoint_ids in sorted(wanted, key=lambda pair: pair[0].id):
        payload = envelope(event, base_url=base_url)
        key = object_key(event.name, event.payload)
        rows.extend(
            {
                "id": new_id("msg"),
                "endpoint_id": endpoint_id,
                "event_id": event.id,
                "event_name": event.name,
                "object_key": key,
                "payload": payload,
                "event_at": event.created_at,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for endpoint_id in endpoint_ids
        )
    if rows:
        # The table's Core INSERT on the connection: the ORM's bulk path adds its mapper
        # bookkeeping and nothing this needs.
        stmt = upsert_insert(session, DELIVERIES).on_conflict_do_nothing(
            index_elements=["endpoint_id", "event_id"]
        )
        session.connection().execute(stmt, rows)


def _read(row: WebhookDeliveryRow, attempts: list[WebhookAttemptRow]) -> WebhookDeliveryRead:
    status: DeliveryStatus = row.status  # type: ignore[assignment]
    return WebhookDeliveryRead(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event=row.event_name,
        status=status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        attempt_log=[
            WebhookAttemptRead(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                error=a.error,
                duration_ms=a.duration_ms,
            )
            for a in attempts
        ],
    )


def list_deliveries(
    *,
    uow: UnitOfWork,
    endpoint_id: str,
    status: DeliveryStatus | None,
    limit: int = PAGE,
    cursor: str | None = None,
) -> tuple[list[WebhookDeliveryRead], str | None]:
    """Newest first; `status=failed` is the dead-letter list."""
    after = decode_cursor(cursor)
    with uow:
        session = uow.session
        if session.get(WebhookEndpointRow, endpoint_id) is None:
            raise NotFound(f"No webhook endpoint {endpoint_id}")
        stmt = select(WebhookDeliveryRow).where(WebhookDeliveryRow.endpoint_id == endpoint_id)
        if status is not None:
            stmt = stmt.where(WebhookDeliveryRow.status == status)
        if after:
            stmt = stmt.where(WebhookDeliveryRow.seq < int(after[0]))
        rows = list(session.scalars(stmt.order_by(WebhookDeliveryRow.seq.desc()).limit(limit + 1)))
        more, rows = len(rows) > limit, rows[:limit]
        attempts: dict[int, list[WebhookAttemptRow]] = {r.seq: [] for r in rows}
        if rows:
            for a in session.scalars(
                select(WebhookAttemptRow)
                .where(WebhookAttemptRow.delivery_seq.in_(attempts))
                .order_by(WebhookAttemptRow.id)
            ):
                attempts[a.delivery_seq].append(a)
        next_cursor = encode_cursor([rows[-1].seq]) if more else None
        return [_read(r, attempts[r.seq]) for r in rows], next_cursor


def replay(*, uow: UnitOfWork, delivery_id: str) -> WebhookDeliveryRead:
    """Send again, with the same `webhook-id`, now; a receiver that de-duplicates on it sees
    a replay of a delivery it already took as the duplicate it is."""
    with uow:
        session = uow.session
        row = session.scalars(
            select(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"No webhook delivery {delivery_id}")
        endpoint = session.get(WebhookEndpointRow, row.endpoint_id)
        if endpoint is not None and endpoint.disabled_at is not None:
            raise InvalidState(
                f"Webhook endpoint {endpoint.id} is disabled ({endpoint.disabled_reason}); "
                "register it again to receive deliveries"
            )
        if row.status != "pending" or row.locked_until is None:
            row.status = "pending"
            row.next_attempt_at = utcnow()
            row.locked_until = None
        result = _read(row, [])
        uow.commit()
    ring()
    return result
