"""CPU and memory of server process trees, from Linux /proc: figures that, unlike latency,
do not depend much on how busy the shared machine is."""

from __future__ import annotations

import os
from pathlib import Path


def _table() -> dict[int, tuple[int, int, int]]:
    """pid → (parent pid, CPU ticks, resident pages)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry.name)] = (
            int(fields[1]),
            int(fields[11]) + int(fields[12]),
            int(fields[21]),
        )
    return table


def tree(roots: list[int], table: dict[int, tuple[int, int, int]] | None = None) -> set[int]:
    table = table if table is not None else _table()
    found, grew = set(roots), True
    while grew:
        grew = False
        for pid, (ppid, _, _) in table.items():
            if ppid in found and pid not in found:
                found.add(pid)
                grew = True
    return found & set(table)


def cpu_seconds(roots: list[int]) -> float:
    table = _table()
    return sum(table[pid][1] for pid in tree(roots, table)) / os.sysconf("SC_CLK_TCK")


def rss_bytes(roots: list[int]) -> dict[int, int]:
    """Resident memory of every process in the trees, by pid."""
    table = _table()
    page = os.sysconf("SC_PAGE_SIZE")
    return {pid: table[pid][2] * page for pid in sorted(tree(roots, table))}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
