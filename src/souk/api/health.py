"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from souk.api.deps import DatabaseDep
from souk.db.migrate import is_up_to_date

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str
    database: str | None = None
    migrations: str | None = None


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(db: DatabaseDep) -> Health | JSONResponse:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse(
            Health(status="unavailable", database="unreachable").model_dump(), status_code=503
        )
    if not is_up_to_date(db):
        return JSONResponse(
            Health(status="unavailable", database="ok", migrations="pending").model_dump(),
            status_code=503,
        )
    return Health(status="ok", database="ok", migrations="current")
