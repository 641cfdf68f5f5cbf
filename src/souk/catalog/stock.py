"""Availability of variants for the storefront catalog: the one place the catalog asks the
inventory domain how many units a channel can promise (ATP)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from souk.channels.models import Channel
from souk.inventory.availability import atp


def available_for(*, session: Session, channel: Channel, skus: Collection[str]) -> dict[str, int]:
    """Units of each SKU the channel can promise, in one bulk call for a whole page
    (never below zero: a shopper is not shown a debt)."""
    found = atp(session=session, channel=channel, skus=skus)
    return {sku: max(0, found.get(sku, 0)) for sku in skus}
