"""Payment amounts and states: pure rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PaymentInfo:
    id: str
    order_id: str | None
    provider: str
    method: str
    status: str
    currency: str
    amount: int
    captured: int
    refunded: int
    voided: int
    decline_reason: str | None

    @property
    def capturable(self) -> int:
        return capturable(self.status, self.amount, self.captured, self.voided)

    @property
    def refundable(self) -> int:
        return self.captured - self.refunded


def capturable(status: str, amount: int, captured: int, voided: int) -> int:
    if status in ("pending", "declined", "failed"):
        return 0
    return max(amount - captured - voided, 0)


def status_of(*, amount: int, captured: int, refunded: int, voided: int) -> str:
    """The state a payment is in, derived from its amounts so that it cannot drift."""
    if refunded and refunded >= captured:
        return "refunded"
    if refunded:
        return "partially_refunded"
    if captured and captured + voided >= amount:
        return "captured"
    if captured:
        return "partially_captured"
    if voided >= amount:
        return "voided"
    return "authorized"
