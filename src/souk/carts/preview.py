"""A marketer's dry run: every live promotion against one cart, whether it applies and why
not — computed by the same evaluation the shopper's cart uses, changing nothing."""

from __future__ import annotations

from dataclasses import replace

from pydantic import BaseModel

from souk.api.shapes import Money
from souk.carts.access import load_cart
from souk.carts.evaluation import evaluate
from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.loyalty.queries import tier_of
from souk.promotions.engine import Verdict
from souk.promotions.models import why_not


class PromotionVerdict(BaseModel):
    promotion: str
    name: str
    applies: bool
    reason: str | None
    amount: Money


class PromotionPreview(BaseModel):
    cart: str
    channel: str
    coupon_codes: list[str]
    promotions: list[PromotionVerdict]
    problems: list[str]


def preview(*, uow: UnitOfWork, cart_id: str) -> PromotionPreview:
    with uow:
        s = uow.session
        cart = load_cart(session=s, cart_id=cart_id)
        view = evaluate(s, cart, get_channel(session=s, code=cart.channel), utcnow())
        found = view.discounts
        names = {p.id: p.name for p in found.promotions}
        taken = {u.promotion_id: u.amount for u in found.uses}
        verdicts = {v.promotion: v for v in found.verdicts}
        if found.context is not None:
            context = found.context
            if context.customer_tier is None and cart.customer_id is not None:
                # The cart read the tier only if a candidate asked for it.
                tier = tier_of(session=s, customer_id=cart.customer_id, now=context.now)
                context = replace(context, customer_tier=tier)
            # Not candidates for this cart (souk.promotions.live): say why all the same.
            for p in found.promotions:
                if p.id not in verdicts:
                    reason = why_not(p, found.engine_lines, context)
                    verdicts[p.id] = Verdict(p.id, False, reason or "not evaluated")
        return PromotionPreview(
            cart=cart.id,
            channel=cart.channel,
            coupon_codes=list(cart.coupon_codes or []),
            promotions=[
                PromotionVerdict(
                    promotion=pid,
                    name=names[pid],
                    applies=verdicts[pid].applies if pid in verdicts else False,
                    reason=verdicts[pid].reason if pid in verdicts else "not evaluated",
                    amount=Money(amount=taken.get(pid, 0), currency=cart.currency),
                )
                for pid in sorted(names)
            ],
            problems=[p.message for p in found.problems],
        )
