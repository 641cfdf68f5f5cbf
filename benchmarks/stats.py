"""Shared by the benchmark scripts: percentiles, repeats, machine-readable output."""

from __future__ import annotations

import json
import platform
import statistics
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0–100) of the values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(samples: Sequence[float]) -> dict[str, float]:
    """Median and spread of one figure over repeated runs."""
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "runs": len(samples),
    }


def emit(record: dict[str, Any]) -> None:
    """Print one JSON line with the context every recorded figure needs."""
    record = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.node()} ({platform.machine()}, python {platform.python_version()})",
        **record,
    }
    sys.stdout.write(json.dumps(record, sort_keys=True) + "\n")
    sys.stdout.flush()
