"""The dashboards as CSV (`Accept: text/csv`): one row per group, money in minor units."""

from __future__ import annotations

import csv
import io
from typing import Any

from souk.analytics.schemas import KpisRead, SalesRead

SALES_COLUMNS = ["period", "channel", "country", "store", "category"]


def sales_csv(report: SalesRead) -> str:
    dims = [c for c in SALES_COLUMNS[1:] if c in report.by]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period", *dims, "currency", "orders", "revenue", "aov", "units", "refunded"])
    for r in report.rows:
        writer.writerow(
            [
                r.period.isoformat(),
                *[getattr(r, d) or "" for d in dims],
                r.revenue.currency,
                r.orders,
                r.revenue.amount,
                r.aov.amount,
                r.units,
                "" if r.refunded is None else r.refunded.amount,
            ]
        )
    return out.getvalue()


def _flatten(prefix: str, value: Any, into: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, into)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            label = item.get("currency") or item.get("cohort") or item.get("months_later")
            _flatten(f"{prefix}.{label if label is not None else i}", item, into)
    else:
        into.append((prefix, value))


def kpis_csv(board: KpisRead) -> str:
    """`metric,value` rows with dotted names (`conversion.rate`, `sales.EUR.revenue.amount`)."""
    rows: list[tuple[str, Any]] = []
    _flatten("", board.model_dump(mode="json", by_alias=True), rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "value"])
    writer.writerows((k, "" if v is None else v) for k, v in rows)
    return out.getvalue()
