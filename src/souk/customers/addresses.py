"""A customer's address book."""

from __future__ import annotations

from souk.customers.queries import address_read, load_customer
from souk.customers.schemas import AddressCreate, AddressRead, AddressUpdate
from souk.customers.tables import AddressRow, CustomerRow
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error

MAX_ADDRESSES = 50


def _make_default(customer: CustomerRow, chosen: AddressRow) -> None:
    # One default address per customer: choosing one clears the others.
    for address in customer.addresses:
        address.is_default = address is chosen


def add_address(*, uow: UnitOfWork, customer_id: str, data: AddressCreate) -> AddressRead:
    with uow:
        customer = load_customer(session=uow.session, customer_id=customer_id, for_update=True)
        if len(customer.addresses) >= MAX_ADDRESSES:
            raise ValidationFailed(
                f"An address book holds at most {MAX_ADDRESSES} addresses",
                errors=[field_error("body", "too many addresses")],
            )
        fields = data.model_dump(exclude={"default"})
        row = AddressRow(id=new_id("addr"), created_at=utcnow(), is_default=False, **fields)
        customer.addresses.append(row)
        if data.default or len(customer.addresses) == 1:
            _make_default(customer, row)
        uow.session.flush()
        result = address_read(row)
        uow.commit()
        return result


def _find(customer: CustomerRow, address_id: str) -> AddressRow:
    for address in customer.addresses:
        if address.id == address_id:
            return address
    # Another customer's address is "not found" too: its existence is not ours to reveal.
    raise NotFound(f"No address {address_id!r}")


def update_address(
    *, uow: UnitOfWork, customer_id: str, address_id: str, data: AddressUpdate
) -> AddressRead:
    with uow:
        customer = load_customer(session=uow.session, customer_id=customer_id, for_update=True)
        row = _find(customer, address_id)
        changes = data.model_dump(exclude_unset=True)
        default = changes.pop("default", None)
        required = {"line1", "city", "country"}
        cleared = sorted(k for k, v in changes.items() if k in required and v is None)
        if cleared:
            raise ValidationFailed(
                "These address fields cannot be cleared",
                errors=[field_error(f"body.{k}", "required") for k in cleared],
            )
        for field, value in changes.items():
            setattr(row, field, value)
        if default:
            _make_default(customer, row)
        elif default is False:
            row.is_default = False
        uow.session.flush()
        result = address_read(row)
        uow.commit()
        return result


def delete_address(*, uow: UnitOfWork, customer_id: str, address_id: str) -> None:
    with uow:
        customer = load_customer(session=uow.session, customer_id=customer_id, for_update=True)
        row = _find(customer, address_id)
        customer.addresses.remove(row)
        uow.commit()
