"""How other domains read customers, inside their own transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from souk.customers.models import CustomerInfo, normalize_email
from souk.customers.schemas import AddressRead, CustomerRead
from souk.customers.tables import AddressRow, CustomerRow
from souk.errors import NotFound


def to_info(row: CustomerRow) -> CustomerInfo:
    return CustomerInfo(
        id=row.id,
        email=row.email,
        name=row.name,
        locale=row.locale,
        loyalty_card=row.loyalty_card,
        phone=row.phone,
    )


def find_customer(
    *,
    session: Session,
    email: str | None = None,
    customer_id: str | None = None,
    loyalty_card: str | None = None,
) -> CustomerInfo | None:
    """The customer matching every criterion given, or None (also when none is given)."""
    if email is None and customer_id is None and loyalty_card is None:
        return None
    stmt = select(CustomerRow)
    if email is not None:
        stmt = stmt.where(CustomerRow.email == normalize_email(email))
    if customer_id is not None:
        stmt = stmt.where(CustomerRow.id == customer_id)
    if loyalty_card is not None:
        stmt = stmt.where(CustomerRow.loyalty_card == loyalty_card)
    row = session.scalar(stmt)
    return to_info(row) if row is not None else None


def address_read(row: AddressRow) -> AddressRead:
    return AddressRead(
        id=row.id,
        name=row.name,
        line1=row.line1,
        line2=row.line2,
        city=row.city,
        postal_code=row.postal_code,
        region=row.region,
        country=row.country,
        phone=row.phone,
        default=row.is_default,
    )


def customer_read(row: CustomerRow) -> CustomerRead:
    return CustomerRead(
        id=row.id,
        email=row.email,
        name=row.name,
        phone=row.phone,
        locale=row.locale,
        loyalty_card=row.loyalty_card,
        addresses=[address_read(a) for a in row.addresses],
        created_at=row.created_at,
    )


def load_customer(*, session: Session, customer_id: str, for_update: bool = False) -> CustomerRow:
    stmt = (
        select(CustomerRow)
        .where(CustomerRow.id == customer_id)
        .options(selectinload(CustomerRow.addresses))
    )
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
    if row is None:
        raise NotFound(f"No customer {customer_id!r}")
    return row
