"""Connections between domains that neither side should hard-code: binding checks and
event subscriptions. Called once by the app factory and by the CLI."""

from __future__ import annotations

from souk.access import service as access_service
from souk.carts import ownership as cart_ownership
from souk.catalog import service as catalog_service
from souk.cdp import handlers as cdp_handlers
from souk.cdp import privacy as cdp_privacy
from souk.channels import service as channels_service
from souk.channels.queries import channel_exists
from souk.customers import service as customers_service
from souk.db.engine import Database
from souk.db.outbox import EventBus
from souk.engagement import handlers as engagement_handlers
from souk.engagement import privacy as engagement_privacy
from souk.fulfilment import handlers as fulfilment_handlers
from souk.fulfilment.config import RoutingConfig
from souk.fulfilment.reads import fulfillment_orders_of
from souk.giftcards import tender as giftcard_tender
from souk.inventory.locations import validate_channel_locations
from souk.inventory.queries import location_exists, variants_with_stock
from souk.loyalty import handlers as loyalty_handlers
from souk.loyalty import tender as loyalty_tender
from souk.orders import queries as orders_queries
from souk.payments import service as payments_service
from souk.privacy.service import erase_person
from souk.promotions import handlers as promotions_handlers
from souk.risk import handlers as risk_handlers
from souk.webhooks import handlers as webhooks_handlers


def wire(bus: EventBus, db: Database | None = None) -> None:
    """Register cross-domain checks and the in-process event handlers."""
    access_service.register_binding_checks(channel=channel_exists)
    access_service.register_binding_checks(location=location_exists)
    channels_service.register_location_check(validate_channel_locations)
    catalog_service.register_in_use_check(variants_with_stock)
    orders_queries.register_fulfillment_reader(fulfillment_orders_of)
    customers_service.register_sign_in_reaction(cart_ownership.on_sign_in)
    # The order refunds reach stored-value tenders in: points, then gift cards.
    payments_service.register_give_back(loyalty_tender.PROVIDER, loyalty_tender.give_back)
    payments_service.register_give_back(giftcard_tender.PROVIDER, giftcard_tender.give_back)
    cdp_privacy.register_eraser("commerce", erase_person)
    cdp_privacy.register_eraser("engagement", engagement_privacy.erase_messages)
    cdp_privacy.register_exporter("engagement", engagement_privacy.export_messages)
    if db is not None:
        # Handlers that open their own unit of work need the database they run against.
        fulfilment_handlers.subscribe(bus, db)
        fulfilment_handlers.register_placement(RoutingConfig.from_settings(db.settings))
        loyalty_handlers.subscribe(bus, db)
        promotions_handlers.subscribe(bus, db)
        cdp_handlers.subscribe(bus, db)
        webhooks_handlers.subscribe(bus, db)
        # After the CDP: an order must be on its buyer's profile before a message finds it.
        engagement_handlers.subscribe(bus, db)
        risk_handlers.subscribe(bus, db)
