"""Who the signed-in customer is, from `Authorization: Bearer <customer token>`.

`async def` like `souk.api.auth`: checking a token's signature is a little CPU, no I/O, so
it does not need a thread-pool hop."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from souk.access.models import Principal, Role
from souk.api.auth import api_key, bearer, optional_api_key
from souk.api.deps import DatabaseDep
from souk.customers.tokens import TokenSigner, looks_like_token
from souk.errors import Forbidden, Unauthorized


async def get_signer(request: Request) -> TokenSigner:
    signer: TokenSigner = request.app.state.token_signer
    return signer


SignerDep = Annotated[TokenSigner, Depends(get_signer)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def optional_customer(signer: SignerDep, credentials: Credentials) -> str | None:
    """The customer id of a valid token; None without one; 401 for a bad or expired one."""
    if credentials is None:
        return None
    if not looks_like_token(credentials.credentials):
        raise Unauthorized("Storefront calls take a customer token in `Authorization: Bearer`")
    return signer.verify(credentials.credentials)


async def current_customer(customer_id: Annotated[str | None, Depends(optional_customer)]) -> str:
    if customer_id is None:
        raise Unauthorized("Sign in first: send `Authorization: Bearer <customer token>`")
    return customer_id


OptionalCustomerDep = Annotated[str | None, Depends(optional_customer)]
CustomerDep = Annotated[str, Depends(current_customer)]


async def admin_not_customer(
    request: Request, db: DatabaseDep, credentials: Credentials
) -> Principal:
    """An admin key; a customer token is refused with 403 rather than "unknown key", so that
    a customer poking at the operator's API learns only that it is not theirs."""
    if credentials is not None and looks_like_token(credentials.credentials):
        raise Forbidden("A customer token only reaches the customer's own data (/v1/customers/me)")
    principal = await api_key(await optional_api_key(request, db, credentials))
    if principal.role is not Role.ADMIN:
        raise Forbidden(f"This needs a key with role admin; this key is {principal.role}")
    return principal


# Read by the role-boundary tests, like `souk.api.auth.require`'s checks.
admin_not_customer.allowed_roles = (Role.ADMIN,)  # type: ignore[attr-defined]
StrictAdminDep = Annotated[Principal, Depends(admin_not_customer)]
