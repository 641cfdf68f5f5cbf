"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from souk.api.deps import DatabaseDep
from souk.db.faults import classify
from souk.db.migrate import is_up_to_date

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


class Health(BaseModel):
    status: str
    database: str | None = None
    migrations: str | None = None
    # Why the server is not ready, for the operator reading the probe's answer.
    detail: str | None = None


def _unavailable(health: Health) -> JSONResponse:
    # Retry-After tells a load balancer or a client polling readiness when to look again.
    return JSONResponse(health.model_dump(), status_code=503, headers={"Retry-After": "2"})


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(db: DatabaseDep) -> Health | JSONResponse:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        up_to_date = is_up_to_date(db)
    except Exception as exc:
        fault = classify(exc)
        reason = fault.problem if fault else "database-error"
        # The driver's message (host, port) goes to the log, not to an unauthenticated probe.
        log.warning("not ready: %s (%s)", reason, _first_line(exc))
        return _unavailable(
            Health(
                status="unavailable",
                database="unreachable",
                detail=f"{reason} ({exc.__class__.__name__})",
            )
        )
    if not up_to_date:
        return _unavailable(
            Health(
                status="unavailable",
                database="ok",
                migrations="pending",
                detail="the database schema is behind this version of Souk: run `souk migrate`",
            )
        )
    return Health(status="ok", database="ok", migrations="current")


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return (lines[0] if lines else orig.__class__.__name__)[:300]
