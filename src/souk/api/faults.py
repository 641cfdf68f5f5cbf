"""Fault points for tests that kill a server where a real crash would hurt most.

`SOUK_FAULT_POINT` names one; unset (always, outside tests) nothing here does anything.
- `after_commit`: right after the commit that recorded a request's outcome, before its answer
  is built, stored or sent (the window of invariant 9).
- `before_answer`: after the whole command, just before its answer is stored and sent.
The process kills itself with SIGKILL: no handler runs, no connection is closed politely.
"""

from __future__ import annotations

import os
import signal

POINTS = ("after_commit", "before_answer")


def crash_at(point: str, configured: str | None) -> None:
    if configured == point:
        os.kill(os.getpid(), signal.SIGKILL)
