"""The delivery rows as a queue: a batch of due deliveries claimed in one statement, and a
batch's outcomes recorded in one, with one more for its attempt log. Core statements built
once per worker and run on the connection, no ORM objects: a round's database work does not
grow with the deliveries in it (the ORM's claim and flush were half of a delivery's CPU
when orders arrive one at a time).

Per-object ordering is decided here: a delivery is claimed only when every earlier pending
delivery of its object to its endpoint can be claimed with it; the worker then sends them
one after another, each only after the one before succeeded (see `worker.py`)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.selectable import TextualSelect

from souk.db.base import Base
from souk.webhooks.models import retry_delay, signing_secrets
from souk.webhooks.sender import Job, Outcome
from souk.webhooks.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow

GONE = 410
DELIVERIES: Table = Base.metadata.tables[WebhookDeliveryRow.__tablename__]
ENDPOINTS: Table = Base.metadata.tables[WebhookEndpointRow.__tablename__]
ATTEMPTS: Table = Base.metadata.tables[WebhookAttemptRow.__tablename__]
WHEN = DELIVERIES.c.next_attempt_at.type


# One statement: pick the due deliveries, lease them, and return what sending them takes,
# the endpoint's URL and secrets included. Written out rather than composed with Core:
# SQLAlchemy renders a RETURNING clause's correlated subqueries without table names on
# SQLite, where `endpoint_id = endpoint_id` would then compare a column with itself.
_CLAIM = """
WITH picked AS MATERIALIZED (
    SELECT candidate.seq
    FROM webhook_deliveries AS candidate
    JOIN webhook_endpoints AS endpoint ON endpoint.id = candidate.endpoint_id
    WHERE candidate.status = 'pending'
      AND candidate.next_attempt_at <= :now
      AND (candidate.locked_until IS NULL OR candidate.locked_until < :now)
      AND endpoint.disabled_at IS NULL
      -- An earlier pending delivery of the same object that cannot go out in this claim
      -- (not due yet, or leased to another worker) holds this one back; one that can goes
      -- first, in the same claim.
      AND NOT EXISTS (
          SELECT 1 FROM webhook_deliveries AS earlier
          WHERE earlier.endpoint_id = candidate.endpoint_id
            AND earlier.object_key = candidate.object_key
            AND earlier.status = 'pending'
            AND earlier.seq < candidate.seq
            AND (earlier.next_attempt_at > :now OR earlier.locked_until >= :now)
      )
    ORDER BY candidate.seq
    LIMIT :batch
    {lock}
)
UPDATE webhook_deliveries SET locked_until = :lease
WHERE seq IN (SELECT seq FROM picked)
RETURNING
    webhook_deliveries.seq,
    webhook_deliveries.id AS msg_id,
    webhook_deliveries.endpoint_id,
    webhook_deliveries.object_key,
    webhook_deliveries.payload,
    webhook_deliveries.attempts,
    -- Every earlier pending delivery of the object, claimable or not: the worker checks
    -- that the claim holds all of them (another worker may hold one this one skipped).
    (SELECT count(*) FROM webhook_deliveries AS earlier
     WHERE earlier.endpoint_id = webhook_deliveries.endpoint_id
       AND earlier.object_key = webhook_deliveries.object_key
       AND earlier.status = 'pending'
       AND earlier.seq < webhook_deliveries.seq) AS earlier,
    (SELECT e.url FROM webhook_endpoints AS e
     WHERE e.id = webhook_deliveries.endpoint_id) AS url,
    (SELECT e.secret FROM webhook_endpoints AS e
     WHERE e.id = webhook_deliveries.endpoint_id) AS secret,
    (SELECT e.previous_secret FROM webhook_endpoints AS e
     WHERE e.id = webhook_deliveries.endpoint_id) AS previous_secret,
    (SELECT e.previous_secret_expires_at FROM webhook_endpoints AS e
     WHERE e.id = webhook_deliveries.endpoint_id) AS previous_expires_at
"""


def claim_statement(*, batch_size: int, skip_locked: bool) -> TextualSelect:
    """Lease up to `batch_size` due deliveries (`:lease` until, as of `:now`). With
    `skip_locked` (PostgreSQL) workers share the queue, each skipping the rows another is
    claiming; the pick is materialised so that its rows are chosen and locked once."""
    lock = "FOR UPDATE OF candidate SKIP LOCKED" if skip_locked else ""
    return (
        text(_CLAIM.format(lock=lock))
        .bindparams(
            bindparam("now", type_=WHEN),
            bindparam("lease", type_=WHEN),
            bindparam("batch", value=batch_size, type_=Integer),
        )
        .columns(
            seq=DELIVERIES.c.seq.type,
            payload=DELIVERIES.c.payload.type,
            previous_expires_at=WHEN,
        )
    )


def claim(
    conn: Connection, statement: TextualSelect, *, now: datetime, lease_until: datetime
) -> list[Job]:
    jobs = []
    for row in conn.execute(statement, {"now": now, "lease": lease_until}):
        # The statement names its columns as Job's fields, but for the endpoint's secrets.
        fields = dict(row._mapping)
        secrets = signing_secrets(
            secret=fields.pop("secret"),
            previous=fields.pop("previous_secret"),
            previous_expires_at=fields.pop("previous_expires_at"),
            now=now,
        )
        jobs.append(Job(**fields, secrets=secrets, lease_until=lease_until))
    # RETURNING comes in no particular order; sending and ordering follow the sequence.
    return sorted(jobs, key=lambda job: job.seq)


@dataclass(frozen=True, slots=True)
class Recorder:
    """The statements that record a batch, built once per worker."""

    outcomes: Update
    attempts: Insert
    unsent: Update

    @classmethod
    def build(cls) -> Recorder:
        d, a = DELIVERIES, ATTEMPTS
        held = d.c.locked_until == bindparam("lease", type_=WHEN)
        succeeded = bindparam("succeeded", type_=Boolean)

        def if_held(value: Any, column: Any) -> Any:
            return case((held, value), else_=column)

        # A worker whose lease was taken over (its attempt outran the lease) leaves the
        # decision to the new owner — except that a success is final whoever learns of it.
        outcomes = (
            update(d)
            .where(
                d.c.seq == bindparam("delivery"),
                or_(held, and_(succeeded, d.c.status == "pending")),
            )
            .values(
                status=case(
                    (held, bindparam("new_status", type_=d.c.status.type)),
                    else_=literal("succeeded"),
                ),
                attempts=if_held(bindparam("count", type_=d.c.attempts.type), d.c.attempts),
                next_attempt_at=if_held(
                    func.coalesce(bindparam("next_at", type_=WHEN), d.c.next_attempt_at),
                    d.c.next_attempt_at,
                ),
                last_status_code=if_held(
                    bindparam("code", type_=d.c.last_status_code.type), d.c.last_status_code
                ),
                last_error=if_held(bindparam("message", type_=d.c.last_error.type), d.c.last_error),
                delivered_at=case((succeeded, bindparam("at", type_=WHEN)), else_=d.c.delivered_at),
                locked_until=if_held(null(), d.c.locked_until),
            )
        )
        # Selected from the delivery, so an attempt of a delivery deleted meanwhile (its
        # endpoint was) is not inserted. Typed, so that PostgreSQL is told each parameter's
        # type (it infers none in a SELECT list).
        attempts = insert(a).from_select(
            ["delivery_seq", "attempted_at", "status_code", "error", "duration_ms"],
            select(
                d.c.seq,
                bindparam("at", type_=WHEN),
                bindparam("code", type_=a.c.status_code.type),
                bindparam("message", type_=a.c.error.type),
                bindparam("ms", type_=a.c.duration_ms.type),
            ).where(d.c.seq == bindparam("delivery")),
        )
        # Not attempted: freed at once rather than when the lease ends.
        unsent = update(d).where(d.c.seq == bindparam("delivery"), held).values(locked_until=null())
        return cls(outcomes=outcomes, attempts=attempts, unsent=unsent)

    def record(
        self,
        conn: Connection,
        results: Sequence[tuple[Job, Outcome]],
        unsent: Sequence[Job],
        *,
        now: datetime,
        schedule: Sequence[float],
        rng: random.Random,
    ) -> set[str]:
        """Every outcome in one executemany, their attempts in another; returns the endpoints
        that answered 410 Gone (the caller disables them)."""
        gone: set[str] = set()
        rows = []
        for job, outcome in results:
            count, status, next_at = job.attempts + 1, "pending", None
            if outcome.succeeded:
                status = "succeeded"
            elif outcome.status_code == GONE:
                status = "failed"
                gone.add(job.endpoint_id)
            else:
                delay = retry_delay(
                    attempts=count, schedule=schedule, retry_after_s=outcome.retry_after_s, rng=rng
                )
                if delay is None:
                    status = "failed"
                else:
                    next_at = now + delay
            rows.append(
                {
                    "delivery": job.seq,
                    "lease": job.lease_until,
                    "succeeded": outcome.succeeded,
                    "new_status": status,
                    "count": count,
                    "next_at": next_at,
                    "code": outcome.status_code,
                    "message": outcome.error,
                    "at": now,
                    "ms": outcome.duration_ms,
                }
            )
        if rows:
            conn.execute(self.outcomes, rows)
            conn.execute(self.attempts, rows)
        if unsent:
            conn.execute(
                self.unsent, [{"delivery": job.seq, "lease": job.lease_until} for job in unsent]
            )
        return gone


def disable(conn: Connection, endpoint_ids: set[str], *, now: datetime) -> None:
    """The receiver says the endpoint is gone for good: stop sending to it at all."""
    conn.execute(
        update(ENDPOINTS)
        .where(ENDPOINTS.c.id.in_(sorted(endpoint_ids)))
        .values(disabled_at=now, disabled_reason="the endpoint answered 410 Gone")
    )
