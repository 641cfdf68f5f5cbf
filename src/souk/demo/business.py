"""The demo business's channels: one web shop per market, an app that sells in three
currencies, a POS channel per country, a marketplace and a social shop — and which products
each of them lists."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import NamedTuple

from souk.channels.models import ChannelType
from souk.channels.schemas import ChannelCreate
from souk.demo.places import codes


def channels() -> list[ChannelCreate]:
    eu = ("FR", "DE", "ES")

    def channel(
        code: str,
        name: str,
        kind: str,
        country: str,
        currencies: list[str],
        locales: list[str],
        inclusive: bool,
        ship: list[str],
        pickup: list[str],
    ) -> ChannelCreate:
        return ChannelCreate(
            code=code,
            name=name,
            type=ChannelType(kind),
            default_currency=currencies[0],
            currencies=currencies,
            default_locale=locales[0],
            locales=locales,
            country=country,
            prices_include_tax=inclusive,
            ship_from=ship,
            pickup_at=pickup,
        )

    eu_warehouses = codes("warehouse", *eu)
    return [
        channel(
            "web",
            "Souk web shop (Europe)",
            "web",
            "FR",
            ["EUR"],
            ["fr", "en", "de", "es"],
            True,
            eu_warehouses,
            codes("store", *eu),
        ),
        channel(
            "web-us",
            "Souk web shop (US)",
            "web",
            "US",
            ["USD"],
            ["en-US", "es-US"],
            False,
            codes("warehouse", "US"),
            codes("store", "US"),
        ),
        channel(
            "web-jp",
            "Souk オンラインストア",
            "web",
            "JP",
            ["JPY"],
            ["ja", "en"],
            True,
            codes("warehouse", "JP"),
            codes("store", "JP"),
        ),
        channel(
            "app",
            "Souk app",
            "app",
            "FR",
            ["EUR", "USD", "JPY"],
            ["en", "fr", "ja"],
            True,
            eu_warehouses,
            codes("store", *eu),
        ),
        channel(
            "pos-fr",
            "Stores France",
            "pos",
            "FR",
            ["EUR"],
            ["fr", "en"],
            True,
            codes("store", "FR"),
            codes("store", "FR"),
        ),
        channel(
            "pos-de",
            "Stores Deutschland",
            "pos",
            "DE",
            ["EUR"],
            ["de", "en"],
            True,
            codes("store", "DE"),
            codes("store", "DE"),
        ),
        channel(
            "pos-es",
            "Tiendas España",
            "pos",
            "ES",
            ["EUR"],
            ["es", "en"],
            True,
            codes("store", "ES"),
            codes("store", "ES"),
        ),
        channel(
            "pos-us",
            "Stores US",
            "pos",
            "US",
            ["USD"],
            ["en-US"],
            False,
            codes("store", "US"),
            codes("store", "US"),
        ),
        channel(
            "pos-jp",
            "店舗 日本",
            "pos",
            "JP",
            ["JPY"],
            ["ja", "en"],
            True,
            codes("store", "JP"),
            codes("store", "JP"),
        ),
        channel(
            "marketplace-de",
            "Marketplace Deutschland",
            "marketplace",
            "DE",
            ["EUR"],
            ["de", "en"],
            True,
            ["wh-berlin"],
            [],
        ),
        channel(
            "instagram",
            "Instagram shop",
            "social",
            "FR",
            ["EUR"],
            ["fr", "en"],
            True,
            ["wh-paris"],
            [],
        ),
    ]


class ListingSpec(NamedTuple):
    channel: str
    published: bool
    available_from: datetime | None
    available_until: datetime | None
    hold_stock: str
    hold_minutes: int | None


def listings_for(index: int, rng: random.Random, now: datetime) -> list[ListingSpec]:
    """Where product number `index` is listed. Most products are everywhere; the
    marketplace and the social shop carry a selection; every 97th product is a 24-hour
    app-exclusive drop starting tomorrow at 10:00 UTC, held at add-to-cart."""
    if index % 97 == 0:
        start = (now + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
        return [ListingSpec("app", True, start, start + timedelta(hours=24), "cart", 10)]
    found = [
        ListingSpec(code, True, None, None, "checkout", None)
        for code in (
            "web",
            "web-us",
            "web-jp",
            "app",
            "pos-fr",
            "pos-de",
            "pos-es",
            "pos-us",
            "pos-jp",
        )
    ]
    if rng.random() < 0.6:
        found.append(ListingSpec("marketplace-de", True, None, None, "checkout", None))
    if rng.random() < 0.2:
        found.append(ListingSpec("instagram", True, None, None, "checkout", None))
    if index % 50 == 1:
        # Coming soon: listed but not yet published.
        found[0] = ListingSpec("web", False, None, None, "checkout", None)
    return found
