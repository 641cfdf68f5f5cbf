"""Point-of-sale rules — pure: a till transaction's identity and its money.

A till sends each sale with a `client_txn_id` it generated; the sale takes effect once
however often it is sent. The fingerprint is a digest of the transaction as sent (keys
sorted), so that the same id arriving with other content is recognised as a different
transaction and refused rather than silently answered with the first one's result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from souk.errors import field_error


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    GIFT_CARD = "gift_card"  # with the card's `code`
    LOYALTY_POINTS = "loyalty_points"  # the member named by `customer.loyalty_card`


def fingerprint(transaction: dict[str, Any]) -> str:
    canonical = json.dumps(transaction, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def payment_errors(*, total: int, amounts: Sequence[int], currency: str) -> list[dict[str, Any]]:
    """The payments must add up to the sale's total: the till records what was taken, and
    change given back for cash is not a payment."""
    paid = sum(amounts)
    if paid == total:
        return []
    return [
        field_error(
            "payments",
            f"payments add up to {paid} {currency} but the sale's total is {total} {currency}",
        )
    ]


def discrepancy_kind(*, available_before: int, quantity: int, on_hand_after: int) -> str | None:
    """Why a sale that physically happened needs a count at the store (None: it does not).

    `negative_on_hand`: the books had fewer units than were sold. `promised_elsewhere`:
    the units sold were promised to orders (reservations, allocations) that now lack them.
    """
    if on_hand_after < 0:
        return "negative_on_hand"
    if quantity > available_before:
        return "promised_elsewhere"
    return None
