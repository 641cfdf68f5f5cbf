"""The fulfilment order's state machine and pickup codes — pure rules.

    ship:   open → accepted → (packed →) shipped → delivered
    pickup: open → accepted → (packed →) ready → collected   (ready again: a new code)
    either: open | accepted → rejected (its lines are re-routed elsewhere)
            open | accepted | packed | ready → cancelled

A fulfilment order that is shipped, delivered, collected, rejected or cancelled is done:
nothing moves it any more.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum

from souk.errors import InvalidState


class FoType(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"


class FoStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    READY = "ready"
    COLLECTED = "collected"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    PACK = "pack"
    SHIP = "ship"
    READY = "ready"
    COLLECT = "collect"
    DELIVER = "deliver"
    CANCEL = "cancel"


S = FoStatus
# action → (the types it applies to, the statuses it leaves from, the status it reaches)
TRANSITIONS: dict[Action, tuple[frozenset[FoType], frozenset[FoStatus], FoStatus]] = {
    Action.ACCEPT: (frozenset(FoType), frozenset({S.OPEN}), S.ACCEPTED),
    Action.REJECT: (frozenset(FoType), frozenset({S.OPEN, S.ACCEPTED}), S.REJECTED),
    Action.PACK: (frozenset(FoType), frozenset({S.ACCEPTED}), S.PACKED),
    Action.SHIP: (frozenset({FoType.SHIP}), frozenset({S.ACCEPTED, S.PACKED}), S.SHIPPED),
    Action.DELIVER: (frozenset({FoType.SHIP}), frozenset({S.SHIPPED}), S.DELIVERED),
    # Ready again from ready: a new pickup code (the customer lost it, or too many wrong
    # codes were tried).
    Action.READY: (frozenset({FoType.PICKUP}), frozenset({S.ACCEPTED, S.PACKED, S.READY}), S.READY),
    Action.COLLECT: (frozenset({FoType.PICKUP}), frozenset({S.READY}), S.COLLECTED),
    Action.CANCEL: (
        frozenset(FoType),
        frozenset({S.OPEN, S.ACCEPTED, S.PACKED, S.READY}),
        S.CANCELLED,
    ),
}

# Units in these states have left (or will never leave) the location.
DONE = frozenset({S.SHIPPED, S.DELIVERED, S.COLLECTED, S.REJECTED, S.CANCELLED})
# Units in these states count as handed over to the customer (or the carrier).
HANDED_OVER = frozenset({S.SHIPPED, S.DELIVERED, S.COLLECTED})
# Units in these states are still the location's work (capacity is spent on them).
ACTIVE = frozenset({S.OPEN, S.ACCEPTED, S.PACKED, S.READY}) | HANDED_OVER


def allowed_actions(fo_type: FoType, status: FoStatus) -> list[Action]:
    return [
        a
        for a, (types, sources, _) in TRANSITIONS.items()
        if fo_type in types and status in sources
    ]


def next_status(fo_type: FoType, status: FoStatus, action: Action) -> FoStatus:
    """The status `action` leads to, or InvalidState saying what is possible instead."""
    types, sources, target = TRANSITIONS[action]
    if fo_type not in types:
        raise InvalidState(f"A {fo_type} fulfilment order cannot be {_past(action)}")
    if status not in sources:
        possible = ", ".join(a.value for a in allowed_actions(fo_type, status)) or "nothing"
        raise InvalidState(
            f"A fulfilment order that is {status} cannot be {_past(action)} "
            f"(possible now: {possible})"
        )
    return target


def _past(action: Action) -> str:
    return {
        Action.ACCEPT: "accepted",
        Action.REJECT: "rejected",
        Action.PACK: "packed",
        Action.SHIP: "shipped",
        Action.READY: "made ready",
        Action.COLLECT: "collected",
        Action.DELIVER: "delivered",
        Action.CANCEL: "cancelled",
    }[action]


PICKUP_CODE_DIGITS = 6


def new_pickup_code() -> str:
    """A code the customer shows at the counter; short enough to read out loud."""
    return "".join(secrets.choice("0123456789") for _ in range(PICKUP_CODE_DIGITS))


def hash_pickup_code(fo_id: str, code: str) -> str:
    # Salted with the fulfilment order id so that equal codes do not give equal hashes.
    return hashlib.sha256(f"{fo_id}:{code}".encode()).hexdigest()


def pickup_code_matches(fo_id: str, code: str, stored_hash: str | None) -> bool:
    if stored_hash is None:
        return False
    return hmac.compare_digest(hash_pickup_code(fo_id, code.strip()), stored_hash)


def order_status_after(statuses: list[FoStatus], *, unrouted_units: int = 0) -> str | None:
    """The order's status implied by its fulfilment orders (None: leave it as it is).

    Rejected and cancelled fulfilment orders do not count: their lines live on elsewhere.
    """
    live = [s for s in statuses if s not in (S.REJECTED, S.CANCELLED)]
    handed = [s for s in live if s in HANDED_OVER]
    if not handed:
        return None
    if len(handed) == len(live) and unrouted_units == 0:
        return "fulfilled"
    return "partially_fulfilled"
