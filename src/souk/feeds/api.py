"""Feeds over HTTP. Marketplaces fetch a URL on a schedule and cannot send headers, so the
channel's publishable key may come as `?key=`; an admin key only ever in `Authorization`,
never in a URL that ends up in someone's logs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from souk.access.models import Principal, Role
from souk.api.auth import bearer, resolve_key
from souk.api.deps import DatabaseDep, SettingsDep
from souk.api.problems import PROBLEM_RESPONSES
from souk.channels.schemas import CodePath
from souk.db.base import utcnow
from souk.errors import Forbidden, Unauthorized
from souk.feeds import formats
from souk.feeds.models import Feed
from souk.feeds.service import build_feed


class InventoryItem(BaseModel):
    sku: str
    available: int = Field(description="ATP in this channel less its buffer, never below 0")


class InventoryFeed(BaseModel):
    channel: str
    generated_at: datetime
    items: list[InventoryItem]


router = APIRouter(prefix="/v1/feeds", tags=["feeds"], responses=PROBLEM_RESPONSES)

KeyQuery = Annotated[
    str | None,
    Query(max_length=200, description="The channel's publishable key (`pk_…`)"),
]


async def feed_reader(
    request: Request,
    channel: CodePath,
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    key: KeyQuery = None,
) -> Principal:
    if credentials is not None:
        principal = await resolve_key(request, db, credentials.credentials)
        if principal is None:
            raise Unauthorized("Unknown or revoked key")
        if principal.role is not Role.ADMIN:
            raise Forbidden(
                "`Authorization` takes an admin key here; a channel's key goes in ?key="
            )
        return principal
    if not key:
        raise Unauthorized("Send an admin key as `Authorization: Bearer`, or the channel's "
                           "publishable key as `?key=`")  # fmt: skip
    principal = await resolve_key(request, db, key)
    if principal is None:
        raise Unauthorized("Unknown or revoked key")
    if principal.role is not Role.STOREFRONT:
        raise Forbidden("`?key=` takes a publishable key only: a secret key never goes in a URL")
    if principal.channel != channel:
        raise Forbidden(f"This key is the publishable key of {principal.channel}, not {channel}")
    return principal


ReaderDep = Annotated[Principal, Depends(feed_reader)]


async def channel_feed(
    request: Request, channel: CodePath, db: DatabaseDep, settings: SettingsDep, _: ReaderDep
) -> Feed:
    """The channel's feed, built once the caller is known to be allowed to read it."""
    base = settings.public_url or str(request.base_url)
    return await run_in_threadpool(
        build_feed, db=db, channel=channel, base_url=base, brand=settings.feed_brand
    )


FeedDep = Annotated[Feed, Depends(channel_feed)]
# Fetched every few hours by a robot: a minute of staleness in a proxy is harmless.
CACHING = {"Cache-Control": "private, max-age=60"}


@router.get(
    "/{channel}/google.xml",
    response_class=Response,
    responses={200: {"content": {"text/xml": {}}, "description": "RSS 2.0, `g:` items"}},
)
async def google_feed(feed: FeedDep) -> Response:
    """Google Merchant Center product feed: the channel's prices and ATP less its buffer."""
    return Response(formats.google_rss(feed), media_type="text/xml", headers=CACHING)


@router.get(
    "/{channel}/meta.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "Meta catalog data feed"}},
)
async def meta_feed(feed: FeedDep) -> Response:
    """Meta (Facebook, Instagram) catalog CSV: the channel's prices and ATP less its buffer."""
    return Response(formats.meta_csv(feed), media_type="text/csv; charset=utf-8", headers=CACHING)


@router.get("/{channel}/inventory.json", response_model=InventoryFeed)
async def inventory_feed(feed: FeedDep) -> Response:
    """Per-SKU ATP for a marketplace connector: what the channel may sell, less its buffer.
    Reading it changes nothing; its orders come back through `POST /v1/orders/import`."""
    body = formats.inventory(feed, utcnow().isoformat().replace("+00:00", "Z"))
    return Response(json.dumps(body).encode(), media_type="application/json", headers=CACHING)
