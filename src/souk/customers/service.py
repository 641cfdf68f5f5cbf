"""Customer accounts: sign-in, profile, and the operator's view (registration and its
email verification: souk.customers.registration)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from souk.api.pagination import decode_cursor, encode_cursor
from souk.customers.lockout import SignInGuard
from souk.customers.models import normalize_email
from souk.customers.passwords import hash_password, needs_rehash, verify_password
from souk.customers.queries import customer_read, load_customer
from souk.customers.schemas import (
    CustomerAdminUpdate,
    CustomerCreate,
    CustomerLogin,
    CustomerRead,
    CustomerSession,
    CustomerUpdate,
)
from souk.customers.tables import CustomerRow
from souk.customers.tokens import TokenSigner
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists, NotFound, Unauthorized, field_error

# What becomes of a cart at sign-in is the carts' business (adopted, or merged into the
# customer's cart: carts.ownership.claim_cart, registered in souk.wiring): customers only
# say who signed in with which cart id, in the sign-in's own transaction, and hand back the
# customer's active cart id that the reaction answers.
SignInReaction = Callable[[Session, str, str | None], str | None]
_sign_in_reactions: list[SignInReaction] = []


def register_sign_in_reaction(reaction: SignInReaction) -> None:
    _sign_in_reactions[:] = [reaction]


def signed_in(session: Session, customer_id: str, cart_id: str | None) -> str | None:
    active = None
    for react in _sign_in_reactions:
        active = react(session, customer_id, cart_id)
    return active


def _unique_violation(exc: IntegrityError, email: str, loyalty_card: str | None) -> AlreadyExists:
    text = str(exc.orig).lower()
    if loyalty_card is not None and "loyalty_card" in text:
        return AlreadyExists(
            f"Loyalty card {loyalty_card!r} belongs to another customer",
            errors=[field_error("body.loyalty_card", "already in use")],
        )
    # Only an operator reaches this (registration never says whether an email is known:
    # souk.customers.registration); the message still does not echo the address.
    return AlreadyExists(
        "This email belongs to another customer",
        errors=[field_error("body.email", "already registered")],
    )


def sign_in(
    *,
    uow: UnitOfWork,
    signer: TokenSigner,
    data: CustomerLogin,
    channel: str,
    guard: SignInGuard | None = None,
    client_ip: str = "-",
) -> CustomerSession:
    if guard is not None:
        guard.check(email=data.email, ip=client_ip)
    with uow:
        row = uow.session.scalar(
            select(CustomerRow)
            .where(CustomerRow.email == data.email)
            .options(selectinload(CustomerRow.addresses))
        )
        if not verify_password(row.password_hash if row else None, data.password) or row is None:
            if guard is not None:
                guard.failed(email=data.email, ip=client_ip)
            raise Unauthorized("Wrong email or password")
        if guard is not None:
            guard.succeeded(email=data.email)
        if row.password_hash and needs_rehash(row.password_hash):
            row.password_hash = hash_password(data.password)
        cart_id = signed_in(uow.session, row.id, data.cart_id)
        result = session_for(signer, row, cart_id)
        uow.commit()
        return result


def session_for(signer: TokenSigner, row: CustomerRow, cart_id: str | None) -> CustomerSession:
    issued = signer.issue(row.id)
    return CustomerSession(
        customer=customer_read(row),
        token=issued.token,
        expires_at=issued.expires_at,
        cart_id=cart_id,
    )


def get_customer(*, uow: UnitOfWork, customer_id: str) -> CustomerRead:
    with uow:
        return customer_read(load_customer(session=uow.session, customer_id=customer_id))


def update_customer(
    *, uow: UnitOfWork, customer_id: str, data: CustomerUpdate | CustomerAdminUpdate
) -> CustomerRead:
    """Only the fields sent are changed; a field sent as null is cleared."""
    with uow:
        row = load_customer(session=uow.session, customer_id=customer_id, for_update=True)
        changes: dict[str, Any] = data.model_dump(exclude_unset=True)
        for field, value in changes.items():
            setattr(row, field, value)
        row.updated_at = utcnow()
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise _unique_violation(exc, row.email, changes.get("loyalty_card")) from exc
        result = customer_read(row)
        uow.commit()
        return result


def create_customer(*, uow: UnitOfWork, data: CustomerCreate) -> CustomerRead:
    with uow:
        now = utcnow()
        row = CustomerRow(
            id=new_id("cus"),
            email=data.email,
            name=data.name,
            phone=data.phone,
            locale=data.locale,
            loyalty_card=data.loyalty_card,
            created_at=now,
            updated_at=now,
        )
        row.addresses = []
        uow.session.add(row)
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise _unique_violation(exc, data.email, data.loyalty_card) from exc
        result = customer_read(row)
        uow.commit()
        return result


def list_customers(
    *,
    uow: UnitOfWork,
    email: str | None = None,
    loyalty_card: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[CustomerRead], str | None]:
    after = decode_cursor(cursor)
    with uow:
        stmt = select(CustomerRow).options(selectinload(CustomerRow.addresses))
        if email is not None:
            stmt = stmt.where(CustomerRow.email == normalize_email(email))
        if loyalty_card is not None:
            stmt = stmt.where(CustomerRow.loyalty_card == loyalty_card)
        if after:
            stmt = stmt.where(CustomerRow.id > str(after[0]))
        rows = list(uow.session.scalars(stmt.order_by(CustomerRow.id).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].id]) if more else None
        return [customer_read(r) for r in rows], next_cursor


def require_customer(*, uow: UnitOfWork, customer_id: str) -> None:
    """NotFound unless the customer exists (a token may outlive an erased account)."""
    with uow:
        if uow.session.get(CustomerRow, customer_id) is None:
            raise NotFound(f"No customer {customer_id!r}")
