"""Carts and checkout over HTTP (storefront: `X-Publishable-Key`, customer token optional)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from souk.access.models import Principal
from souk.api.auth import AdminDep, StorefrontDep
from souk.api.deps import ReadUowDep
from souk.api.problems import PROBLEM_RESPONSES, Problem
from souk.carts import checkout as checkout_service
from souk.carts import preferences, service
from souk.carts.preview import PromotionPreview, preview
from souk.carts.schemas import (
    CartCreate,
    CartRead,
    CartUpdate,
    CheckoutRequest,
    LineAdd,
    LineUpdate,
)
from souk.carts.shopper import ShopperDep
from souk.customers.deps import CustomerDep
from souk.customers.schemas import IdPath
from souk.orders.schemas import OrderRead

router = APIRouter(tags=["carts"], responses=PROBLEM_RESPONSES)
# The shopper's routes are `async def` and run their command in the thread pool themselves:
# FastAPI runs a plain `def` route in the pool and then validates its answer in the pool
# again, two hops per request where one does (the answer is the response model already).
CHECKOUT_RESPONSES: dict[int | str, dict[str, object]] = {
    402: {"model": Problem, "description": "Payment declined; nothing is held or charged"},
}


def checkout_context(request: Request, data: CheckoutRequest) -> dict[str, Any]:
    """What fraud screening learns of the buyer's session (souk.risk): the storefront's
    optional `risk` facts, the client address and the country the proxy in front found
    for it."""
    context: dict[str, Any] = data.risk.model_dump(exclude_none=True) if data.risk else {}
    if request.client is not None:
        context["ip"] = request.client.host[:64]
    header = request.app.state.settings.risk_ip_country_header
    country = request.headers.get(header, "").strip().upper()
    if len(country) == 2 and country.isalpha():
        context["ip_country"] = country
    if "billing_country" in context:
        context["billing_country"] = str(context["billing_country"]).upper()
    return context


def _channel(store: Principal) -> str:
    assert store.channel is not None  # storefront keys are always bound to a channel
    return store.channel


@router.post(
    "/v1/carts",
    status_code=201,
    response_model=CartRead,
    responses={200: {"model": CartRead, "description": "The customer's existing active cart"}},
)
async def create_cart(data: CartCreate, who: ShopperDep, response: Response) -> CartRead:
    cart, created = await run_in_threadpool(
        service.create_cart, uow=who.uow(), channel=who.channel, customer_id=who.customer,
        data=data,
    )  # fmt: skip
    if not created:
        response.status_code = 200
    return cart


@router.get("/v1/customers/me/cart", response_model=CartRead)
async def my_cart(uow: ReadUowDep, store: StorefrontDep, customer: CustomerDep) -> CartRead:
    return await run_in_threadpool(
        service.my_cart, uow=uow, channel=_channel(store), customer_id=customer
    )


@router.get("/v1/carts/{cart_id}", response_model=CartRead)
async def get_cart(cart_id: IdPath, who: ShopperDep) -> CartRead:
    return await run_in_threadpool(
        service.get_cart, uow=who.read_uow(), cart_id=cart_id, channel=who.channel,
        customer_id=who.customer,
    )  # fmt: skip


@router.patch("/v1/carts/{cart_id}", response_model=CartRead)
async def update_cart(cart_id: IdPath, data: CartUpdate, who: ShopperDep) -> CartRead:
    return await run_in_threadpool(
        preferences.update_cart,
        uow=who.uow(), cart_id=cart_id, channel=who.channel, customer_id=who.customer, data=data,
    )  # fmt: skip


@router.post("/v1/carts/{cart_id}/lines", status_code=201, response_model=CartRead)
async def add_line(cart_id: IdPath, data: LineAdd, who: ShopperDep) -> CartRead:
    return await run_in_threadpool(
        service.add_line,
        uow=who.uow(), cart_id=cart_id, channel=who.channel, customer_id=who.customer, data=data,
    )  # fmt: skip


@router.patch("/v1/carts/{cart_id}/lines/{line_id}", response_model=CartRead)
async def update_line(
    cart_id: IdPath,
    line_id: IdPath,
    data: LineUpdate,
    who: ShopperDep,
) -> CartRead:
    return await run_in_threadpool(
        service.update_line,
        uow=who.uow(),
        cart_id=cart_id,
        line_id=line_id,
        channel=who.channel,
        customer_id=who.customer,
        data=data,
    )


@router.delete("/v1/carts/{cart_id}/lines/{line_id}", response_model=CartRead)
async def remove_line(cart_id: IdPath, line_id: IdPath, who: ShopperDep) -> CartRead:
    return await run_in_threadpool(
        service.remove_line,
        uow=who.uow(), cart_id=cart_id, line_id=line_id, channel=who.channel,
        customer_id=who.customer,
    )  # fmt: skip


@router.post(
    "/v1/carts/{cart_id}/checkout",
    status_code=201,
    response_model=OrderRead,
    responses=CHECKOUT_RESPONSES,
)
async def checkout(
    cart_id: IdPath, data: CheckoutRequest, request: Request, who: ShopperDep
) -> OrderRead:
    return await run_in_threadpool(
        checkout_service.checkout,
        uow=who.uow(),
        cart_id=cart_id,
        channel=who.channel,
        customer_id=who.customer,
        data=data,
        context=checkout_context(request, data),
    )


@router.post(
    "/v1/carts/{cart_id}/preview-promotions",
    response_model=PromotionPreview,
    tags=["promotions"],
)
def preview_promotions(cart_id: IdPath, uow: ReadUowDep, _: AdminDep) -> PromotionPreview:
    """Every live promotion against this cart: whether it applies, and why not."""
    return preview(uow=uow, cart_id=cart_id)
