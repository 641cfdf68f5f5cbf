"""Every router of the console, for the app factory's ROUTERS."""

from __future__ import annotations

from souk.pages.common import static
from souk.pages.console import fulfilment, orders, signin

routers = [static.router, signin.router, orders.router, fulfilment.router]
