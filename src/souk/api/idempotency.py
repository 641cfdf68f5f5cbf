"""`Idempotency-Key` on state-changing requests (invariant 4).

The first request with a key claims it (a row with a unique key, in its own transaction),
runs, and stores its response; a retry with the same key and the same body gets that
response again, marked `Idempotent-Replayed: true`, and changes nothing. The same key with a
different body is a 422; a retry while the first is still running is a 409. A response of
500 or more is not kept, so the client may retry. Keys are scoped to the credentials that
sent them, so two clients cannot collide, and they expire after `SOUK_IDEMPOTENCY_TTL_S`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy import LargeBinary, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from souk.api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from souk.db.base import Base, utcnow
from souk.db.engine import Database
from souk.db.types import Json

METHODS = {b"POST", b"PUT", b"PATCH", b"DELETE"}
HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    headers: Mapped[list[list[str]] | None] = mapped_column(Json)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


def _fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        # Not JSON we can canonicalise (or nested beyond the parser's stack): the raw bytes
        # still identify the request; the app answers the bad body itself.
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def _scope_of(headers: dict[bytes, bytes]) -> str:
    credentials = (
        headers.get(b"authorization", b"") + b"\0" + headers.get(b"x-publishable-key", b"")
    )
    return hashlib.sha256(credentials).hexdigest()


class IdempotencyStore:
    def __init__(self, db: Database, ttl_s: int) -> None:
        self.db = db
        self.ttl = timedelta(seconds=ttl_s)

    def claim(self, scope: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
        """None if this request now owns the key; else the record that already holds it."""
        for _ in range(2):
            try:
                with self.db.transaction() as session:
                    session.add(
                        IdempotencyRecord(
                            scope=scope, key=key, fingerprint=fingerprint, created_at=utcnow()
                        )
                    )
                return None
            except IntegrityError:
                with self.db.transaction() as session:
                    existing = session.get(IdempotencyRecord, (scope, key))
                    if existing is None:
                        continue
                    if existing.created_at < utcnow() - self.ttl:
                        session.delete(existing)
                        continue
                    session.expunge(existing)
                    return existing
        raise RuntimeError("could not claim idempotency key")

    def store(
        self, scope: str, key: str, status: int, headers: list[list[str]], body: bytes
    ) -> None:
        with self.db.transaction() as session:
            record = session.get(IdempotencyRecord, (scope, key))
            if record is not None:
                record.status = status
                record.headers = headers
                record.body = body

    def release(self, scope: str, key: str) -> None:
        with self.db.transaction() as session:
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
                )
            )

    def purge_expired(self) -> int:
        with self.db.transaction() as session:
            result = session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - self.ttl)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def exists(self, scope: str, key: str) -> bool:
        with self.db.transaction(write=False) as session:
            found = session.scalar(
                select(IdempotencyRecord.key).where(
                    IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
                )
            )
            return found is not None


async def _send_problem(send: Send, status: int, problem: str, title: str, detail: str) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_BASE + problem,
            "title": title,
            "status": status,
            "detail": detail,
            "errors": [],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store_getter: Any) -> None:
        self.app = app
        self.store_getter = store_getter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"].encode() not in METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            await _send_problem(
                send,
                422,
                "validation-error",
                "Invalid request",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
            )
            return

        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
        body_bytes = bytes(body)

        store: IdempotencyStore = self.store_getter()
        owner = _scope_of(headers)
        fingerprint = _fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), body_bytes
        )
        existing = await anyio.to_thread.run_sync(store.claim, owner, key, fingerprint)
        if existing is not None:
            if existing.fingerprint != fingerprint:
                await _send_problem(
                    send,
                    422,
                    "idempotency-key-reused",
                    "Idempotency-Key reused",
                    "This Idempotency-Key was used for a different request",
                )
            elif existing.status is None:
                await _send_problem(
                    send,
                    409,
                    "idempotency-key-in-use",
                    "Request in progress",
                    "A request with this Idempotency-Key is still being processed",
                )
            else:
                stored = [(k.encode(), v.encode()) for k, v in existing.headers or []]
                stored.append((b"idempotent-replayed", b"true"))
                await send(
                    {"type": "http.response.start", "status": existing.status, "headers": stored}
                )
                await send({"type": "http.response.body", "body": existing.body or b""})
            return

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body_bytes, "more_body": False}
            return await receive()

        status = 500
        response_headers: list[list[str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = [
                    [k.decode("latin-1"), v.decode("latin-1")]
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"x-request-id", b"date", b"server")
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await anyio.to_thread.run_sync(store.release, owner, key)
            raise
        if status >= 500:
            await anyio.to_thread.run_sync(store.release, owner, key)
        else:
            await anyio.to_thread.run_sync(
                store.store, owner, key, status, response_headers, b"".join(chunks)
            )
