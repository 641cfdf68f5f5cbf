"""Webhook endpoint use cases: register, list, remove, rotate the secret."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.db.base import new_id, utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.webhooks import addresses
from souk.webhooks.models import WILDCARD, unknown_events, wants
from souk.webhooks.schemas import (
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookSecretRotated,
)
from souk.webhooks.signing import new_secret
from souk.webhooks.tables import WebhookEndpointRow

# Bumped on every change made by this process, so its own directory re-reads at once.
_changes = itertools.count(1)
_generation = 0


def invalidate_directory() -> None:
    global _generation
    _generation = next(_changes)


def _read(row: WebhookEndpointRow) -> WebhookEndpointRead:
    return WebhookEndpointRead(
        id=row.id,
        url=row.url,
        events=list(row.events),
        description=row.description,
        disabled=row.disabled_at is not None,
        disabled_reason=row.disabled_reason,
        created_at=row.created_at,
    )


def create_endpoint(
    *, uow: UnitOfWork, data: WebhookEndpointCreate, allow_private: bool
) -> WebhookEndpointCreated:
    problems = [field_error("events", f"unknown event {e!r}") for e in unknown_events(data.events)]
    try:
        addresses.resolve(data.url, allow_private=allow_private)
    except addresses.AddressRefused as exc:
        problems.insert(0, field_error("url", str(exc)))
    if problems:
        raise ValidationFailed("The webhook endpoint cannot be saved", errors=problems)
    events = [WILDCARD] if WILDCARD in data.events else sorted(set(data.events))
    row = WebhookEndpointRow(
        id=new_id("whe"),
        url=data.url,
        events=events,
        description=data.description,
        secret=new_secret(),
        created_at=utcnow(),
    )
    with uow:
        uow.session.add(row)
        uow.commit()
    invalidate_directory()
    return WebhookEndpointCreated(**_read(row).model_dump(), secret=row.secret)


def _get(session: Session, endpoint_id: str) -> WebhookEndpointRow:
    row = session.get(WebhookEndpointRow, endpoint_id)
    if row is None:
        raise NotFound(f"No webhook endpoint {endpoint_id}")
    return row


def get_endpoint(*, uow: UnitOfWork, endpoint_id: str) -> WebhookEndpointRead:
    with uow:
        return _read(_get(uow.session, endpoint_id))


def list_endpoints(*, uow: UnitOfWork) -> list[WebhookEndpointRead]:
    with uow:
        rows = uow.session.scalars(select(WebhookEndpointRow).order_by(WebhookEndpointRow.id))
        return [_read(r) for r in rows]


def delete_endpoint(*, uow: UnitOfWork, endpoint_id: str) -> None:
    with uow:
        uow.session.delete(_get(uow.session, endpoint_id))
        uow.commit()
    invalidate_directory()


def rotate_secret(*, uow: UnitOfWork, endpoint_id: str, overlap_s: int) -> WebhookSecretRotated:
    now = utcnow()
    with uow:
        row = _get(uow.session, endpoint_id)
        row.previous_secret = row.secret if overlap_s > 0 else None
        row.previous_secret_expires_at = now + timedelta(seconds=overlap_s) if overlap_s else None
        row.secret = new_secret()
        result = WebhookSecretRotated(
            id=row.id, secret=row.secret, previous_secret_expires_at=row.previous_secret_expires_at
        )
        uow.commit()
    return result


class EndpointDirectory:
    """Which enabled endpoints want which event, as last read. An event no endpoint wants
    costs no statement: the outbox hands every event to webhooks, and the order path's
    dispatcher budget must not grow for shops without endpoints."""

    def __init__(self, db: Database, *, ttl_ms: int) -> None:
        self.db = db
        self.ttl_s = ttl_ms / 1000
        self._lock = threading.Lock()
        self._endpoints: list[tuple[str, list[str]]] = []
        self._read_at = float("-inf")
        self._generation = -1

    def matching(self, event_name: str) -> list[str]:
        with self._lock:
            stale = time.monotonic() - self._read_at > self.ttl_s
            if stale or self._generation != _generation:
                self._refresh()
            return [eid for eid, events in self._endpoints if wants(events, event_name)]

    def _refresh(self) -> None:
        generation = _generation
        with self.db.transaction(write=False) as session:
            rows = session.execute(
                select(WebhookEndpointRow.id, WebhookEndpointRow.events).where(
                    WebhookEndpointRow.disabled_at.is_(None)
                )
            ).all()
        self._endpoints = [(r.id, list(r.events)) for r in rows]
        self._read_at = time.monotonic()
        self._generation = generation
