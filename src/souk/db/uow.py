"""The unit of work: one database transaction per command, committed once."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Protocol, Self

from sqlalchemy.orm import Session

from souk.db.engine import Database
from souk.db.outbox import append, write_pending


class CommitHook(Protocol):
    """Told of every write commit made while it is set — how a request's `Idempotency-Key`
    records its outcome in the command's own transaction (`souk.api.idempotency`)."""

    def before_commit(self, session: Session) -> None: ...

    def after_commit(self) -> None: ...


# Set for the span of one request by the idempotency middleware; the request's threads see
# it because anyio copies the context into the thread that runs a sync route.
commit_hook: ContextVar[CommitHook | None] = ContextVar("souk_commit_hook", default=None)


class UnitOfWork:
    """`with uow: ...; uow.commit()` — whatever is not committed is rolled back on exit.

    Events emitted inside go to the outbox in the same transaction; the dispatcher is woken
    only after the commit succeeded.
    """

    def __init__(
        self,
        db: Database,
        *,
        write: bool = True,
        stale_ok: bool = False,
        on_events_committed: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.write = write
        # A read-only unit of work that may be served by a replica (docs/deployment.md).
        self.stale_ok = stale_ok and not write
        self._on_events_committed = on_events_committed
        self._session: Session | None = None
        self._emitted = 0
        self._committed = False

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `with uow:`")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work is used once")
        self._session = self.db.session(write=self.write, stale_ok=self.stale_ok)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if not self._committed:
                session.rollback()
        finally:
            session.close()

    def emit(self, name: str, payload: dict[str, Any]) -> None:
        append(self.session, name, payload)
        self._emitted += 1

    def commit(self) -> None:
        hook = commit_hook.get() if self.write else None
        if hook is not None:
            # Inside the transaction: the outcome commits with the effect, or neither does.
            hook.before_commit(self.session)
        write_pending(self.session)
        self.session.commit()
        self._committed = True
        if hook is not None:
            hook.after_commit()
        if self._emitted and self._on_events_committed is not None:
            self._on_events_committed()


class EnlistedUnitOfWork(UnitOfWork):
    """A service written as its own command (`with uow: …; uow.commit()`), run as one step
    of a larger use case inside the caller's open transaction: its commit only flushes, and
    the caller commits every step at once (how the till records a return — created,
    received, refunded — with its `client_txn_id` in one transaction, docs/pos.md)."""

    def __init__(self, outer: UnitOfWork) -> None:
        super().__init__(outer.db, write=outer.write)
        self._outer = outer

    @property
    def session(self) -> Session:
        return self._outer.session

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def emit(self, name: str, payload: dict[str, Any]) -> None:
        self._outer.emit(name, payload)

    def commit(self) -> None:
        self._outer.session.flush()
