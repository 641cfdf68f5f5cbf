"""A clock the test moves by hand, for code that takes a `() -> float` clock: time passes
without waiting for it."""

from __future__ import annotations


class ManualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now
