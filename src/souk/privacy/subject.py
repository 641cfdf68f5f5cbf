"""Who an erasure is about: every identifier the person is known by in any domain, gathered
before anything is erased (the CDP's identities, the customer account, their orders and
carts), and the personal values to remove wherever they were copied."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from souk.carts.tables import CartRow
from souk.customers.tables import AddressRow, CustomerRow
from souk.orders.tables import OrderRow


@dataclass
class Subject:
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    address_lines: set[str] = field(default_factory=set)
    customer_ids: set[str] = field(default_factory=set)
    loyalty_cards: set[str] = field(default_factory=set)
    order_ids: set[str] = field(default_factory=set)
    cart_ids: set[str] = field(default_factory=set)

    def needles(self) -> list[str]:
        """The personal values themselves, longest first (so that a name inside an address
        line is not replaced before the line is)."""
        values = self.emails | self.phones | self.names | self.address_lines | self.loyalty_cards
        return sorted({v for v in values if len(v) >= 3}, key=lambda v: (-len(v), v))

    def references(self) -> list[str]:
        """Ids that name the person's records: a stored document holding one is theirs."""
        return sorted(self.customer_ids | self.order_ids | self.cart_ids | self.emails)


def _address(subject: Subject, address: dict[str, object] | None) -> None:
    if not isinstance(address, dict):
        return
    for key in ("name", "first_name", "last_name", "company"):
        if isinstance(address.get(key), str) and address[key]:
            subject.names.add(str(address[key]))
    for key in ("line1", "line2"):
        if isinstance(address.get(key), str) and address[key]:
            subject.address_lines.add(str(address[key]))
    if isinstance(address.get("phone"), str) and address["phone"]:
        subject.phones.add(str(address["phone"]))


def gather(
    session: Session,
    *,
    emails: set[str],
    phones: set[str],
    names: set[str],
    customer_ids: set[str],
    loyalty_cards: set[str],
) -> Subject:
    """Everything the person is known by, following accounts to orders and carts."""
    subject = Subject(
        emails={e.lower() for e in emails},
        phones=set(phones),
        names={n for n in names if n},
        customer_ids=set(customer_ids),
        loyalty_cards=set(loyalty_cards),
    )
    conditions = []
    if subject.emails:
        conditions.append(CustomerRow.email.in_(subject.emails))
    if subject.customer_ids:
        conditions.append(CustomerRow.id.in_(subject.customer_ids))
    if subject.loyalty_cards:
        conditions.append(CustomerRow.loyalty_card.in_(subject.loyalty_cards))
    for customer in (
        session.scalars(select(CustomerRow).where(or_(*conditions))) if conditions else []
    ):
        subject.customer_ids.add(customer.id)
        subject.emails.add(customer.email.lower())
        for value, into in (
            (customer.name, subject.names),
            (customer.phone, subject.phones),
            (customer.loyalty_card, subject.loyalty_cards),
        ):
            if value:
                into.add(value)
    if subject.customer_ids:
        for address in session.scalars(
            select(AddressRow).where(AddressRow.customer_id.in_(subject.customer_ids))
        ):
            _address(subject, {"name": address.name, "line1": address.line1,
                               "line2": address.line2, "phone": address.phone})  # fmt: skip
    for table in (OrderRow, CartRow):
        owned = []
        if subject.customer_ids:
            owned.append(table.customer_id.in_(subject.customer_ids))
        if subject.emails:
            owned.append(func.lower(table.email).in_(subject.emails))
        if not owned:
            continue
        row: Any
        for row in session.scalars(select(table).where(or_(*owned))):
            (subject.order_ids if table is OrderRow else subject.cart_ids).add(row.id)
            _address(subject, row.shipping_address)
    return subject
