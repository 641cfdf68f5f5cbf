"""Prices and tax rates (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.catalog.schemas import SKU_PATTERN
from souk.channels.schemas import CODE_PATTERN
from souk.pricing import prices, taxes
from souk.pricing.schemas import Inconsistency, PriceIn, PriceRead, TaxRateCreate, TaxRateRead

router = APIRouter(tags=["pricing"], responses=PROBLEM_RESPONSES)

PriceList = Annotated[list[PriceIn], Body(min_length=1, max_length=1000)]


@router.put("/v1/prices", response_model=list[PriceRead])
def set_prices(data: PriceList, uow: UowDep, _: AdminDep) -> list[PriceRead]:
    """Upsert prices, all or nothing. Without `channel` a price holds in every channel."""
    return prices.set_prices(uow=uow, prices=data)


@router.get("/v1/prices/inconsistencies", response_model=Page[Inconsistency])
def price_inconsistencies(
    uow: ReadUowDep, _: AdminDep, limit: Limit = 100, cursor: Cursor = None
) -> Page[Inconsistency]:
    """Every SKU priced differently across the channels that sell in one currency."""
    data, next_cursor = prices.inconsistencies(uow=uow, limit=limit, cursor=cursor)
    return Page(data=data, next_cursor=next_cursor)


@router.get("/v1/prices", response_model=list[PriceRead])
def prices_of(
    uow: ReadUowDep, _: AdminDep, sku: str = Query(min_length=1, max_length=64, pattern=SKU_PATTERN)
) -> list[PriceRead]:
    return prices.prices_of(uow=uow, sku=sku)


@router.delete("/v1/prices", status_code=204, response_class=Response)
def remove_price(
    uow: UowDep,
    _: AdminDep,
    sku: str = Query(min_length=1, max_length=64, pattern=SKU_PATTERN),
    currency: str = Query(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$"),
    channel: str | None = Query(default=None, max_length=64, pattern=CODE_PATTERN),
) -> Response:
    prices.remove_price(uow=uow, sku=sku, currency=currency, channel=channel)
    return Response(status_code=204)


@router.post("/v1/tax-rates", status_code=201, response_model=TaxRateRead)
def create_tax_rate(data: TaxRateCreate, uow: UowDep, _: AdminDep) -> TaxRateRead:
    return taxes.create_tax_rate(uow=uow, data=data)


@router.get("/v1/tax-rates", response_model=list[TaxRateRead])
def list_tax_rates(
    uow: ReadUowDep,
    _: AdminDep,
    country: str | None = Query(default=None, pattern=r"^[A-Z]{2}$"),
) -> list[TaxRateRead]:
    return taxes.list_tax_rates(uow=uow, country=country)
