"""Paying a cart with gift cards and loyalty points, the card or cash paying the rest.

The shopper names them on the cart (`PATCH {gift_cards[], loyalty_points}`); every read
says what each will pay, and checkout takes them in the order's own transaction with
conditional UPDATEs, so two checkouts racing for the same balance cannot both have it: the
loser gets 409 and its card authorisation is voided.

Order of application (and, reversed, of refunds — `souk.payments.service.refund`): the
gift cards in the order they were entered, each up to its balance, then the points, each
paying `point_value` minor units (rounded down), then the checkout's payment for what is
left. A tender never pays more than is left, so the charge is never below zero.

Statements: none for a cart without tenders; one for its gift cards; two for points (the
program and the member's balance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from souk.carts.tables import CartRow
from souk.db.base import utcnow
from souk.errors import ValidationFailed, field_error
from souk.giftcards.ledger import CardInfo, cards_by_id, find_by_code
from souk.giftcards.models import Status
from souk.giftcards.tender import pay_with_card
from souk.loyalty.models import Program
from souk.loyalty.program import load_program
from souk.loyalty.tender import available_points, pay_with_points, point_value, worth


@dataclass(frozen=True, slots=True)
class Tender:
    method: str  # gift_card | loyalty_points
    amount: int
    card: CardInfo | None = None
    points: int = 0


@dataclass
class Tenders:
    items: list[Tender] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    program: Program | None = None

    @property
    def paid(self) -> int:
        return sum(t.amount for t in self.items)


def unusable(card: CardInfo, currency: str) -> str | None:
    if card.status != Status.ACTIVE:
        return f"the gift card ending {card.last4} is {card.status}"
    if card.currency != currency:
        return f"the gift card ending {card.last4} is in {card.currency}, the cart in {currency}"
    if card.balance <= 0:
        return f"the gift card ending {card.last4} is empty"
    return None


def choose(
    session: Session, cart: CartRow, gift_cards: list[str] | None, points: int | None
) -> None:
    """What a PATCH names, checked before anything is written (422 naming each bad one)."""
    errors: list[dict[str, Any]] = []
    if gift_cards is not None:
        ids: list[str] = []
        for i, code in enumerate(gift_cards):
            card = find_by_code(session=session, code=code)
            why = "no gift card with that code" if card is None else unusable(card, cart.currency)
            if why is not None:
                errors.append(field_error(f"body.gift_cards.{i}", why))
            elif card is not None and card.id not in ids:
                ids.append(card.id)
        cart.gift_cards = ids or None
    if points is not None:
        if points and cart.customer_id is None:
            errors.append(field_error("body.loyalty_points", "sign in to pay with points"))
        elif points:
            point_value(session, cart.currency, "body.loyalty_points")
            held = available_points(session, cart.customer_id or "")
            if points > held:
                errors.append(
                    field_error("body.loyalty_points", f"you have {held} points, not {points}")
                )
        cart.loyalty_points = points or None
    if errors:
        raise ValidationFailed("These cannot pay for the cart", errors=errors)


def settle(session: Session, cart: CartRow, total: int) -> Tenders:
    """What each tender of the cart pays of `total`, as balances are now."""
    ids, points = list(cart.gift_cards or []), cart.loyalty_points or 0
    if not ids and not points:
        return Tenders()
    out = Tenders()
    left = total
    cards = cards_by_id(session=session, ids=ids)
    for card_id in ids:
        card = cards.get(card_id)
        why = "the gift card no longer exists" if card is None else unusable(card, cart.currency)
        if why is not None or card is None:
            out.problems.append(("gift-card-unusable", str(why)))
            continue
        take = min(card.balance, left)
        out.items.append(Tender("gift_card", take, card=card))
        left -= take
    if points:
        _settle_points(session, cart, points, left, out)
    return out


def _settle_points(session: Session, cart: CartRow, points: int, left: int, out: Tenders) -> None:
    if cart.customer_id is None:
        out.problems.append(("points-need-sign-in", "sign in to pay with points"))
        return
    program = load_program(session)
    value = program.point_value.get(cart.currency) if program is not None else None
    if value is None or value <= 0:
        out.problems.append(("points-not-accepted", f"points have no value in {cart.currency}"))
        return
    held = available_points(session, cart.customer_id)
    if points > held:
        out.problems.append(("not-enough-points", f"you have {held} points, not {points}"))
        return
    # Not more points than what is left needs: the rest stays on the member's account.
    use = min(points, int(left // value))
    out.program = program
    out.items.append(Tender("loyalty_points", worth(use, value), points=use))


def take(
    session: Session, *, tenders: Tenders, order_id: str, customer_id: str | None, currency: str
) -> None:
    """In the order's transaction: each tender debited (409 if its balance went meanwhile,
    and the caller's transaction writes nothing) and recorded as a payment of the order."""
    now = utcnow()
    for i, tender in enumerate(t for t in tenders.items if t.amount > 0):
        # Distinct times keep the application order, which refunds reverse.
        at = now + timedelta(microseconds=i)
        if tender.card is not None:
            pay_with_card(session, card=tender.card, amount=tender.amount, currency=currency,
                          order_id=order_id, at=at)  # fmt: skip
        elif tenders.program is not None and customer_id is not None:
            pay_with_points(
                session, program=tenders.program, customer_id=customer_id, points=tender.points,
                amount=tender.amount, currency=currency, order_id=order_id, at=at,
            )  # fmt: skip
