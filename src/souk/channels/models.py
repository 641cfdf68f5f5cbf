"""Channels: where a retailer sells (web shop, app, store POS, marketplace, social shop)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChannelType(StrEnum):
    WEB = "web"
    APP = "app"
    POS = "pos"
    MARKETPLACE = "marketplace"
    SOCIAL = "social"
    MESSAGING = "messaging"


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel as the other domains see it."""

    code: str
    name: str
    type: ChannelType
    default_currency: str
    currencies: tuple[str, ...]
    default_locale: str
    locales: tuple[str, ...]
    country: str
    prices_include_tax: bool
    ship_from: tuple[str, ...]
    pickup_at: tuple[str, ...]

    def sells_in(self, currency: str) -> bool:
        return currency in self.currencies
