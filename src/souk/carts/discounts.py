"""Promotions on a cart: the lines as priced go to the one promotion engine, and what it
takes off comes back as each line's discount and adjustments — the same engine, the same
result, on every channel.

Statements per cart read: one for every live promotion, one more when codes were entered,
one more when a live promotion has a per-customer limit and the shopper is known — never a
statement per promotion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from souk.carts.tables import CartRow
from souk.channels.models import Channel
from souk.loyalty.queries import MemberTier
from souk.promotions.codes import resolve
from souk.promotions.engine import Adjustment, Result, Verdict, evaluate
from souk.promotions.live import live as live_promotions
from souk.promotions.live import used_up_for
from souk.promotions.models import CartLine, Context, Promotion
from souk.promotions.redemptions import Use, customer_key


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


@dataclass
class Discounts:
    lines: dict[str, list[Adjustment]] = field(default_factory=dict)
    shipping: list[Adjustment] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    promotions: list[Promotion] = field(default_factory=list)
    gifts: list[tuple[str, str]] = field(default_factory=list)  # (sku, promotion id)
    # What the engine was given, so the preview can explain the promotions it skipped.
    context: Context | None = None
    engine_lines: list[CartLine] = field(default_factory=list)

    @property
    def shipping_discount(self) -> int:
        return sum(a.amount for a in self.shipping)


@dataclass(frozen=True)
class Priced:
    id: str
    sku: str
    quantity: int
    unit_price: int
    category: str | None


def discounts(
    session: Session,
    cart: CartRow,
    channel: Channel,
    now: datetime,
    lines: list[Priced],
    shipping: int,
    tier: MemberTier | None = None,
) -> Discounts:
    return discounts_for(
        session, Shopper(cart.customer_id, cart.email, list(cart.coupon_codes or [])),
        channel=channel.code, currency=cart.currency, now=now, lines=lines, shipping=shipping,
        tier=tier,
    )  # fmt: skip


@dataclass(frozen=True)
class Shopper:
    customer_id: str | None
    email: str | None
    codes: list[str]


def discounts_for(
    session: Session, shopper: Shopper, *, channel: str, currency: str, now: datetime,
    lines: list[Priced], shipping: int, tier: MemberTier | None = None,
) -> Discounts:  # fmt: skip
    """The one engine for a web cart and a till sale alike (`souk.pos.sales`): the same
    lines, shopper and moment give the same adjustments to the minor unit. The shopper's
    loyalty tier is read (once, through `tier`) only when a candidate asks for tiers."""
    live = live_promotions(session, now)
    promotions = live.promotions
    codes = shopper.codes
    if not promotions and not codes:
        return Discounts()
    accepted, refused = resolve(session=session, codes=codes, customer_id=shopper.customer_id)
    who = customer_key(shopper.customer_id, shopper.email)
    exhausted = used_up_for(session=session, live=live, customer=who)
    engine_lines = [CartLine(x.id, x.sku, x.quantity, x.unit_price, x.category) for x in lines]
    candidates = live.candidates(
        channel=channel, skus={x.sku for x in lines},
        categories={x.category for x in lines if x.category}, coded=set(accepted.values()),
    )  # fmt: skip
    if tier is None:
        tier = MemberTier(session, shopper.customer_id, now)
    ctx = Context(
        channel=channel,
        currency=currency,
        now=now,
        customer_tier=tier.get() if any(p.customer_tiers for p in candidates) else None,
        codes=accepted,
        exhausted=exhausted,
        shipping=shipping,
    )
    result: Result = evaluate(candidates, engine_lines, ctx, in_order=True)
    out = Discounts(
        lines=result.lines, shipping=result.shipping, verdicts=result.verdicts,
        promotions=promotions, context=ctx, engine_lines=engine_lines, gifts=result.gifts,
    )  # fmt: skip
    out.problems = [Problem("coupon-invalid", f"{p.code}: {p.reason}") for p in refused]
    reasons = {v.promotion: v.reason for v in result.verdicts if not v.applies}
    for code, promotion_id in accepted.items():
        if promotion_id in reasons:
            out.problems.append(
                Problem("coupon-not-applicable", f"{code}: {reasons[promotion_id]}")
            )
    taken: dict[str, int] = {}
    for adjustment in [*(a for x in result.lines.values() for a in x), *result.shipping]:
        taken[adjustment.promotion] = taken.get(adjustment.promotion, 0) + adjustment.amount
    code_of = {a.promotion: a.code for x in result.lines.values() for a in x}
    code_of.update({a.promotion: a.code for a in result.shipping})
    # A gift takes nothing off, but it is a use all the same: its limits must hold.
    by_promotion = {promotion_id: code for code, promotion_id in sorted(accepted.items())}
    for _, promotion_id in result.gifts:
        taken.setdefault(promotion_id, 0)
        code_of.setdefault(promotion_id, by_promotion.get(promotion_id))
    out.uses = [Use(pid, amount, code_of.get(pid)) for pid, amount in sorted(taken.items())]
    return out
