"""Every domain's tables, for Alembic's autogenerate and for tests that compare schemas.

Only migrations tooling imports this; the application imports each domain on its own.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from souk.db.base import Base

TABLE_MODULES = [
    "souk.db.outbox",
    "souk.access.tables",
    "souk.api.idempotency_store",
    "souk.channels.tables",
    "souk.catalog.tables",
    "souk.pricing.tables",
    "souk.inventory.tables",
    "souk.customers.tables",
    "souk.carts.tables",
    "souk.shipping.tables",
    "souk.payments.tables",
    "souk.orders.tables",
    "souk.fulfilment.tables",
    "souk.returns.tables",
    "souk.pos.tables",
    "souk.promotions.tables",
    "souk.giftcards.tables",
    "souk.loyalty.tables",
    "souk.audit.tables",
    "souk.cdp.tables",
    "souk.staff.tables",
    "souk.webhooks.tables",
    "souk.forecasting.tables",
    "souk.recommendations.tables",
    "souk.engagement.tables",
    "souk.risk.tables",
    "souk.jobs.tables",
]


def metadata() -> MetaData:
    for name in TABLE_MODULES:
        importlib.import_module(name)
    return Base.metadata
