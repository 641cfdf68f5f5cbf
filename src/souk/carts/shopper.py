"""Who calls a cart route, resolved by one FastAPI dependency: the channel of the
storefront key, the signed-in customer if any, and the units of work the command runs in.

The cart routes used to ask for them as three dependencies that resolved seven (the unit
of work, the database twice, the storefront key, the customer token, its signer, and the
security schemes): FastAPI's solving of them, per request, was the largest part of its own
CPU in a cart step. The checks are the same functions (`storefront_key`,
`optional_customer`), called in the same order, and the OpenAPI document is unchanged
(the same two security schemes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from souk.api.auth import bearer, publishable, storefront_key
from souk.customers.deps import optional_customer
from souk.db.engine import Database
from souk.db.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Shopper:
    channel: str
    customer: str | None
    request: Request

    def uow(self) -> UnitOfWork:
        """A unit of work for one command; its events wake the dispatcher."""
        state = self.request.app.state
        return UnitOfWork(state.db, on_events_committed=state.dispatcher_wake)

    def read_uow(self) -> UnitOfWork:
        return UnitOfWork(self.request.app.state.db, write=False)


async def shopper(
    request: Request,
    key: Annotated[str | None, Depends(publishable)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Shopper:
    db: Database = request.app.state.db
    store = await storefront_key(request, db, key)
    assert store.channel is not None  # storefront keys are always bound to a channel
    customer = await optional_customer(request.app.state.token_signer, credentials)
    return Shopper(store.channel, customer, request)


ShopperDep = Annotated[Shopper, Depends(shopper)]
