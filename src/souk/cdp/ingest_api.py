"""The Segment HTTP Tracking API: `/v1/track`, `/identify`, `/page`, `/screen`, `/alias`,
`/group`, `/batch`.

The body is read by hand rather than by a Pydantic model, because Segment's conventions
come before JSON: it may be gzipped, the write key may be inside it, and a malformed
body is Segment's 400 (with `code` and `message`), never a 422. Success is exactly `200`
with `{"success": true}`: the RudderStack client counts anything else as a failure."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import time
import zlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from souk.access.models import Principal, Role
from souk.api.auth import resolve_key
from souk.api.problems import PROBLEM_RESPONSES, Problem
from souk.cdp import inbox, ingestion
from souk.cdp.errors import IngestForbidden, IngestRejected, IngestUnauthorized
from souk.cdp.models import (
    MAX_BATCH_BYTES,
    MAX_MESSAGE_BYTES,
    MESSAGE_TYPES,
    MessageInvalid,
    messages_of,
    validate,
)
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork

router = APIRouter(
    prefix="/v1",
    tags=["customer data: tracking"],
    responses={
        **PROBLEM_RESPONSES,
        400: {"model": Problem, "description": "Not a message Segment would take (with `code`)"},
    },
)


class IngestAck(BaseModel):
    success: bool


_MESSAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "A Segment message (userId or anonymousId, event, "
                    "properties, traits, context, timestamp, sentAt, messageId, writeKey)",
                }
            }
        },
    }
}
_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "batch": {"type": "array", "items": {"type": "object"}},
                        "sentAt": {"type": "string"},
                        "writeKey": {"type": "string"},
                        "context": {"type": "object"},
                    },
                    "required": ["batch"],
                }
            }
        },
    }
}


def _inflated(raw: bytes, encoding: str, limit: int) -> bytes:
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=31)  # gzip framing
        try:
            raw = inflater.decompress(raw, limit + 1)
        except zlib.error as exc:
            raise IngestRejected("The body is not valid gzip") from exc
    elif encoding not in ("", "identity"):
        raise IngestRejected(f"Content-Encoding {encoding!r} is not supported (gzip is)")
    if len(raw) > limit:
        kind = "batch" if limit == MAX_BATCH_BYTES else "message"
        raise IngestRejected(f"A {kind} is at most {limit // 1024} KB")
    return raw


def _text(raw: bytes) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError as exc:
        raise IngestRejected("The body is not valid JSON") from exc


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise IngestRejected("The body is not valid JSON") from exc


def _basic_user(header: str) -> str | None:
    try:
        user, _, _ = base64.b64decode(header, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user or None


async def _principal(request: Request, body: dict[str, Any]) -> Principal:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    secret: str | None = None
    if scheme.lower() == "basic":
        secret = _basic_user(credential.strip())
    elif scheme.lower() == "bearer":
        secret = credential.strip() or None
    if secret is None and isinstance(body.get("writeKey"), str):
        secret = body["writeKey"]
    if not secret:
        raise IngestUnauthorized(
            "Send the write key as the HTTP Basic user, as `writeKey` or as a Bearer token"
        )
    principal = await resolve_key(request, request.app.state.db, secret)
    if principal is None:
        raise IngestUnauthorized("Unknown or revoked write key")
    if principal.role is not Role.INGEST or principal.channel is None:
        raise IngestForbidden(f"Events take an ingest key; this key is {principal.role}")
    return principal


def _staged_body(raw: str, body: dict[str, Any], *, kind: str | None) -> str:
    """What the inbox keeps of a call: the body as received, re-written only for a single
    call (one message of a batch of one) or to take out a write key."""
    if kind is None and '"writeKey"' not in raw:
        return raw
    messages = messages_of(body, kind=kind)
    kept = {"batch": messages, **({"sentAt": body["sentAt"]} if "sentAt" in body else {})}
    return json.dumps(kept, separators=(",", ":"))


async def _ingest(request: Request, *, kind: str | None) -> IngestAck:
    limit = MAX_MESSAGE_BYTES if kind else MAX_BATCH_BYTES
    encoding = request.headers.get("content-encoding", "").strip().lower()
    raw = _inflated(await request.body(), encoding, limit)
    text = _text(raw)
    body = _json(text)
    if not isinstance(body, dict):
        raise IngestRejected("The body is a JSON object")
    principal = await _principal(request, body)
    try:
        messages = messages_of(body, kind=kind)
    except MessageInvalid as exc:
        raise IngestRejected(str(exc)) from exc
    db = request.app.state.db
    settings = request.app.state.settings
    source = str(principal.channel)
    if settings.cdp_ingest_async:
        if kind is not None:
            # A call of one message is refused now if it is bad, as when it is resolved
            # at once; a batch's bad messages are dropped by the worker, as Segment does.
            try:
                validate(messages[0])
            except MessageInvalid as exc:
                raise IngestRejected(str(exc)) from exc
        await _admission(request).wait()
        await run_in_threadpool(
            inbox.stage,
            uow=UnitOfWork(db),
            source=source,
            body=_staged_body(text, body, kind=kind),
            received_at=utcnow(),
        )
    else:
        wake = request.app.state.dispatcher_wake
        call = ingestion.Call(source=source, messages=messages, received_at=utcnow(),
                              sent_at=body.get("sentAt"), size=len(raw))  # fmt: skip
        await run_in_threadpool(
            ingestion.store,
            uow_factory=lambda: UnitOfWork(db, on_events_committed=wake),
            calls=[call],
            single=kind is not None,
        )
    if _purge_due():
        # Retention is enforced by the ingestion path itself, at most hourly per process,
        # so that no scheduler is needed; a purge is a short delete of its own.
        days = settings.events_retention_days
        await run_in_threadpool(ingestion.purge_expired, uow=UnitOfWork(db), retention_days=days)
    return IngestAck(success=True)


class Admission:
    """Backpressure for staged calls, per process: while the oldest call waiting for the
    worker has waited more than `max_lag_s`, a new call waits (up to `max_wait_s`, then it
    is staged anyway: a call is never refused for load, and the RudderStack client counts
    anything but a 200 as a failure). A bound on the backlog's age rather than its length
    holds freshness whatever the worker's pace, and never starves the worker. The lag is
    read at most every `every_s`, by one request for all those waiting."""

    def __init__(
        self, db: Database, *, max_lag_s: float, max_wait_s: float, every_s: float
    ) -> None:
        self.db = db
        self.max_lag_s = max_lag_s
        self.max_wait_s = max_wait_s
        self.every_s = every_s
        self._read_at = -math.inf
        self._lag = 0.0

    async def wait(self) -> None:
        if self.max_lag_s <= 0:
            return
        deadline = time.monotonic() + self.max_wait_s
        while await self._current_lag() > self.max_lag_s and time.monotonic() < deadline:
            await asyncio.sleep(self.every_s)

    async def _current_lag(self) -> float:
        if time.monotonic() - self._read_at >= self.every_s:
            self._read_at = time.monotonic()  # before the await: the others use this read
            self._lag = await run_in_threadpool(inbox.lag, self.db)
        # The oldest call read keeps ageing until the next read.
        return self._lag + (time.monotonic() - self._read_at) if self._lag > 0 else 0.0


def _admission(request: Request) -> Admission:
    state = request.app.state
    found: Admission | None = getattr(state, "cdp_admission", None)
    if found is None:
        settings = state.settings
        found = Admission(state.db, max_lag_s=settings.cdp_ingest_max_lag_s,
                          max_wait_s=settings.cdp_ingest_max_wait_s,
                          every_s=settings.cdp_ingest_poll_s)  # fmt: skip
        state.cdp_admission = found
    return found


_last_purge = [0.0]
PURGE_EVERY_S = 3600.0


def _purge_due() -> bool:
    now = time.monotonic()
    if now - _last_purge[0] < PURGE_EVERY_S:
        return False
    _last_purge[0] = now
    return True


def _single(kind: str) -> None:
    async def endpoint(request: Request) -> IngestAck:
        return await _ingest(request, kind=kind)

    endpoint.__name__ = f"ingest_{kind}"
    router.add_api_route(
        f"/{kind}",
        endpoint,
        methods=["POST"],
        response_model=IngestAck,
        summary=f"Segment `{kind}` call",
        openapi_extra=_MESSAGE_BODY,
    )


for _kind in MESSAGE_TYPES:
    _single(_kind)


@router.post("/batch", response_model=IngestAck, openapi_extra=_BATCH_BODY)
async def ingest_batch(request: Request) -> IngestAck:
    """Segment `batch`: up to 500 KB of messages, each at most 32 KB; a bad message is
    dropped and the rest kept."""
    return await _ingest(request, kind=None)
