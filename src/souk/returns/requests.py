"""Starting a return, for an order of any channel: handed in at any store that takes
returns, or sent back by carrier (its label's carrier and tracking number recorded)."""

from __future__ import annotations

from souk.access.models import Principal, Role
from souk.catalog.queries import variants_by_sku
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import Forbidden, ValidationFailed, field_error
from souk.inventory.queries import locations_by_code
from souk.orders.queries import load_order
from souk.orders.tables import OrderRow
from souk.returns.models import Policy, RequestedLine, ReturnableLine, ReturnStatus, refusals, share
from souk.returns.reads import already_returned, handed_over, return_read
from souk.returns.schemas import ReturnCreate, ReturnRead
from souk.returns.tables import ReturnLineRow, ReturnRow
from souk.settings import Settings


def policy_from(settings: Settings) -> Policy:
    return Policy(
        window_days=settings.returns_window_days,
        non_returnable_categories=frozenset(settings.returns_non_returnable_categories),
        non_returnable_skus=frozenset(settings.returns_non_returnable_skus),
    )


def _amount(order: OrderRow, sku: str, units: int, skip: int) -> int:
    """What `units` of `sku` cost, after the `skip` units of it already returned."""
    total = 0
    for line in order.lines:
        if line.sku != sku or units <= 0:
            continue
        gross = line.total + (0 if order.prices_include_tax else line.tax)
        here = min(units, max(0, line.quantity - skip))
        total += share(gross, line.quantity, here, skip=min(skip, line.quantity))
        skip = max(0, skip - line.quantity)
        units -= here
    return total


def create_return(
    *, uow: UnitOfWork, principal: Principal, order_id: str, data: ReturnCreate, policy: Policy
) -> ReturnRead:
    with uow:
        session = uow.session
        order = load_order(session=session, order_id=order_id)
        location = data.location
        if principal.role is Role.POS:
            location = location or principal.location
            # A till takes back what is handed in at its own store; a carrier return is
            # opened by the customer's channel or an admin, not by another store's till.
            if data.method != "in_store" or location != principal.location:
                raise Forbidden(f"This POS key takes in-store returns at {principal.location} only")
        errors = []
        if data.method == "in_store":
            found = locations_by_code(session=session, codes=[location] if location else [])
            if location is None:
                errors.append(field_error("body.location", "say which store it is handed in at"))
            elif location not in found or not found[location].accepts_returns:
                errors.append(field_error("body.location", f"{location!r} does not take returns"))
        given = handed_over(session, order.id)
        back = already_returned(session, order.id)
        skus = {line.sku for line in order.lines} | {
            line.exchange_for for line in data.lines if line.exchange_for
        }
        variants = variants_by_sku(session=session, skus=skus)
        order_lines = {
            sku: ReturnableLine(
                sku=sku,
                category=variants[sku].category if sku in variants else None,
                handed_over=given.get(sku, 0),
                already_returned=back.get(sku, 0),
            )
            for sku in {line.sku for line in order.lines}
        }
        errors += refusals(
            requested=[RequestedLine(line.sku, line.quantity) for line in data.lines],
            order_lines=order_lines,
            policy=policy,
            placed_at=order.placed_at,
            now=utcnow(),
        )
        errors += [
            field_error(f"body.lines.{i}.exchange_for", f"unknown SKU {line.exchange_for!r}")
            for i, line in enumerate(data.lines)
            if line.exchange_for and line.exchange_for not in variants
        ]
        if errors:
            raise ValidationFailed("This return cannot be accepted", errors=errors)
        row = ReturnRow(
            id=new_id("ret"),
            order_id=order.id,
            channel=order.channel,
            customer_id=order.customer_id,
            status=ReturnStatus.REQUESTED.value,
            method=data.method,
            location=location if data.method == "in_store" else None,
            carrier=data.carrier,
            tracking_number=data.tracking_number,
            currency=order.currency,
            created_at=utcnow(),
        )
        counted = dict(back)
        for line in data.lines:
            amount = _amount(order, line.sku, line.quantity, counted.get(line.sku, 0))
            counted[line.sku] = counted.get(line.sku, 0) + line.quantity
            row.lines.append(
                ReturnLineRow(
                    sku=line.sku,
                    quantity=line.quantity,
                    reason=line.reason,
                    amount=amount,
                    exchange_sku=line.exchange_for,
                    resellable=0,
                    damaged=0,
                )
            )
        session.add(row)
        session.flush()
        uow.emit(
            "return.requested",
            {"id": row.id, "order_id": order.id, "method": row.method, "location": row.location},
        )
        result = return_read(row)
        uow.commit()
        return result
