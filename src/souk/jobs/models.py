"""Job states and kinds — pure rules, no persistence."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobKind(StrEnum):
    PROMOTION_CODES = "promotion.codes"
    CATALOG_IMPORT = "catalog.import"


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})


def percent(progress: int, total: int) -> int:
    """Whole percent done, rounded down, so 100 % is shown only when all is done."""
    if total <= 0:
        return 0
    return min(100, progress * 100 // total)
