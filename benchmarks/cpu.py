"""CPU figures that survive a shared, drifting machine: the CPU a server's processes used
(from /proc, whatever the wall-clock wait), and a fixed pure-Python reference loop timed in
the same run, so that a figure can be read as "so many reference loops" when the machine's
speed drifts (these machines drift by a third within an hour)."""

from __future__ import annotations

import os
import time
from pathlib import Path

REFERENCE_ITERATIONS = 200_000


def server_cpu_s(root: int) -> float:
    """CPU seconds used so far by the process `root` and its descendants (Linux /proc): a
    figure that, unlike latency, does not depend on how busy the shared machine is."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, (ppid, _) in stats.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    total = sum(stats[pid][1] for pid in tree if pid in stats)
    return total / os.sysconf("SC_CLK_TCK")


def _reference_work(n: int) -> int:
    # Dict, string and integer work, the mix a request handler does; never change it, or
    # figures recorded against it stop being comparable.
    table: dict[str, int] = {}
    total = 0
    for i in range(n):
        key = f"k{i % 1024}"
        table[key] = table.get(key, 0) + i
        total += len(key) * (i & 7)
    return total + len(table)


def reference_loop_ms(repeats: int = 5) -> float:
    """CPU milliseconds of the fixed reference loop in this process: the best of `repeats`
    (the least disturbed by the other work on the machine)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        _reference_work(REFERENCE_ITERATIONS)
        best = min(best, time.process_time() - started)
    return best * 1000
