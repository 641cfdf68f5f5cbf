"""The audit log as the admin API shows it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AuditEntryRead(BaseModel):
    id: str
    at: datetime
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
