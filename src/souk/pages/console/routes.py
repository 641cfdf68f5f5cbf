"""Every router of the console, for the app factory's ROUTERS."""

from __future__ import annotations

from souk.pages.common import static
from souk.pages.console import (
    catalog,
    customers,
    dashboard,
    fulfilment,
    inventory,
    jobs,
    marketing,
    notfound,
    orders,
    signin,
    webhooks,
)

routers = [
    static.router,
    signin.router,
    dashboard.router,
    orders.router,
    fulfilment.router,
    inventory.router,
    catalog.router,
    customers.router,
    marketing.router,
    webhooks.router,
    jobs.router,
    notfound.router,
]
