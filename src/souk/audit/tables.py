"""The audit log: one row per admin or POS action, appended, never changed (no code path
updates or deletes a row; docs/security.md, "Audit log")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base


class AuditEntryRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime]
    # who
    key_id: Mapped[str] = mapped_column(String(40), index=True)
    role: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(64))
    # what
    method: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(500))
    resource_id: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[int]
    # from where
    client_ip: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(128))

    __table_args__ = (Index("ix_audit_log_at_id", "at", "id"),)
