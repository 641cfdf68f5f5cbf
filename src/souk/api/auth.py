"""Who is calling: API keys from `Authorization: Bearer` or `X-Publishable-Key`.

The dependencies are `async def`: a known key is answered from the key cache on the event
loop, and only a cache miss goes to the database, in the thread pool. (A plain `def`
dependency costs a thread-pool hop on every request, whether it does I/O or not.)"""

from __future__ import annotations

import hmac
import threading
import time
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from souk.access import service as access
from souk.access.models import Principal, Role
from souk.api.audit import note_principal
from souk.api.deps import DatabaseDep
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden, Unauthorized
from souk.staff import tills

TILL_COOKIE = "souk_till"
CSRF_HEADER = "x-csrf-token"
bearer = HTTPBearer(auto_error=False, description="An API key (`sk_…`) or a customer token")
publishable = APIKeyHeader(
    name="X-Publishable-Key", auto_error=False, description="A channel's storefront key (`pk_…`)"
)


class KeyCache:
    """A short-lived cache of authenticated keys, so a hot endpoint does not pay a query for
    every request. A revoked key stops working within `ttl_s`."""

    def __init__(self, ttl_s: float = 5.0) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def get(self, secret: str) -> tuple[bool, Principal | None]:
        with self._lock:
            hit = self._entries.get(secret)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, secret: str, principal: Principal | None) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[secret] = (time.monotonic() + self.ttl_s, principal)


async def resolve_key(request: Request, db: Database, secret: str) -> Principal | None:
    cache: KeyCache = request.app.state.key_cache
    found, principal = cache.get(secret)
    if not found:
        uow = UnitOfWork(db, write=False)
        principal = await run_in_threadpool(access.authenticate, uow=uow, secret=secret)
        cache.put(secret, principal)
    note_principal(request.scope, principal)
    return principal


async def till_principal(request: Request, db: Database) -> Principal | None:
    """A store manager's till session (`POST /v1/pos/staff-session`): the cookie counts only
    with the session's CSRF token in `X-CSRF-Token`, which another site cannot send. A
    request without that header ignores the cookie (a shop page in the same browser)."""
    given = request.headers.get(CSRF_HEADER)
    token = request.cookies.get(TILL_COOKIE)
    if given is None or not token or len(token) > 200:
        return None
    found = await run_in_threadpool(tills.till_session, uow=UnitOfWork(db, write=False),
                                    token=token)  # fmt: skip
    if found is None:
        raise Unauthorized("Your till session has ended: sign in again")
    if not hmac.compare_digest(found.csrf.encode(), given.encode()):
        raise Forbidden("The till session's CSRF token does not match: sign in again")
    principal = found.principal
    note_principal(request.scope, principal)
    return principal


async def optional_api_key(
    request: Request,
    db: DatabaseDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    if credentials is None:
        return await till_principal(request, db)
    return await resolve_key(request, db, credentials.credentials)


async def api_key(
    principal: Annotated[Principal | None, Depends(optional_api_key)],
) -> Principal:
    if principal is None:
        raise Unauthorized("Send a valid API key as `Authorization: Bearer <key>`")
    return principal


def require(*roles: Role) -> object:
    async def check(principal: Annotated[Principal, Depends(api_key)]) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"This needs a key with role {allowed}; this key is {principal.role}")
        return principal

    # Read by the role-boundary tests, which walk every route's dependencies.
    check.allowed_roles = roles  # type: ignore[attr-defined]
    return Depends(check)


AdminDep = Annotated[Principal, require(Role.ADMIN)]
AdminOrPosDep = Annotated[Principal, require(Role.ADMIN, Role.POS)]
PosDep = Annotated[Principal, require(Role.POS)]


async def storefront_key(
    request: Request,
    db: DatabaseDep,
    key: Annotated[str | None, Depends(publishable)],
) -> Principal:
    """The channel a storefront call is made in, from its publishable key."""
    if not key:
        raise Unauthorized("Send the channel's publishable key in `X-Publishable-Key`")
    principal = await resolve_key(request, db, key)
    if principal is None:
        raise Unauthorized("Unknown or revoked publishable key")
    if principal.role is not Role.STOREFRONT or principal.channel is None:
        raise Forbidden("`X-Publishable-Key` takes a storefront key")
    return principal


StorefrontDep = Annotated[Principal, Depends(storefront_key)]
