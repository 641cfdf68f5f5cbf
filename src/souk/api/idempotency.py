"""`Idempotency-Key` on state-changing requests (invariants 4 and 9; docs/api-conventions.md).

1. The first request with a key claims it: a row with a unique key, a holder token and a
   short lease, in its own transaction, so that a retry overlapping it is refused (409)
   instead of running the command twice.
2. The command records its outcome in its own transaction: the claim sits in a context
   variable, and the request's committing unit of work writes what it minted into the row
   (`souk.db.uow.commit_hook`), fenced by the holder token. Effect and outcome commit
   together or not at all.
3. The answer is stored before it is sent: from the moment a client can have read it, a
   retry with the same key and body gets it again, with `Idempotent-Replayed: true`.
4. A retry that finds an outcome but no answer (the server died between the two) is
   answered from the committed resource (`souk.api.replays`); one that finds neither and an
   expired lease takes the key over and runs again, since nothing was committed.

Keys are scoped to the caller that can see the resource: a customer (by the id in their
token), an API key, or, for an anonymous storefront call, the cart in the path together with
the publishable key. An anonymous call without a cart in its path has no such caller, and its
key is not remembered.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from souk import fault_points
from souk.api.idempotency_claim import Claim, Heartbeat, caller_scope, fingerprint
from souk.api.idempotency_store import (
    MAX_KEY_LENGTH,
    ClaimLost,
    IdempotencyRecord,
    IdempotencyStore,
    Seen,
)
from souk.api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from souk.api.replays import ReplayRequest, Rule, fallback
from souk.customers.tokens import TokenSigner
from souk.db.base import minted_ids
from souk.db.uow import commit_hook

__all__ = ["IdempotencyMiddleware", "IdempotencyRecord", "IdempotencyStore", "caller_scope",
           "fingerprint"]  # fmt: skip

METHODS = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = b"idempotency-key"
NOT_STORED = (b"x-request-id", b"date", b"server")
RuleFor = Callable[[str, str], tuple[Rule | None, dict[str, str]]]
Headers = list[tuple[bytes, bytes]]


def _problem(status: int, problem: str, title: str, detail: str) -> tuple[int, Headers, bytes]:
    body = json.dumps(
        {"type": PROBLEM_BASE + problem, "title": title, "status": status, "detail": detail,
         "errors": []}
    ).encode()  # fmt: skip
    return status, [(b"content-type", PROBLEM_MEDIA_TYPE.encode())], body


IN_USE = (409, "idempotency-key-in-use", "Request in progress",
          "A request with this Idempotency-Key is still being processed")  # fmt: skip
REUSED = (422, "idempotency-key-reused", "Idempotency-Key reused",
          "This Idempotency-Key was used for a different request")  # fmt: skip
LOST = (410, "idempotency-answer-lost", "Answer lost",
        "The request with this Idempotency-Key took effect, but its answer was lost and "
        "cannot be rebuilt: read the resource it changed")  # fmt: skip
REPLAYED = (b"idempotent-replayed", b"true")
JSON_HEADER = (b"content-type", b"application/json")
JSON_TYPE = ["content-type", "application/json"]


async def _send(send: Send, status: int, headers: Headers, body: bytes) -> None:
    headers = [h for h in headers if h[0].lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        store_getter: Callable[[], IdempotencyStore],
        signer_getter: Callable[[], TokenSigner],
        rule_for: RuleFor,
        fault_point: str | None = None,
    ) -> None:
        self.app = app
        self.store_getter = store_getter
        self.signer_getter = signer_getter
        self.rule_for = rule_for
        self.fault_point = fault_point
        self._beats: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            detail = f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters"
            await _send(send, *_problem(422, "validation-error", "Invalid request", detail))
            return
        owner = caller_scope(scope["path"], headers, self.signer_getter())
        if owner is None:
            await self.app(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
        raw = bytes(body)
        method, path = scope["method"], scope["path"]
        print_ = fingerprint(method, path, scope.get("query_string", b""), raw)
        rule, params = self.rule_for(method, path)
        try:
            parsed = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError, RecursionError):
            parsed = None
        request = ReplayRequest(method=method, path=path, params=params, body=parsed)
        store = self.store_getter()
        claim = Claim(store, owner, key, secrets.token_hex(16), rule, request, self.fault_point)
        seen = await anyio.to_thread.run_sync(store.claim, owner, key, print_, claim.holder)
        if seen is not None:
            if await self._answer_seen(scope, send, claim, seen, print_):
                return
            taken = await anyio.to_thread.run_sync(
                store.take_over, owner, key, seen, print_, claim.holder
            )
            if not taken:  # another retry took it over first and is running it now
                await _send(send, *_problem(*IN_USE))
                return
        await self._run(scope, raw, receive, send, claim)

    async def _answer_seen(self, scope: Scope, send: Send, claim: Claim, seen: Seen,
                           print_: str) -> bool:  # fmt: skip
        """Answer a key someone holds already; False if this request may take it over."""
        store = claim.store
        if store.expired(seen):
            return False
        if seen.fingerprint != print_:
            await _send(send, *_problem(*REUSED))
            return True
        if seen.status is not None:
            stored = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in seen.headers or []]
            await _send(send, seen.status, [*stored, REPLAYED], seen.body or b"")
            return True
        if seen.outcome is not None and not (claim.rule and claim.rule.rerun):
            rendered = await self._render(scope, claim, seen.outcome)
            if rendered is not None:
                status, body = rendered
                # Kept, so that every later replay answers these very bytes; of retries
                # rebuilding it at once, the first kept wins and the others answer it.
                kept = await anyio.to_thread.run_sync(
                    store.store, claim.scope, claim.key, None, status, [JSON_TYPE], body
                )
                if (
                    not kept
                    and (won := await anyio.to_thread.run_sync(store.read, claim.scope, claim.key))
                    and won.status is not None
                ):
                    return await self._answer_seen(scope, send, claim, won, print_)
                await _send(send, status, [JSON_HEADER, REPLAYED], body)
                return True
            if claim.rule is None:
                await _send(send, *_problem(*LOST))
                return True
        if store.lease_alive(seen):
            await _send(send, *_problem(*IN_USE))
            return True
        return False

    async def _render(
        self, scope: Scope, claim: Claim, outcome: dict[str, Any]
    ) -> tuple[int, bytes] | None:
        """The answer rebuilt from a committed outcome, or None."""
        rule, request = claim.rule, claim.request
        if rule is not None and rule.read is not None:
            read = rule.read

            def from_db() -> bytes | None:
                with claim.store.db.transaction(write=False) as session:
                    return read(session, outcome, request)

            body = await anyio.to_thread.run_sync(from_db)
            return (rule.status, body) if body is not None else None
        if rule is not None:
            where = rule.where(outcome, request) if rule.where else None
            body = await self._get(scope, where) if where else None
            return (rule.status, body) if body is not None else None
        for path, status in fallback(request, outcome):
            if status == 204:
                return status, b""
            body = await self._get(scope, path)
            if body is not None:
                return status, body
        return None

    async def _get(self, scope: Scope, path: str) -> bytes | None:
        """GET `path` through the app with the caller's own credentials; the body if 200."""
        dropped = (b"content-length", b"content-type", HEADER)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in dropped]
        inner = {**scope, "method": "GET", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "headers": headers}  # fmt: skip
        status = 0
        chunks: list[bytes] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, receive, capture)
        return b"".join(chunks) if status == 200 else None

    async def _run(self, scope: Scope, raw: bytes, receive: Receive, send: Send,
                   claim: Claim) -> None:  # fmt: skip
        """Run the command as the key's owner; store the answer, then send it."""
        store = claim.store
        delivered = False

        async def replay_receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            else:
                await send(message)

        hook, minted = commit_hook.set(claim), minted_ids.set(claim.minted)
        beat = self._keep_alive(claim)
        try:
            await self.app(scope, replay_receive, capture)
        except ClaimLost:
            start, chunks = None, []
        except BaseException:
            if not claim.committed:
                await anyio.to_thread.run_sync(store.release, claim.scope, claim.key, claim.holder)
            raise
        finally:
            beat.cancel()
            commit_hook.reset(hook)
            minted_ids.reset(minted)
        if start is None:
            await _send(send, *_problem(*IN_USE))
            return
        status: int = start["status"]
        headers: Headers = list(start.get("headers", []))
        body = b"".join(chunks)
        if status >= 500:
            # Not kept, so the client may retry — unless something was committed: then the
            # claim stays, and a retry is answered from the outcome.
            if not claim.committed:
                await anyio.to_thread.run_sync(store.release, claim.scope, claim.key, claim.holder)
        else:
            fault_points.crash_at("before_answer", self.fault_point)
            kept = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers
                    if k.lower() not in NOT_STORED and k.lower() != b"content-length"]  # fmt: skip
            await anyio.to_thread.run_sync(
                store.store, claim.scope, claim.key, claim.holder, status, kept, body
            )
        await _send(send, status, headers, body)

    def _keep_alive(self, claim: Claim) -> Heartbeat:
        return Heartbeat(lambda: claim.store.renew([claim.holder]),
                         claim.store.lease.total_seconds() / 3, self._beats)  # fmt: skip
