"""Fault points for tests that kill a server where a real crash would hurt most.

`SOUK_FAULT_POINT` names one; unset (always, outside tests) nothing here does anything.
- `after_commit`: right after the commit that recorded a request's outcome, before its answer
  is built, stored or sent (the window of invariant 9).
- `before_answer`: after the whole command, just before its answer is stored and sent.
- `relay_mid_batch`: the outbox relay to NATS, halfway through publishing a batch: the
  broker holds half of it, none of it is marked relayed (souk.stream.runner).
The process kills itself with SIGKILL: no handler runs, no connection is closed politely.
"""

from __future__ import annotations

import os
import signal

POINTS = ("after_commit", "before_answer", "relay_mid_batch")


def crash_at(point: str, configured: str | None) -> None:
    if configured == point:
        os.kill(os.getpid(), signal.SIGKILL)
