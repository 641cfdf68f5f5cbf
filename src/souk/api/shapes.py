"""Response shapes that several domains answer with, defined once.

Each becomes one component of `/openapi.json` under its class name. Two Pydantic models of
the same name in different modules would be published as `souk__orders__schemas__MoneyRead`
and `souk__returns__schemas__MoneyRead`, which client generators cannot resolve (they drop
every schema and operation that refers to them), so a shape shared by domains lives here and
a shape that only looks alike gets a name of its own (`CartHoldRead`, `FulfillmentHoldRead`).
`tests/api/test_openapi_names.py` keeps it so.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Money(BaseModel):
    """An amount as it travels over HTTP: integer minor units and the currency they are in."""

    amount: int = Field(description="Minor units (JPY has none: 1999 is ¥1,999).")
    currency: str = Field(description="ISO 4217 code, e.g. EUR, JPY.")
