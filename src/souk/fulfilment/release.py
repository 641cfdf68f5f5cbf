"""Whether an order's units may move yet: other domains hold an order back (fraud screening
holds one for review) without fulfilment knowing them. Each registered check answers None
(go ahead) or the reason the order waits; the first reason refuses the transition."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from souk.errors import InvalidState

ReleaseCheck = Callable[[Session, str], str | None]
# By owner, so that wiring an app again (tests make many) replaces rather than stacks.
_checks: dict[str, ReleaseCheck] = {}


def register_release_check(owner: str, check: ReleaseCheck | None) -> None:
    """Install (or, with None, remove) `owner`'s check."""
    if check is None:
        _checks.pop(owner, None)
    else:
        _checks[owner] = check


def ensure_released(session: Session, order_id: str) -> None:
    for check in list(_checks.values()):
        reason = check(session, order_id)
        if reason is not None:
            raise InvalidState(reason)
