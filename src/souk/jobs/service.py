"""Job use cases: enqueue, read, claim the next one, finish. Each opens its own unit of work.

Claiming is one conditional UPDATE, so two runners (two servers on one database) never run
the same job at once; the `attempts` counter fences a runner that lost its lease: its next
step no longer matches and rolls back (`souk.jobs.steps`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from souk.db.base import new_id, utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.errors import NotFound
from souk.jobs.models import JobKind, JobStatus, percent
from souk.jobs.schemas import JobRead
from souk.jobs.tables import JobRow

LEASE_S = 60


def job_read(row: JobRow) -> JobRead:
    return JobRead(
        id=row.id,
        kind=row.kind,
        status=row.status,
        progress=row.progress,
        total=row.total,
        percent=percent(row.progress, row.total),
        error=row.error,
        result=row.result,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def enqueue(
    *, uow: UnitOfWork, kind: JobKind, params: dict[str, Any], total: int, created_by: str
) -> JobRead:
    with uow:
        row = JobRow(
            id=new_id("job"),
            kind=kind.value,
            status=JobStatus.QUEUED.value,
            progress=0,
            total=total,
            params=params,
            result=None,
            error=None,
            created_by=created_by,
            attempts=0,
            created_at=utcnow(),
        )
        uow.session.add(row)
        uow.session.flush()
        read = job_read(row)
        uow.commit()
    return read


def get_job(*, uow: UnitOfWork, job_id: str) -> JobRead:
    with uow:
        row = uow.session.get(JobRow, job_id)
        if row is None:
            raise NotFound(f"No job {job_id}")
        return job_read(row)


class Claimed:
    """A job this runner holds: its id, kind, parameters, where it got to, and the
    attempt number that fences its steps."""

    def __init__(self, row: JobRow) -> None:
        self.id = row.id
        self.kind = JobKind(row.kind)
        self.params = dict(row.params)
        self.progress = row.progress
        self.total = row.total
        self.attempt = row.attempts
        self.result: dict[str, Any] = dict(row.result or {})


def claim_next(db: Database) -> Claimed | None:
    """The oldest queued job, or a running one whose runner stopped renewing its lease."""
    now = utcnow()
    with UnitOfWork(db) as uow:
        waiting = or_(
            JobRow.status == JobStatus.QUEUED.value,
            (JobRow.status == JobStatus.RUNNING.value) & (JobRow.lease_until < now),
        )
        candidate = uow.session.execute(
            select(JobRow.id, JobRow.attempts).where(waiting).order_by(JobRow.created_at).limit(1)
        ).first()
        if candidate is None:
            return None
        taken = uow.session.execute(
            update(JobRow)
            .where(JobRow.id == candidate.id, JobRow.attempts == candidate.attempts, waiting)
            .values(
                status=JobStatus.RUNNING.value,
                attempts=candidate.attempts + 1,
                lease_until=now + timedelta(seconds=LEASE_S),
                started_at=now,
            )
        )
        if getattr(taken, "rowcount", 0) != 1:
            return None  # another runner took it first
        row = uow.session.get(JobRow, candidate.id)
        assert row is not None
        claimed = Claimed(row)
        uow.commit()
        return claimed


def finish(db: Database, job: Claimed, *, error: str | None = None) -> bool:
    """Mark the job succeeded (or failed with `error`) with its result; False when this
    runner no longer holds it."""
    status = JobStatus.FAILED if error else JobStatus.SUCCEEDED
    with UnitOfWork(db) as uow:
        done = uow.session.execute(
            update(JobRow)
            .where(
                JobRow.id == job.id,
                JobRow.attempts == job.attempt,
                JobRow.status == JobStatus.RUNNING.value,
            )
            .values(
                status=status.value,
                progress=job.progress,
                result=job.result,
                error=error[:500] if error else None,
                lease_until=None,
                finished_at=utcnow(),
            )
        )
        uow.commit()
        return bool(getattr(done, "rowcount", 0) == 1)
