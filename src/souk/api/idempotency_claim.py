"""A request's hold on its `Idempotency-Key`: whose key it is, which request it names, and
the hook through which the command's own transaction records its outcome."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from sqlalchemy.orm import Session

from souk import fault_points
from souk.api.idempotency_store import IdempotencyStore
from souk.api.replays import ReplayRequest, Rule
from souk.customers.tokens import TokenSigner, looks_like_token
from souk.errors import Unauthorized

CART_PATH = re.compile(r"^/v1/carts/([^/]+)(?:/|$)")


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        # Not JSON (or nested past what the parser recurses into): the bytes as sent.
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, canonical):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def caller_scope(path: str, headers: dict[bytes, bytes], signer: TokenSigner) -> str | None:
    """Who may see what this request produces; None for an anonymous call with no cart."""
    authorization = headers.get(b"authorization", b"").decode("latin-1").strip()
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer" and credential:
        subject = "key\0" + credential
        if looks_like_token(credential):
            try:
                # One customer, one namespace, whichever device or token they sign in with.
                subject = "customer\0" + signer.verify(credential)
            except Unauthorized:
                subject = "token\0" + credential  # the request will be 401 anyway
    else:
        cart = CART_PATH.match(path)
        publishable = headers.get(b"x-publishable-key", b"").decode("latin-1")
        if cart is None or not publishable:
            return None
        subject = "cart\0" + cart.group(1) + "\0" + publishable
    return hashlib.sha256(subject.encode()).hexdigest()


@dataclass
class Claim:
    """This request's hold on its key, told of each commit of its units of work."""

    store: IdempotencyStore
    scope: str
    key: str
    holder: str
    rule: Rule | None
    request: ReplayRequest
    fault_point: str | None
    minted: list[str] = field(default_factory=list)
    seen_up_to: int = 0
    committed: bool = False
    recording: bool = False

    def before_commit(self, session: Session) -> None:
        window, self.seen_up_to = self.minted[self.seen_up_to :], len(self.minted)
        marks = self.rule.marks if self.rule else ()
        self.recording = not marks or any(i.split("_", 1)[0] in marks for i in window)
        if not self.recording:
            return
        outcome: dict[str, Any] = {"ids": self.minted[-100:]}
        if self.rule is not None and self.rule.locate is not None:
            outcome |= self.rule.locate(session, self.request)
        self.store.record_outcome(session, self.scope, self.key, self.holder, outcome)

    def after_commit(self) -> None:
        if self.recording:
            self.committed = True
            fault_points.crash_at("after_commit", self.fault_point)


class Heartbeat:
    """Renews a running request's lease every third of it, so that only a request whose
    process died loses its key; requests shorter than that never pay for it."""

    def __init__(self, renew: Callable[[], None], every: float,
                 tasks: set[asyncio.Task[None]]) -> None:  # fmt: skip
        self._loop = asyncio.get_running_loop()
        self._renew, self._every, self._tasks = renew, every, tasks
        self._handle = self._loop.call_later(every, self._beat)

    def _beat(self) -> None:
        task = self._loop.create_task(self._renew_in_thread())
        self._tasks.add(task)  # a reference, or the loop may drop the task half-way
        task.add_done_callback(self._tasks.discard)
        self._handle = self._loop.call_later(self._every, self._beat)

    async def _renew_in_thread(self) -> None:
        await anyio.to_thread.run_sync(self._renew)

    def cancel(self) -> None:
        self._handle.cancel()
