"""Dashboards: sales by channel and region, click & collect share, returns — as charts,
each with the same figures as a table beside it (for screen readers, and to copy)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from souk.api.deps import DatabaseDep
from souk.pages.console.insight import Figures, dashboard_figures
from souk.pages.console.rendering import PageRoute, render
from souk.pages.console.session import StaffContext, screen
from souk.staff.models import Screen

router = APIRouter(route_class=PageRoute, include_in_schema=False)
DashboardScreen = Annotated[StaffContext, screen(Screen.DASHBOARD)]


def _bars(series: dict[tuple[str, str], int]) -> dict[str, Any]:
    labels = sorted({key for key, _ in series})
    currencies = sorted({currency for _, currency in series})
    return {
        "type": "bar",
        "labels": labels,
        "datasets": [
            # Minor units ÷ 100 is only for the picture's scale; the table shows exact money.
            {"label": c, "data": [series.get((label, c), 0) / 100 for label in labels]}
            for c in currencies
        ],
    }


def charts(figures: Figures) -> dict[str, str]:
    specs = {
        "chart-channel": _bars(figures.sales_by_channel),
        "chart-region": _bars(figures.sales_by_region),
        "chart-pickup": {
            "type": "doughnut",
            "labels": ["click & collect", "delivery or in store"],
            "datasets": [
                {
                    "label": "orders",
                    "data": [figures.pickup_orders, figures.orders - figures.pickup_orders],
                }
            ],
        },
        "chart-returns": {
            "type": "bar",
            "labels": list(figures.returned_by_channel),
            "datasets": [
                {"label": "returned orders", "data": list(figures.returned_by_channel.values())}
            ],
        },
    }
    # `</` never appears inside the JSON block, so it cannot close the script element.
    return {k: json.dumps(v).replace("</", "<\\/") for k, v in specs.items()}


@router.get("/admin/dashboard")
def dashboard(
    request: Request,
    _: DashboardScreen,
    db: DatabaseDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> HTMLResponse:
    figures = dashboard_figures(db=db, days=days)
    return render(
        request, "dashboard.html", title="Dashboard", figures=figures, days=days,
        charts=charts(figures),
    )  # fmt: skip
