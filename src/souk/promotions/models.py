"""Promotions as values: what a promotion asks of a cart and what it gives — no persistence.

A promotion is eligible for a cart when every one of its conditions holds (channel, tier,
segment, date window, coupon, minimum subtotal or quantity, SKUs or categories, first order)
and its limits are not used up; `engine.py` decides which eligible promotions apply together
and computes the adjustments. The same definitions price a web cart and a POS sale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class ActionType(StrEnum):
    PERCENT_OFF = "percent_off"
    AMOUNT_OFF = "amount_off"
    FIXED_PRICE = "fixed_price"
    BUY_X_GET_Y = "buy_x_get_y"
    FREE_SHIPPING = "free_shipping"
    GIFT_ITEM = "gift_item"


class Target(StrEnum):
    ORDER = "order"
    LINES = "lines"
    SHIPPING = "shipping"


class Stacking(StrEnum):
    EXCLUSIVE = "exclusive"
    COMBINABLE = "combinable"


# Which targets each action may have; anything else is a contradiction refused at creation.
TARGETS: dict[ActionType, frozenset[Target]] = {
    ActionType.PERCENT_OFF: frozenset({Target.ORDER, Target.LINES}),
    ActionType.AMOUNT_OFF: frozenset({Target.ORDER, Target.LINES}),
    ActionType.FIXED_PRICE: frozenset({Target.LINES}),
    ActionType.BUY_X_GET_Y: frozenset({Target.LINES}),
    ActionType.FREE_SHIPPING: frozenset({Target.SHIPPING}),
    ActionType.GIFT_ITEM: frozenset({Target.ORDER}),
}


@dataclass(frozen=True, slots=True)
class Action:
    """`percent` is a percentage (Decimal("12.5") is 12.5 %); `amount` is in minor units of
    `currency`; `buy`/`get` count units for buy-X-get-Y; `sku` names the gift item."""

    type: ActionType
    target: Target
    percent: Decimal | None = None
    amount: int | None = None
    currency: str | None = None
    buy: int | None = None
    get: int | None = None
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class Conditions:
    min_subtotal: int | None = None
    min_subtotal_currency: str | None = None
    min_quantity: int | None = None
    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    first_order: bool = False

    def selects(self, line: CartLine) -> bool:
        """Whether a line is one the promotion is about (every line, without a filter)."""
        if not self.skus and not self.categories:
            return True
        return line.sku in self.skus or (
            line.category is not None and line.category in self.categories
        )


@dataclass(frozen=True, slots=True)
class Promotion:
    id: str
    name: str
    actions: tuple[Action, ...]
    conditions: Conditions = Conditions()
    active: bool = True
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    channels: frozenset[str] = frozenset()
    customer_tiers: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    coupon_required: bool = False
    priority: int = 0
    stacking: Stacking = Stacking.COMBINABLE

    def order_key(self) -> tuple[object, ...]:
        """The order promotions are considered in: higher priority first, then by what
        they are — never by when they were created, so the same set of rules gives the
        same result whatever order they were entered in."""
        return (
            -self.priority,
            self.stacking != Stacking.EXCLUSIVE,
            self.name,
            tuple(sorted(repr(a) for a in self.actions)),
            repr(self.conditions),
            self.id,
        )


@dataclass(frozen=True, slots=True)
class CartLine:
    """A line as priced before promotions: `unit_price` in minor units of the cart's
    currency, in the channel's tax convention (the discount is taken before tax)."""

    id: str
    sku: str
    quantity: int
    unit_price: int
    category: str | None = None

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class Context:
    """Everything about the shopper and the moment that a condition may look at.

    `codes` maps each code the shopper entered (and the engine accepted as existing and
    theirs) to its promotion id; `exhausted` holds promotions whose usage limits are used
    up for this shopper, as the database counts them.
    """

    channel: str
    currency: str
    now: datetime
    customer_tier: str | None = None
    segments: frozenset[str] = frozenset()
    first_order: bool = False
    codes: dict[str, str] = field(default_factory=dict)
    exhausted: frozenset[str] = frozenset()
    shipping: int = 0


def why_not(
    promotion: Promotion,
    lines: list[CartLine],
    ctx: Context,
    *,
    selected: list[CartLine] | None = None,
    subtotal: int | None = None,
) -> str | None:
    """None if the promotion's conditions hold for this cart; else why not, in words a
    marketer reads in the preview. `selected`: the lines it is about, if already known;
    `subtotal`: what they add up to, if already known."""
    c = promotion.conditions
    if not promotion.active:
        return "the promotion is not active"
    if promotion.starts_at is not None and ctx.now < promotion.starts_at:
        return "the promotion has not started yet"
    if promotion.ends_at is not None and ctx.now >= promotion.ends_at:
        return "the promotion has ended"
    if promotion.channels and ctx.channel not in promotion.channels:
        return f"not offered in channel {ctx.channel}"
    if promotion.customer_tiers and ctx.customer_tier not in promotion.customer_tiers:
        return "only for members of tiers " + ", ".join(sorted(promotion.customer_tiers))
    if promotion.segments and not promotion.segments & ctx.segments:
        return "only for customers in segments " + ", ".join(sorted(promotion.segments))
    if promotion.coupon_required and promotion.id not in ctx.codes.values():
        return "needs a coupon code"
    if promotion.id in ctx.exhausted:
        return "its usage limit is reached"
    if c.first_order and not ctx.first_order:
        return "only on a customer's first order"
    if selected is None:
        selected = [line for line in lines if c.selects(line)]
    if not selected:
        return "no line of the cart is one the promotion is about"
    if c.min_quantity is not None and sum(x.quantity for x in selected) < c.min_quantity:
        return f"needs at least {c.min_quantity} qualifying items"
    if c.min_subtotal is not None:
        if c.min_subtotal_currency not in (None, ctx.currency):
            return (
                f"its minimum subtotal is in {c.min_subtotal_currency}, the cart in {ctx.currency}"
            )
        if subtotal is None:
            subtotal = sum(x.amount for x in selected)
        if subtotal < c.min_subtotal:
            return "the qualifying subtotal is below the minimum"
    for action in promotion.actions:
        if action.currency is not None and action.currency != ctx.currency:
            return f"its amounts are in {action.currency}, the cart in {ctx.currency}"
    return None
