"""What a till reads besides its sales (a POS key): the catalog of its channel, to keep for
selling offline, and the transfers on their way to its store."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from souk.api.auth import PosDep
from souk.api.deps import StaleReadUowDep
from souk.api.pagination import Cursor, Limit
from souk.api.problems import PROBLEM_RESPONSES
from souk.catalog.storefront_schemas import CatalogPage
from souk.inventory.incoming import incoming_transfers
from souk.inventory.schemas import TransferRead
from souk.storefront import api as storefront_api
from souk.storefront import page
from souk.text import NO_NUL

router = APIRouter(prefix="/v1/pos", tags=["pos"], responses=PROBLEM_RESPONSES)


class TillRead(BaseModel):
    channel: str = Field(description="The POS channel the key sells in")
    location: str = Field(description="The store the key acts for")


@router.get("/till", response_model=TillRead)
async def till(principal: PosDep) -> TillRead:
    """Who this key is: a till learns its channel and store from its key alone."""
    return TillRead(channel=principal.channel or "", location=principal.location or "")


@router.get("/catalog", response_model=CatalogPage)
def till_catalog(
    request: Request,
    uow: StaleReadUowDep,
    principal: PosDep,
    q: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    limit: Limit = 200,
    cursor: Cursor = None,
) -> Response:
    """The POS channel's catalog in its default currency and locale, as the storefront shows
    it (each variant's `barcode` is what the scanner reads)."""
    key = ("till", principal.channel, q, limit, cursor)
    return storefront_api.cached(
        request,
        key,
        lambda: page.browse(uow=uow, channel=principal.channel, q=q, limit=limit, cursor=cursor),
    )


@router.get("/transfers", response_model=list[TransferRead])
def till_transfers(uow: StaleReadUowDep, principal: PosDep) -> list[TransferRead]:
    """Transfers coming to this store that have not arrived yet, oldest first."""
    found = incoming_transfers(uow=uow, location=principal.location or "")
    return [
        TransferRead.model_validate({**asdict(t), "from": t.from_location, "to": t.to_location})
        for t in found
    ]
