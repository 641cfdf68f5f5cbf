"""Taking a promotion's uses at checkout and giving them back on cancellation.

Each limit is one conditional UPDATE on the row that carries it (`times_used < limit`), in
the order's own transaction: of two checkouts racing for a single-use code, the second
finds the row already at its limit, changes nothing, and its whole transaction rolls back —
the loser is refused and charged nothing (invariant 8). A retried checkout writes no second
redemption: they are unique per promotion and order.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from souk.db.base import new_id, utcnow
from souk.db.dialects import upsert_insert
from souk.errors import Conflict
from souk.promotions.tables import (
    PromotionCodeRow,
    PromotionCustomerUseRow,
    PromotionRedemptionRow,
    PromotionRow,
)


class PromotionUnavailable(Conflict):
    problem = "promotion-unavailable"
    title = "Promotion no longer available"


@dataclass(frozen=True, slots=True)
class Use:
    promotion_id: str
    amount: int
    code: str | None = None


def customer_key(customer_id: str | None, email: str | None) -> str | None:
    """Who a per-customer limit counts: the account, or a guest by normalised email."""
    if customer_id:
        return customer_id
    return f"email:{email.strip().lower()}" if email else None


def redeem(
    *,
    session: Session,
    order_id: str,
    uses: list[Use],
    currency: str,
    customer: str | None,
) -> bool:
    """Take the order's uses; True when one of them counts against a usage limit. A few
    statements whatever the number of promotions: every use in one conditional UPDATE (a
    live promotion, below its limit when it has one) that returns the limits it passed,
    the redemptions in one INSERT."""
    if not uses:
        return False
    ordered = sorted(uses, key=lambda u: u.promotion_id)  # one lock order: no deadlock
    ids = [u.promotion_id for u in ordered]
    taken = session.execute(
        update(PromotionRow)
        .where(
            PromotionRow.id.in_(ids),
            PromotionRow.active.is_(True),
            PromotionRow.deleted.is_(False),
            (PromotionRow.usage_limit.is_(None))
            | (PromotionRow.times_used < PromotionRow.usage_limit),
        )
        .values(times_used=PromotionRow.times_used + 1)
        .returning(PromotionRow.id, PromotionRow.usage_limit, PromotionRow.per_customer_limit)
    ).all()
    if len(taken) != len(ids):
        raise PromotionUnavailable(
            "A promotion in this cart reached its usage limit meanwhile; "
            "review the cart and check out again"
        )
    limits = {pid: (usage, per_customer) for pid, usage, per_customer in taken}
    for use in ordered:
        if use.code is not None:
            _take_code(session, use)
        per_customer = limits[use.promotion_id][1]
        if customer is not None and per_customer is not None:
            _take_customer_use(session, use.promotion_id, customer, per_customer)
    now = utcnow()
    session.execute(
        insert(PromotionRedemptionRow),
        [
            {
                "id": new_id("prd"), "promotion_id": use.promotion_id, "order_id": order_id,
                "code": use.code, "customer_key": customer, "amount": use.amount,
                "currency": currency, "status": "active", "created_at": now,
            }
            for use in ordered
        ],
    )  # fmt: skip
    return any(limits[pid][0] is not None for pid in ids)


def _take_code(session: Session, use: Use) -> None:
    taken = session.execute(
        update(PromotionCodeRow)
        .where(
            PromotionCodeRow.code == use.code,
            (PromotionCodeRow.usage_limit.is_(None))
            | (PromotionCodeRow.times_used < PromotionCodeRow.usage_limit),
        )
        .values(times_used=PromotionCodeRow.times_used + 1)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise PromotionUnavailable(
            f"The code {use.code} was used up meanwhile; review the cart and check out again"
        )


def _take_customer_use(session: Session, promotion_id: str, customer: str, limit: int) -> None:
    session.execute(
        upsert_insert(session, PromotionCustomerUseRow)
        .values(promotion_id=promotion_id, customer_key=customer, times_used=0)
        .on_conflict_do_nothing()
    )
    taken = session.execute(
        update(PromotionCustomerUseRow)
        .where(
            PromotionCustomerUseRow.promotion_id == promotion_id,
            PromotionCustomerUseRow.customer_key == customer,
            PromotionCustomerUseRow.times_used < limit,
        )
        .values(times_used=PromotionCustomerUseRow.times_used + 1)
    )
    if getattr(taken, "rowcount", 0) != 1:
        raise PromotionUnavailable("This customer has used the promotion as often as allowed")


def give_back(*, session: Session, order_id: str) -> int:
    """A cancelled order returns its uses; idempotent (a redemption is given back once)."""
    rows = session.scalars(
        select(PromotionRedemptionRow)
        .where(
            PromotionRedemptionRow.order_id == order_id,
            PromotionRedemptionRow.status == "active",
        )
        .with_for_update()
    ).all()
    for row in rows:
        row.status = "returned"
        session.execute(
            update(PromotionRow)
            .where(PromotionRow.id == row.promotion_id, PromotionRow.times_used > 0)
            .values(times_used=PromotionRow.times_used - 1)
        )
        if row.code is not None:
            session.execute(
                update(PromotionCodeRow)
                .where(PromotionCodeRow.code == row.code, PromotionCodeRow.times_used > 0)
                .values(times_used=PromotionCodeRow.times_used - 1)
            )
        if row.customer_key is not None:
            session.execute(
                update(PromotionCustomerUseRow)
                .where(
                    PromotionCustomerUseRow.promotion_id == row.promotion_id,
                    PromotionCustomerUseRow.customer_key == row.customer_key,
                    PromotionCustomerUseRow.times_used > 0,
                )
                .values(times_used=PromotionCustomerUseRow.times_used - 1)
            )
    return len(rows)
