"""Small helpers for the CDP tests: a web channel with an ingest (write) key, Segment
calls through HTTP, and reads of the raw events table.

The reads first resolve whatever an app with SOUK_CDP_INGEST_ASYNC staged (what its worker
does; nothing in the synchronous mode), so that a test reads the same rows in either mode."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from souk.cdp import inbox
from souk.cdp.tables import CdpEventRow
from souk.db.engine import Database

CHANNEL = {
    "code": "web",
    "name": "Web",
    "type": "web",
    "default_currency": "EUR",
    "currencies": ["EUR"],
    "default_locale": "fr",
    "locales": ["fr", "en"],
    "country": "FR",
    "prices_include_tax": True,
}


def write_key(admin: TestClient, channel: str = "web") -> str:
    """An ingest key bound to `channel`, creating a plain web channel if needed."""
    if admin.get(f"/v1/channels/{channel}").status_code == 404:
        created = admin.post("/v1/channels", json={**CHANNEL, "code": channel})
        assert created.status_code == 201, created.text
    made = admin.post(
        "/v1/api-keys", json={"name": f"tracking {channel}", "role": "ingest", "channel": channel}
    )
    assert made.status_code == 201, made.text
    key: str = made.json()["key"]
    return key


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def send(
    client: TestClient,
    path: str,
    body: Any,
    *,
    key: str | None = None,
    gzipped: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    raw = json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(basic(key) if key else {}), **(headers or {})}
    if gzipped:
        raw = gzip.compress(raw)
        sent["Content-Encoding"] = "gzip"
    return client.post(path, content=raw, headers=sent)


def stored(db: Database, **where: Any) -> list[CdpEventRow]:
    inbox.drain(db)
    with db.transaction(write=False) as session:
        stmt = select(CdpEventRow).order_by(CdpEventRow.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(CdpEventRow, name) == value)
        rows = list(session.scalars(stmt))
        session.expunge_all()
        return rows


def count(db: Database) -> int:
    inbox.drain(db)
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(CdpEventRow)) or 0)
