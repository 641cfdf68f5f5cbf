"""Appending to the audit log, and reading it back (newest first, keyset pages)."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_

from souk.api.pagination import decode_cursor, encode_cursor
from souk.audit.schemas import AuditEntryRead
from souk.audit.tables import AuditEntryRow
from souk.db.base import new_id, utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import ValidationFailed
from souk.text import cursor_key


@dataclass(frozen=True, slots=True)
class Action:
    key_id: str
    role: str
    channel: str | None
    location: str | None
    method: str
    route: str
    path: str
    resource_id: str | None
    status: int
    client_ip: str
    request_id: str


def record(*, db: Database, action: Action) -> None:
    """One short transaction of its own, right after the action answered (so a failed or
    refused action is logged too, with its status)."""
    with db.transaction() as session:
        session.add(AuditEntryRow(id=new_id("aud"), at=utcnow(), **_fields(action)))


def record_command(*, db: Database, command: str, resource_id: str | None, status: int) -> None:
    """An operator's command on the command line (`souk keys create`, `souk staff create`,
    `souk backup`…), which no HTTP request carries: who is the operating-system user, from
    where the host, `method` is CLI and `status` 0 when it succeeded, 2 when it was refused."""
    record(
        db=db,
        action=Action(
            key_id=f"cli:{getpass.getuser()}", role="admin", channel=None, location=None,
            method="CLI", route=command, path=command, resource_id=resource_id,
            status=status, client_ip=f"cli@{socket.gethostname()}", request_id=new_id("cli"),
        ),
    )  # fmt: skip


def _fields(action: Action) -> dict[str, object]:
    return {
        "key_id": action.key_id, "role": action.role, "channel": action.channel,
        "location": action.location, "method": action.method, "route": action.route[:200],
        "path": action.path[:500],
        "resource_id": action.resource_id[:200] if action.resource_id else None,
        "status": action.status, "client_ip": action.client_ip[:64],
        "request_id": action.request_id[:128],
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filters:
    key_id: str | None = None
    role: str | None = None
    location: str | None = None
    method: str | None = None
    resource_id: str | None = None
    status: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def entries(
    *, uow: UnitOfWork, filters: Filters, limit: int, cursor: str | None
) -> tuple[list[AuditEntryRead], str | None]:
    after = cursor_key(decode_cursor(cursor), str, str)
    with uow:
        stmt = select(AuditEntryRow)
        for column, value in (
            (AuditEntryRow.key_id, filters.key_id), (AuditEntryRow.role, filters.role),
            (AuditEntryRow.location, filters.location), (AuditEntryRow.method, filters.method),
            (AuditEntryRow.resource_id, filters.resource_id),
            (AuditEntryRow.status, filters.status),
        ):  # fmt: skip
            if value is not None:
                stmt = stmt.where(column == value)
        if filters.since is not None:
            stmt = stmt.where(AuditEntryRow.at >= filters.since)
        if filters.until is not None:
            stmt = stmt.where(AuditEntryRow.at < filters.until)
        if after is not None:
            at = _cursor_time(after[0])
            stmt = stmt.where(tuple_(AuditEntryRow.at, AuditEntryRow.id) < tuple_(at, after[1]))
        rows = uow.session.scalars(
            stmt.order_by(AuditEntryRow.at.desc(), AuditEntryRow.id.desc()).limit(limit + 1)
        ).all()
        page = [AuditEntryRead.model_validate(row, from_attributes=True) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor([last.at.isoformat(), last.id])
        return page, next_cursor


def _cursor_time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValidationFailed(
            "The cursor is not one this API issued",
            errors=[{"field": "query.cursor", "message": "malformed cursor"}],
        )
    return at
