"""How carts and checkout read shipping rates, inside their own transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.db.reference import SHIPPING_RATES
from souk.shipping.models import ShippingQuote, ShippingRate, best_quote
from souk.shipping.tables import ShippingRateRow


def to_rate(row: ShippingRateRow) -> ShippingRate:
    return ShippingRate(
        code=row.code,
        name=row.name,
        countries=tuple(row.countries),
        prices={str(p["currency"]): int(str(p["amount"])) for p in row.prices},
        min_weight_g=row.min_weight_g,
        max_weight_g=row.max_weight_g,
        channels=tuple(row.channels) if row.channels is not None else None,
    )


def _read_rates(session: Session) -> tuple[ShippingRate, ...]:
    return tuple(to_rate(r) for r in session.scalars(select(ShippingRateRow)))


def quote(
    *, session: Session, country: str, weight_g: int, currency: str, channel: str
) -> ShippingQuote | None:
    """The delivery price for a parcel, or None when no rate delivers there."""
    # Rates are few (tens); filtering in Python keeps the JSON columns portable.
    rates = SHIPPING_RATES.get(session, "all", lambda: _read_rates(session))
    return best_quote(rates, country=country, weight_g=weight_g, currency=currency, channel=channel)
