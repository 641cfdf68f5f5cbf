"""Webhooks' event handler (subscribed in `souk.wiring`): every committed domain event that
an endpoint wants becomes one delivery row per endpoint, written in a unit of work of its
own — never in the command that raised the event, so checkout pays nothing for webhooks.

It is a batch handler: the dispatcher's (or the stream consumer's) whole batch of events is
enqueued in one transaction and one multi-row insert, events × endpoints, instead of one
transaction per event — the fan-out's former bottleneck."""

from __future__ import annotations

from collections.abc import Sequence

from souk.db.engine import Database
from souk.db.outbox import BatchHandler, Event, EventBus
from souk.db.uow import UnitOfWork
from souk.webhooks import deliveries
from souk.webhooks.endpoints import EndpointDirectory
from souk.webhooks.models import WILDCARD
from souk.webhooks.worker import ring


class EnqueueDeliveries(BatchHandler):
    # The name the stream's durable consumer had when this was a plain function: kept, so
    # that an upgraded worker resumes that consumer instead of reading the stream anew.
    consumer_name = "subscribe.on_event"

    def __init__(self, db: Database) -> None:
        self.db = db
        self.base_url = db.settings.public_address
        self.directory = EndpointDirectory(db, ttl_ms=db.settings.webhook_endpoints_cache_ms)

    def handle_many(self, events: Sequence[Event]) -> None:
        wanted = [(event, ids) for event in events if (ids := self.directory.matching(event.name))]
        if not wanted:
            return  # an event no endpoint wants costs no statement
        with UnitOfWork(self.db) as uow:
            deliveries.enqueue(session=uow.session, wanted=wanted, base_url=self.base_url)
            uow.commit()
        ring()


def subscribe(bus: EventBus, db: Database) -> None:
    bus.subscribe(WILDCARD, EnqueueDeliveries(db))
