"""Which promotions apply to a cart and what each takes off — the one engine every channel
uses (web, app, POS), so the same lines get the same price everywhere.

The rules, in the order they are applied (docs/money.md, "Promotions"):

1. Eligible promotions are sorted by `Promotion.order_key`: higher priority first, then by
   their content, never by creation time.
2. If the first one is exclusive it applies alone. Otherwise every combinable promotion
   applies, in that order, and exclusive ones are passed over.
3. Each promotion works on what is left of each line after the promotions before it, so an
   order-level percentage never takes a share of an amount another promotion already took
   off. Within one promotion, line actions come before order actions.
4. Every amount is computed exactly and rounded once, half up, per line (never per unit, so
   rounding does not compound with quantity). An order-level discount is spread over the
   lines by largest remainder, so the line shares add up to it exactly.
5. Nothing goes below zero: every discount is capped at what is left of its line, and the
   shipping discount at the shipping charge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from souk.money import allocate, round_ratio
from souk.promotions.models import (
    Action,
    ActionType,
    CartLine,
    Context,
    Promotion,
    Stacking,
    Target,
    why_not,
)


# Named tuples, not frozen dataclasses: a cart read makes one per line and promotion, and a
# frozen dataclass's __init__ sets each field through object.__setattr__.
class Adjustment(NamedTuple):
    promotion: str
    amount: int
    code: str | None = None


class Verdict(NamedTuple):
    promotion: str
    applies: bool
    reason: str | None = None


@dataclass
class Result:
    lines: dict[str, list[Adjustment]] = field(default_factory=dict)
    shipping: list[Adjustment] = field(default_factory=list)
    gifts: list[tuple[str, str]] = field(default_factory=list)  # (sku, promotion id)
    verdicts: list[Verdict] = field(default_factory=list)

    def line_discount(self, line_id: str) -> int:
        return sum(a.amount for a in self.lines.get(line_id, []))

    @property
    def discount(self) -> int:
        return sum(a.amount for adjustments in self.lines.values() for a in adjustments)

    @property
    def shipping_discount(self) -> int:
        return sum(a.amount for a in self.shipping)

    @property
    def applied(self) -> list[str]:
        return [v.promotion for v in self.verdicts if v.applies]


# An eligible promotion with the lines it is about.
Chosen = list[tuple[Promotion, list[CartLine]]]


def evaluate(
    promotions: list[Promotion], lines: list[CartLine], ctx: Context, *, in_order: bool = False
) -> Result:
    """`in_order`: the promotions come sorted by `Promotion.order_key` already (the live
    cache sorts them once per fill; sorting them per cart read cost a third of the read)."""
    result = Result(lines={line.id: [] for line in lines})
    left = {line.id: line.amount for line in lines}
    shipping_left = ctx.shipping
    code_of = {promotion_id: code for code, promotion_id in sorted(ctx.codes.items())}
    eligible: Chosen = []
    subtotal = sum(left.values())  # what a promotion about every line sees, summed once
    ordered = promotions if in_order else sorted(promotions, key=Promotion.order_key)
    for promotion in ordered:
        # Which lines a promotion is about is worked out once per cart, for its conditions
        # and its actions alike.
        c = promotion.conditions
        if c.skus or c.categories:
            selected = [x for x in lines if c.selects(x)]
            reason = why_not(promotion, lines, ctx, selected=selected)
        else:
            selected = lines
            reason = why_not(promotion, lines, ctx, selected=lines, subtotal=subtotal)
        if reason is None:
            eligible.append((promotion, selected))
        else:
            result.verdicts.append(Verdict(promotion.id, False, reason))
    chosen = _stack(eligible)
    picked = {promotion.id for promotion, _ in chosen}
    for promotion, _ in eligible:
        if promotion.id not in picked:
            result.verdicts.append(
                Verdict(promotion.id, False, "another promotion applies instead (stacking)")
            )
    for promotion, selected in chosen:
        code = code_of.get(promotion.id)
        took = 0
        actions = promotion.actions
        if len(actions) > 1:  # line actions first; most promotions have one action
            actions = tuple(sorted(actions, key=lambda a: a.target != Target.LINES))
        for action in actions:
            if action.type == ActionType.FREE_SHIPPING:
                if shipping_left > 0:
                    result.shipping.append(Adjustment(promotion.id, shipping_left, code))
                    took += shipping_left
                    shipping_left = 0
                continue
            if action.type == ActionType.GIFT_ITEM:
                if action.sku is not None:
                    result.gifts.append((action.sku, promotion.id))
                    took += 1
                continue
            for line_id, amount in _line_amounts(action, selected, left).items():
                amount = min(amount, left[line_id])
                if amount > 0:
                    left[line_id] -= amount
                    result.lines[line_id].append(Adjustment(promotion.id, amount, code))
                    took += amount
        result.verdicts.append(
            Verdict(promotion.id, took > 0, None if took > 0 else "takes nothing off this cart")
        )
    return result


def _stack(eligible: Chosen) -> Chosen:
    if not eligible:
        return []
    if eligible[0][0].stacking == Stacking.EXCLUSIVE:
        return [eligible[0]]
    return [x for x in eligible if x[0].stacking == Stacking.COMBINABLE]


def _line_amounts(action: Action, selected: list[CartLine], left: dict[str, int]) -> dict[str, int]:
    """What one action takes off each selected line, before capping at what is left."""
    if action.type == ActionType.PERCENT_OFF and action.percent is not None:
        # amount × percent / 100 = amount × num / (den × 100), exactly.
        num, den = action.percent.as_integer_ratio()
        den *= 100
        if action.target == Target.LINES:
            # round_ratio inlined for what is left of a line, never negative: the one
            # expression a cart read evaluates per line and promotion.
            twice = 2 * den
            return {x.id: (2 * left[x.id] * num + den) // twice for x in selected}
        base = sum(left[x.id] for x in selected)
        return _spread(round_ratio(base * num, den), selected, left)
    if action.type == ActionType.AMOUNT_OFF and action.amount is not None:
        if action.target == Target.LINES:
            return {x.id: action.amount * x.quantity for x in selected}
        return _spread(action.amount, selected, left)
    if action.type == ActionType.FIXED_PRICE and action.amount is not None:
        return {x.id: max(0, left[x.id] - action.amount * x.quantity) for x in selected}
    if action.type == ActionType.BUY_X_GET_Y and action.buy and action.get:
        return _free_units(action.buy, action.get, selected)
    return {}


def _spread(total: int, selected: list[CartLine], left: dict[str, int]) -> dict[str, int]:
    """An order-level amount over the selected lines, in proportion to what is left of
    each, never more than the lines hold altogether."""
    weights = [left[x.id] for x in selected]
    parts = allocate(min(total, sum(weights)), weights)
    return {x.id: part for x, part in zip(selected, parts, strict=True)}


def _free_units(buy: int, get: int, selected: list[CartLine]) -> dict[str, int]:
    """Buy `buy`, get `get` free: of every `buy + get` qualifying units, counted from the
    dearest, the cheapest `get` are free (the shopper's usual expectation and the
    retailer's usual rule)."""
    units = sorted(
        ((x.unit_price, x.id) for x in selected for _ in range(x.quantity)),
        key=lambda u: (-u[0], u[1]),
    )
    group = buy + get
    free: dict[str, int] = {}
    for start in range(0, len(units) - group + 1, group):
        for price, line_id in units[start + buy : start + group]:
            free[line_id] = free.get(line_id, 0) + price
    return free
