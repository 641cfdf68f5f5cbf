"""A cart meets its customer at sign-in: adopted, or merged into the one they have.

Merge rule: every line of the anonymous cart moves into the customer's cart; a SKU in both
keeps the larger of the two quantities (not their sum — see `models.merged_quantity`). The
customer's cart keeps its currency and locale; moved lines are re-priced in it. The
anonymous cart ends `merged`, pointing at the customer's cart, and gives up its holds for
SKUs the customer's cart already had.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from souk.carts.access import active_cart_of
from souk.carts.holds import release_hold
from souk.carts.models import CartStatus, merged_quantity
from souk.carts.tables import CartRow
from souk.db.base import utcnow


def claim_cart(*, session: Session, customer_id: str, cart_id: str | None) -> str | None:
    """The customer's active cart id after adopting or merging `cart_id` into it.

    A cart that cannot be claimed — unknown, already checked out or merged, another
    customer's — is left alone: signing in never fails because of a stale cart id.
    """
    mine = active_cart_of(session=session, customer_id=customer_id)
    if cart_id is None or (mine is not None and mine.id == cart_id):
        return mine.id if mine else None
    other = session.scalar(
        select(CartRow)
        .where(CartRow.id == cart_id)
        .options(selectinload(CartRow.lines))
        .with_for_update(of=CartRow)
    )
    claimable = (
        other is not None
        and other.status == CartStatus.ACTIVE
        and other.customer_id is None
        and (other.checkout_until is None or other.checkout_until <= utcnow())
    )
    if not claimable or other is None:
        return mine.id if mine else None
    now = utcnow()
    if mine is None:
        other.customer_id = customer_id
        other.version += 1
        other.updated_at = now
        session.flush()
        return other.id
    _merge(session, into=mine, source=other)
    return mine.id


def on_sign_in(session: Session, customer_id: str, cart_id: str | None) -> str | None:
    """The carts' reaction to a customer signing in (registered in souk.wiring)."""
    return claim_cart(session=session, customer_id=customer_id, cart_id=cart_id)


def _merge(session: Session, *, into: CartRow, source: CartRow) -> None:
    now = utcnow()
    by_sku = {line.sku: line for line in into.lines}
    position = max((line.position for line in into.lines), default=-1)
    for line in list(source.lines):
        kept = by_sku.get(line.sku)
        if kept is not None:
            quantity = merged_quantity(kept.quantity, line.quantity)
            if quantity != kept.quantity:
                # The old hold covered fewer units; the next change or checkout takes stock.
                release_hold(session, kept)
                kept.quantity = quantity
                kept.updated_at = now
            release_hold(session, line)
            source.lines.remove(line)
            continue
        position += 1
        line.position = position
        if source.currency != into.currency:
            line.unit_price = None
        line.updated_at = now
        # Moving the line, not copying it: appending re-parents it (and keeps its hold).
        into.lines.append(line)
    source.status = CartStatus.MERGED
    source.merged_into = into.id
    source.version += 1
    source.updated_at = now
    into.version += 1
    into.updated_at = now
    session.flush()
