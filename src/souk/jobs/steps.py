"""A job's step commits with its progress: the step calls an ordinary service (which opens
its own unit of work and commits once), and the unit of work's commit hook writes the job's
new progress in that same transaction. A crash between two steps loses nothing and repeats
nothing: the job resumes after the last committed step.

The progress UPDATE is fenced by the attempt number: if this runner lost its lease and
another took the job over, the UPDATE matches no row and the step is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork, commit_hook
from souk.errors import Conflict
from souk.jobs.models import JobStatus
from souk.jobs.service import LEASE_S, Claimed
from souk.jobs.tables import JobRow

T = TypeVar("T")


class LeaseLost(Conflict):
    """Another runner took this job over: this one stops without writing."""


class _Progress:
    def __init__(self, job: Claimed, progress: int, result: dict[str, Any]) -> None:
        self.job, self.progress, self.result = job, progress, result
        self.committed = False

    def before_commit(self, session: Session) -> None:
        now = utcnow()
        moved = session.execute(
            update(JobRow)
            .where(
                JobRow.id == self.job.id,
                JobRow.attempts == self.job.attempt,
                JobRow.status == JobStatus.RUNNING.value,
            )
            .values(
                progress=self.progress,
                result=self.result,
                lease_until=now + timedelta(seconds=LEASE_S),
            )
        )
        if getattr(moved, "rowcount", 0) != 1:
            raise LeaseLost(f"Job {self.job.id} is run by another runner now")

    def after_commit(self) -> None:
        self.committed = True


@contextmanager
def _hooked(hook: _Progress) -> Iterator[None]:
    token = commit_hook.set(hook)
    try:
        yield
    finally:
        commit_hook.reset(token)


def step(job: Claimed, *, done: int, work: Callable[[], T], result: dict[str, Any]) -> T:
    """Run `work` (one service call, one commit) so that its commit also records `done`
    items and `result`; the job's in-memory copy follows once committed."""
    hook = _Progress(job, done, result)
    with _hooked(hook):
        value = work()
    if not hook.committed:
        raise RuntimeError("a job step must commit exactly once")
    job.progress, job.result = done, result
    return value


def advance(db: Database, job: Claimed, *, done: int, result: dict[str, Any]) -> None:
    """Record progress alone, after an item that was refused and so committed nothing."""

    def nothing_else() -> None:
        with UnitOfWork(db) as uow:
            uow.commit()

    step(job, done=done, work=nothing_else, result=result)
