"""Products, categories and listings (admin)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from souk.api.auth import AdminDep
from souk.api.deps import ReadUowDep, UowDep
from souk.api.pagination import Cursor, Limit, Page
from souk.api.problems import PROBLEM_RESPONSES
from souk.catalog import categories, listings, reads, service
from souk.catalog.schemas import (
    CATEGORY_PATTERN,
    CategoryCreate,
    CategoryRead,
    HandlePath,
    ListingPut,
    ListingRead,
    ProductCreate,
    ProductRead,
    ProductUpdate,
)
from souk.channels.schemas import CodePath

router = APIRouter(tags=["catalog"], responses=PROBLEM_RESPONSES)


@router.post("/v1/products", status_code=201, response_model=ProductRead)
def create_product(data: ProductCreate, uow: UowDep, _: AdminDep) -> ProductRead:
    return service.create_product(uow=uow, data=data)


@router.get("/v1/products", response_model=Page[ProductRead])
def list_products(
    uow: ReadUowDep,
    _: AdminDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    category: str | None = Query(default=None, max_length=64, pattern=CATEGORY_PATTERN),
) -> Page[ProductRead]:
    data, next_cursor = reads.list_products(uow=uow, limit=limit, cursor=cursor, category=category)
    return Page(data=data, next_cursor=next_cursor)


@router.get("/v1/products/{handle}", response_model=ProductRead)
def get_product(handle: HandlePath, uow: ReadUowDep, _: AdminDep) -> ProductRead:
    return reads.get_product(uow=uow, handle=handle)


@router.patch("/v1/products/{handle}", response_model=ProductRead)
def update_product(
    handle: HandlePath, data: ProductUpdate, uow: UowDep, _: AdminDep
) -> ProductRead:
    return service.update_product(uow=uow, handle=handle, data=data)


@router.delete("/v1/products/{handle}", status_code=204, response_class=Response)
def delete_product(handle: HandlePath, uow: UowDep, _: AdminDep) -> Response:
    service.delete_product(uow=uow, handle=handle)
    return Response(status_code=204)


@router.put("/v1/products/{handle}/listings/{channel}", response_model=ListingRead)
def put_listing(
    handle: HandlePath, channel: CodePath, data: ListingPut, uow: UowDep, _: AdminDep
) -> ListingRead:
    return listings.put_listing(uow=uow, handle=handle, channel=channel, data=data)


@router.delete("/v1/products/{handle}/listings/{channel}", status_code=204, response_class=Response)
def delete_listing(handle: HandlePath, channel: CodePath, uow: UowDep, _: AdminDep) -> Response:
    listings.delete_listing(uow=uow, handle=handle, channel=channel)
    return Response(status_code=204)


@router.post("/v1/categories", status_code=201, response_model=CategoryRead)
def create_category(data: CategoryCreate, uow: UowDep, _: AdminDep) -> CategoryRead:
    return categories.create_category(uow=uow, data=data)


@router.get("/v1/categories", response_model=list[CategoryRead])
def list_categories(uow: ReadUowDep, _: AdminDep) -> list[CategoryRead]:
    return categories.list_categories(uow=uow)
