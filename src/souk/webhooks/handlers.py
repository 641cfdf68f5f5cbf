"""Webhooks' event handler (subscribed in `souk.wiring`): every committed domain event that
an endpoint wants becomes one delivery row per endpoint, written in a unit of work of its
own — never in the command that raised the event, so checkout pays nothing for webhooks."""

from __future__ import annotations

from souk.db.engine import Database
from souk.db.outbox import Event, EventBus
from souk.db.uow import UnitOfWork
from souk.webhooks import deliveries
from souk.webhooks.endpoints import EndpointDirectory
from souk.webhooks.models import WILDCARD
from souk.webhooks.worker import ring


def subscribe(bus: EventBus, db: Database) -> None:
    settings = db.settings
    directory = EndpointDirectory(db, ttl_ms=settings.webhook_endpoints_cache_ms)

    def on_event(event: Event) -> None:
        endpoint_ids = directory.matching(event.name)
        if not endpoint_ids:
            return
        with UnitOfWork(db) as uow:
            deliveries.enqueue(
                session=uow.session,
                event=event,
                endpoint_ids=endpoint_ids,
                base_url=settings.public_base_url,
            )
            uow.commit()
        ring()

    bus.subscribe(WILDCARD, on_event)
