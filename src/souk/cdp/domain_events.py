"""Souk's own domain events feed the profiles with no tracking client: every channel's
placed order (the till's included), received returns and earned loyalty points become
events on the buyer's profile. An order proves identity — its customer account, email
and loyalty card are one person — so it may merge profiles.

Each handler is idempotent: the event is stored under a messageId derived from the
domain event (`order.placed:ord_…`) in the `souk` source, whose uniqueness makes a
redelivery a no-op, even when two deliveries race."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from souk.catalog.queries import variants_by_sku
from souk.cdp import profiles
from souk.cdp.bulk import insert_rows
from souk.cdp.computed import OrderFact
from souk.cdp.identity_view import IdentityView
from souk.cdp.ingestion import event_values, record_event
from souk.cdp.models import Identity, IdType, normalize
from souk.cdp.resolution import find_by_identity, resolve, saw
from souk.cdp.tables import CdpEventRow, CdpProfileOrderRow
from souk.customers.queries import find_customer
from souk.db.base import utcnow
from souk.db.outbox import Event
from souk.db.uow import UnitOfWork
from souk.orders.placed import placed_order
from souk.orders.queries import get_order

SOURCE = "souk"


def _known(uow: UnitOfWork, message_id: str) -> bool:
    found = uow.session.scalar(
        select(CdpEventRow.id).where(
            CdpEventRow.source == SOURCE, CdpEventRow.message_id == message_id
        )
    )
    return found is not None


def _identities(uow: UnitOfWork, customer_id: str | None, email: str | None) -> list[Identity]:
    raw: list[tuple[IdType, object]] = [(IdType.USER_ID, customer_id), (IdType.EMAIL, email)]
    customer = find_customer(session=uow.session, customer_id=customer_id) if customer_id else None
    if customer is not None:
        raw += [
            (IdType.EMAIL, customer.email),
            (IdType.LOYALTY_CARD, customer.loyalty_card),
            (IdType.PHONE, customer.phone),
        ]
    found: list[Identity] = []
    for kind, value in raw:
        canonical = normalize(kind, value)
        if canonical is not None and Identity(kind, canonical) not in found:
            found.append(Identity(kind, canonical))
    return found


def record_order(*, uow: UnitOfWork, order_id: str, event: Event | None = None) -> str | None:
    """The `order.placed` reaction; returns the buyer's profile (None if already known or
    the order names nobody: a cash sale to no one in particular). `event`: the event being
    handled, whose other reactions share the order read here."""
    message_id = f"order.placed:{order_id}"
    try:
        with uow:
            s = uow.session
            # Not looked up first: nearly every delivery is the first, and a redelivery's
            # event row collides with the first one's (unique per source and messageId),
            # which rolls back everything it did.
            order = placed_order(event, s, order_id)
            identities = _identities(uow, order.customer_id, order.email)
            if not identities:
                return None
            # The category of each line, from the process's copy of the catalog: a profile's
            # affinities may trail a category change by SOUK_REFERENCE_CACHE_MS.
            variants = variants_by_sku(
                session=s, skus=[line.sku for line in order.lines], kept=True
            )
            products = [
                {
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "price": line.unit_price,
                    "category": variants[line.sku].category if line.sku in variants else None,
                }
                for line in order.lines
            ]
            message = {
                "type": "track",
                "event": "Order Completed",
                "userId": order.customer_id,
                "properties": {
                    "order_id": order.id,
                    "channel": order.channel,
                    "source": order.source,
                    "total": order.total,
                    "currency": order.currency,
                    "products": products,
                },
            }
            now = utcnow()
            view = IdentityView(s)
            profile = resolve(
                s,
                identities=identities,
                proves=True,
                reason="pos_sale" if order.source == "pos" else "order",
                message_id=message_id,
                now=now,
                emit=uow.emit,
                view=view,
            )
            profile_id = profile.id
            categories = sorted({str(p["category"]) for p in products if p["category"]})
            placed = OrderFact(
                channel=order.channel, source=order.source, currency=order.currency,
                total=order.total, placed_at=order.placed_at, categories=tuple(categories),
                returned=0,
            )  # fmt: skip
            with s.no_autoflush:
                # As a batch of tracked events is stored (`ingestion.py`): the event first,
                # which the refresh reads (segment rules, ROPO); the profile, when this order
                # started it, still pending, so it is inserted once with its last visit and
                # computed traits instead of inserted and then updated twice.
                insert_rows(s, "cdp_events", [event_values(
                    SOURCE, message_id, message, profile_id, order.placed_at, now
                )])  # fmt: skip
                saw(profile, order.placed_at)
                profiles.refresh(
                    uow, [profile_id], now=now, roots={profile_id: profile},
                    placed={profile_id: [placed]},
                    fresh=[profile_id] if view.made_here(profile_id) and not view.merged else [],
                )  # fmt: skip
                s.add(
                    CdpProfileOrderRow(
                        order_id=order.id, profile_id=profile_id, origin_profile_id=profile_id,
                        channel=order.channel, source=order.source, currency=order.currency,
                        total=order.total, categories=categories, placed_at=order.placed_at,
                        returned=0,
                    )
                )  # fmt: skip
            view.flush(last=True)
            uow.commit()
            return profile_id
    except IntegrityError:
        # A redelivery, or one that raced this and committed first: the order is on its
        # profile already.
        return None


def record_follow_up(
    *, uow: UnitOfWork, message_id: str, event: str, order_id: str, properties: dict[str, Any]
) -> str | None:
    """A later event about a known order (a return, earned points) on the buyer's profile."""
    try:
        with uow:
            s = uow.session
            if _known(uow, message_id):
                return None
            placed = s.get(CdpProfileOrderRow, order_id)
            if placed is None:
                order = get_order(session=s, order_id=order_id)
                identities = _identities(uow, order.customer, order.email)
                if not identities:
                    return None
                profile_id = find_by_identity(s, identities[0])
                if profile_id is None:
                    # The order has not reached a profile yet: fail, so that the outbox
                    # delivers this again after `order.placed` has been handled.
                    raise LookupError(f"order {order_id} is not on a profile yet")
            else:
                profile_id = placed.profile_id
            message = {"type": "track", "event": event, "properties": properties}
            now = utcnow()
            record_event(
                uow,
                source=SOURCE,
                message_id=message_id,
                message=message,
                profile_id=profile_id,
                timestamp=now,
                received_at=now,
            )
            profiles.refresh(uow, [profile_id], now=now)
            uow.commit()
            return profile_id
    except IntegrityError:
        return None
