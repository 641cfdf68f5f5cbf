"""The storefront catalog (X-Publishable-Key): what the caller's channel sells.

Pages are served from the process's short-lived cache (`cache.py`) with an ETag; a request
whose `If-None-Match` names the current page is answered 304 with no body."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import APIRouter, Query, Request, Response

from souk.api.auth import StorefrontDep
from souk.api.deps import DatabaseDep, StaleReadUowDep
from souk.api.pagination import Cursor, Limit
from souk.api.problems import PROBLEM_RESPONSES
from souk.catalog.schemas import CATEGORY_PATTERN, HandlePath
from souk.catalog.storefront_schemas import CatalogPage, CatalogProduct
from souk.customers.deps import OptionalCustomerDep
from souk.storefront import page
from souk.storefront.cache import PageCache, matches
from souk.text import NO_NUL

router = APIRouter(prefix="/v1/catalog", tags=["storefront"], responses=PROBLEM_RESPONSES)

LOCALE = Query(
    default=None, max_length=35, description="BCP 47, e.g. `fr-CA`; default: the channel's"
)
CURRENCY = Query(
    default=None,
    max_length=3,
    pattern=r"^[A-Za-z]{3}$",
    description="ISO 4217; default: the channel's",
)
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "The page named by `If-None-Match` is still current"}
}
# Same for every shopper of the key's channel; a shared cache must keep pages per key.
CACHING = {"Cache-Control": "public, max-age=0, must-revalidate", "Vary": "X-Publishable-Key"}
PRIVATE = {"Cache-Control": "private, max-age=0, must-revalidate", "Vary": "Authorization"}


@router.get("/products", response_model=CatalogPage, responses=NOT_MODIFIED)
def browse_products(
    request: Request,
    uow: StaleReadUowDep,
    db: DatabaseDep,
    shopper: StorefrontDep,
    customer: OptionalCustomerDep,
    locale: str | None = LOCALE,
    currency: str | None = CURRENCY,
    q: str | None = Query(
        default=None, max_length=100, pattern=NO_NUL, description="Words in the title"
    ),
    category: str | None = Query(
        default=None, max_length=64, pattern=CATEGORY_PATTERN, description="With subcategories"
    ),
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Response:
    """Products open in this channel and priced in the currency, out-of-stock ones included;
    with a customer token, also the drops in their loyalty tier's early window."""
    tier = page.shopper_tier(db, customer)
    key = ("page", shopper.channel, locale, currency, q, category, limit, cursor, tier)
    return cached(
        request,
        key,
        lambda: page.browse(
            uow=uow,
            channel=shopper.channel,
            locale=locale,
            currency=currency,
            q=q,
            category=category,
            limit=limit,
            cursor=cursor,
            tier=tier,
        ),
        signed_in=customer is not None,
    )


@router.get("/products/{handle}", response_model=CatalogProduct, responses=NOT_MODIFIED)
def show_product(
    request: Request,
    handle: HandlePath,
    uow: StaleReadUowDep,
    db: DatabaseDep,
    shopper: StorefrontDep,
    customer: OptionalCustomerDep,
    locale: str | None = LOCALE,
    currency: str | None = CURRENCY,
) -> Response:
    tier = page.shopper_tier(db, customer)
    key = ("product", shopper.channel, handle, locale, currency, tier)
    return cached(
        request,
        key,
        lambda: page.product(
            uow=uow,
            channel=shopper.channel,
            handle=handle,
            locale=locale,
            currency=currency,
            tier=tier,
        ),
        signed_in=customer is not None,
    )


def cached(
    request: Request,
    key: Hashable,
    build: Callable[[], dict[str, Any]],
    *,
    signed_in: bool = False,
) -> Response:
    cache: PageCache = request.app.state.storefront_cache
    entry = cache.get(key)
    if entry is None:
        generation = cache.generation
        entry = cache.put(key, _encode(build()), generation)
    # A member's page may show early-access drops: no shared cache may keep it for others.
    headers = {"ETag": entry.etag, **(PRIVATE if signed_in else CACHING)}
    if matches(request.headers.get("if-none-match"), entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type="application/json", headers=headers)


def _encode(content: dict[str, Any]) -> bytes:
    # The storefront builds its pages as plain data in the documented shape (see
    # page._assemble); serialising them directly keeps a 50-product page cheap.
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
