"""Typed FastAPI dependencies shared by every router.

They are `async def` on purpose: FastAPI runs a plain `def` dependency in its thread pool,
one hop per dependency per request, and these only read application state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.settings import Settings


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DatabaseDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_uow(request: Request, db: DatabaseDep) -> UnitOfWork:
    """A fresh unit of work for one command; the service opens and commits it."""
    return UnitOfWork(db, on_events_committed=request.app.state.dispatcher_wake)


async def get_read_uow(db: DatabaseDep) -> UnitOfWork:
    return UnitOfWork(db, write=False)


async def get_stale_read_uow(db: DatabaseDep) -> UnitOfWork:
    """For reads a shopper may see a second late (catalog pages, availability): served by
    the replica while it is within SOUK_REPLICA_MAX_LAG_MS of the primary."""
    return UnitOfWork(db, write=False, stale_ok=True)


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ReadUowDep = Annotated[UnitOfWork, Depends(get_read_uow)]
StaleReadUowDep = Annotated[UnitOfWork, Depends(get_stale_read_uow)]
