"""The storefront catalog (X-Publishable-Key): what the caller's channel sells."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Response

from souk.api.auth import StorefrontDep
from souk.api.deps import StaleReadUowDep
from souk.api.pagination import Cursor, Limit
from souk.api.problems import PROBLEM_RESPONSES
from souk.catalog import storefront
from souk.catalog.schemas import CATEGORY_PATTERN, HandlePath
from souk.catalog.storefront_schemas import CatalogPage, CatalogProduct
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


@router.get("/products", response_model=CatalogPage)
def browse_products(
    uow: StaleReadUowDep,
    shopper: StorefrontDep,
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
    """Products open in this channel and priced in the currency, out-of-stock ones included."""
    page = storefront.browse(
        uow=uow,
        channel=shopper.channel,
        locale=locale,
        currency=currency,
        q=q,
        category=category,
        limit=limit,
        cursor=cursor,
    )
    return _json(page)


@router.get("/products/{handle}", response_model=CatalogProduct)
def show_product(
    handle: HandlePath,
    uow: StaleReadUowDep,
    shopper: StorefrontDep,
    locale: str | None = LOCALE,
    currency: str | None = CURRENCY,
) -> Response:
    found = storefront.product(
        uow=uow, channel=shopper.channel, handle=handle, locale=locale, currency=currency
    )
    return _json(found)


def _json(content: dict[str, Any]) -> Response:
    # The storefront builds its pages as plain data in the documented shape (see
    # storefront._assemble); serialising them directly keeps a 50-product page cheap.
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode(), media_type="application/json")
