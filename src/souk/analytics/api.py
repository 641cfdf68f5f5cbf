"""Dashboards (admin): sales by period and dimension, the KPI board, refresh on demand."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from souk.analytics import csvout, service
from souk.analytics.refresh import refresh
from souk.analytics.schemas import AnalyticsRefreshRead, KpisRead, SalesRead
from souk.api.auth import AdminDep
from souk.api.deps import DatabaseDep, SettingsDep
from souk.api.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["analytics"], responses=PROBLEM_RESPONSES)
FromQuery = Annotated[date, Query(alias="from", description="First day (UTC), included.")]
ToQuery = Annotated[date, Query(description="Last day (UTC), included.")]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "With `Accept: text/csv`."}
}


def _wants_csv(request: Request) -> bool:
    return "text/csv" in request.headers.get("accept", "")


def _csv(body: str, name: str) -> Response:
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/v1/analytics/sales", response_model=SalesRead, responses=CSV)
def get_sales(
    request: Request,
    settings: SettingsDep,
    _: AdminDep,
    start: FromQuery,
    to: ToQuery,
    by: Annotated[
        str | None,
        Query(
            max_length=100,
            description="day|week|month and any of channel|country|store|category, "
            "comma-separated (e.g. `week,channel`).",
        ),
    ] = None,
) -> SalesRead | Response:
    report = service.sales_report(settings=settings, start=start, end=to, by=by)
    if _wants_csv(request):
        return _csv(csvout.sales_csv(report), f"sales-{start}-{to}")
    return report


@router.get("/v1/analytics/kpis", response_model=KpisRead, responses=CSV)
def get_kpis(
    request: Request, settings: SettingsDep, _: AdminDep, start: FromQuery, to: ToQuery
) -> KpisRead | Response:
    board = service.kpi_board(settings=settings, start=start, end=to)
    if _wants_csv(request):
        return _csv(csvout.kpis_csv(board), f"kpis-{start}-{to}")
    return board


@router.post("/v1/analytics/refresh", response_model=AnalyticsRefreshRead)
def post_refresh(
    db: DatabaseDep,
    _: AdminDep,
    full: Annotated[bool, Query(description="Rebuild the store from scratch.")] = False,
) -> AnalyticsRefreshRead:
    result = refresh(db=db, full=full)
    return AnalyticsRefreshRead(
        refreshed_at=result.refreshed_at, full=result.full, seconds=round(result.seconds, 3),
        rows=result.rows,
    )  # fmt: skip
