"""Bounds for every timestamp a client sends (docs/security.md, "Timestamps").

A timestamp far outside the years a shop trades in is a typo or an attack: year 1 with a
+14:00 offset cannot even be converted to UTC (`OverflowError`), and year 9999 sorts past
every real window. So every client timestamp lies in the years 2000 to 2100 (UTC); a till's
sale, which says when it happened, must also be recent: a store may be offline for at most
`POS_MAX_OFFLINE` and its clock may run at most `CLOCK_SKEW` ahead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2101, 1, 1, tzinfo=UTC)  # exclusive
POS_MAX_OFFLINE = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)


def _in_range(value: datetime) -> datetime:
    # The year is checked before any conversion: converting year 1 at +14:00 overflows.
    if not 2000 <= value.year <= 2100:
        raise ValueError("must be in the years 2000 to 2100 (UTC)")
    utc = value.astimezone(UTC)
    if not EARLIEST <= utc < LATEST:
        raise ValueError("must be in the years 2000 to 2100 (UTC)")
    return utc


def _recent(value: datetime) -> datetime:
    now = datetime.now(UTC)
    if value > now + CLOCK_SKEW:
        raise ValueError(
            f"is in the future (more than {int(CLOCK_SKEW.total_seconds() // 60)} minutes "
            "ahead of the server's clock)"
        )
    if value < now - POS_MAX_OFFLINE:
        raise ValueError(
            f"is more than {POS_MAX_OFFLINE.days} days in the past; older sales are imported "
            "by an admin (POST /v1/orders/import)"
        )
    return value


Timestamp = Annotated[AwareDatetime, AfterValidator(_in_range)]
"""Any client timestamp: timezone-aware, in the years 2000 to 2100, returned in UTC."""

RecentTimestamp = Annotated[AwareDatetime, AfterValidator(_in_range), AfterValidator(_recent)]
"""When something happened at a till: at most 30 days ago, at most 5 minutes ahead."""
