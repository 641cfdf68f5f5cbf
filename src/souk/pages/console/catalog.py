"""Catalog, prices, listings and drops, and the price-inconsistency report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from souk.api.deps import ReadUowDep
from souk.api.pagination import Cursor
from souk.catalog import reads
from souk.catalog.schemas import CATEGORY_PATTERN, SKU_PATTERN
from souk.pages.console.rendering import OR_EMPTY, PageRoute, render
from souk.pages.console.session import StaffContext, screen
from souk.pricing import prices
from souk.staff.models import Screen

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CatalogScreen = Annotated[StaffContext, screen(Screen.CATALOG)]
PAGE_SIZE = 25


@router.get("/admin/catalog")
def products(
    request: Request,
    _: CatalogScreen,
    uow: ReadUowDep,
    category: Annotated[str, Query(max_length=64, pattern=OR_EMPTY % CATEGORY_PATTERN)] = "",
    cursor: Cursor = None,
) -> HTMLResponse:
    rows, next_cursor = reads.list_products(
        uow=uow, limit=PAGE_SIZE, cursor=cursor, category=category or None
    )
    return render(
        request, "catalog.html", title="Catalog", products=rows, category=category,
        next_cursor=next_cursor,
    )  # fmt: skip


@router.get("/admin/catalog/prices")
def prices_of(
    request: Request,
    _: CatalogScreen,
    uow: ReadUowDep,
    sku: Annotated[str, Query(min_length=1, max_length=64, pattern=SKU_PATTERN)],
) -> HTMLResponse:
    found = prices.prices_of(uow=uow, sku=sku)
    return render(request, "prices.html", title=f"Prices of {sku}", sku=sku, prices=found)


@router.get("/admin/catalog/inconsistencies")
def inconsistencies(
    request: Request, _: CatalogScreen, uow: ReadUowDep, cursor: Cursor = None
) -> HTMLResponse:
    rows, next_cursor = prices.inconsistencies(uow=uow, limit=PAGE_SIZE * 2, cursor=cursor)
    return render(
        request, "inconsistencies.html", title="Price inconsistencies", rows=rows,
        next_cursor=next_cursor,
    )  # fmt: skip
