"""Till transactions take effect once per `client_txn_id` at their store.

A transaction's effect and the row that remembers its result commit in one unit of work,
so a transaction is either wholly recorded (and every retry answered from that record) or
not at all. Sales, pickup hand-overs and returns all go through `once`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from souk.access.models import Principal
from souk.api.problems import PROBLEM_BASE
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.faults import retrying
from souk.db.uow import UnitOfWork
from souk.errors import Conflict, SoukError, ValidationFailed
from souk.pos.models import fingerprint
from souk.pos.schemas import PosPickup, PosResult, PosReturn, PosSale
from souk.pos.tables import PosTransactionRow

WakeUp = Any


def _problem(exc: SoukError) -> dict[str, Any]:
    return {
        "type": PROBLEM_BASE + exc.problem,
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
        "errors": exc.errors,
        **exc.extra(),
    }


def _previous(db: Database, location: str, client_txn_id: str) -> PosTransactionRow | None:
    with UnitOfWork(db, write=False) as uow:
        row = uow.session.scalar(
            select(PosTransactionRow).where(
                PosTransactionRow.location == location,
                PosTransactionRow.client_txn_id == client_txn_id,
            )
        )
        if row is not None:
            uow.session.expunge(row)
        return row


def _replay(row: PosTransactionRow, print_: str, index: int) -> PosResult:
    if row.fingerprint != print_:
        exc = Conflict(
            f"client_txn_id {row.client_txn_id!r} was already used for another transaction "
            f"(order {row.order_id})"
        )
        return PosResult(index=index, client_txn_id=row.client_txn_id, status=409,
                         replayed=False, problem=_problem(exc))  # fmt: skip
    return PosResult.model_validate({**row.result, "index": index, "replayed": True})


# What a transaction does in the caller's unit of work: its result and the order it is about.
Effect = Callable[[UnitOfWork], tuple[PosResult, str | None]]


def once(
    *, db: Database, principal: Principal, client_txn_id: str, occurred_at: datetime,
    print_: str, kind: str, index: int, effect: Effect, wake: WakeUp = None,
    commit_refusals: bool = False, redact: Callable[[dict[str, Any]], None] | None = None,
) -> PosResult:  # fmt: skip
    """Run `effect` once per `(store, client_txn_id)`: the effect and the record of its
    result commit together, and every retry is answered from that record. Refusals come
    back as a result, not raised; `commit_refusals` keeps what a refused effect wrote (a
    wrong pickup code is counted, so that codes cannot be guessed offline either);
    `redact` takes out of the stored record what only the first answer may show."""
    location = principal.location or ""
    seen = _previous(db, location, client_txn_id)
    if seen is not None:
        return _replay(seen, print_, index)

    def attempt() -> PosResult:
        with UnitOfWork(db, on_events_committed=wake) as uow:
            try:
                result, order_id = effect(uow)
            except SoukError:
                if commit_refusals:
                    uow.commit()
                raise
            stored = result.model_dump(mode="json", by_alias=True, exclude={"index", "replayed"})
            if redact is not None:
                redact(stored)
            uow.session.add(
                PosTransactionRow(
                    location=location,
                    channel=principal.channel or "",
                    client_txn_id=client_txn_id,
                    fingerprint=print_,
                    kind=kind,
                    order_id=order_id,
                    occurred_at=occurred_at,
                    result=stored,
                    created_at=utcnow(),
                )
            )
            uow.session.flush()
            uow.commit()
            return result

    try:
        # A deadlock's victim is rerun whole: the till's sale is not the till's fault.
        return retrying(attempt)
    except IntegrityError:
        # The same transaction, sent twice at the same moment: the other one won.
        seen = _previous(db, location, client_txn_id)
        if seen is None:
            raise
        return _replay(seen, print_, index)
    except SoukError as exc:
        # A copy that lost the race may be refused by the state the winner left (a pickup
        # already collected): it is answered with the winner's result.
        seen = _previous(db, location, client_txn_id)
        if seen is not None:
            return _replay(seen, print_, index)
        return PosResult(index=index, client_txn_id=client_txn_id, status=exc.status,
                         replayed=False, problem=_problem(exc))  # fmt: skip
    except (DataError, OverflowError) as exc:
        # A value the database cannot store (a date at the edge of the calendar): this
        # transaction is refused, the rest of the batch goes on.
        refused = ValidationFailed(
            f"A value of this transaction cannot be stored: {exc.__class__.__name__}"
        )
        return PosResult(index=index, client_txn_id=client_txn_id, status=422,
                         replayed=False, problem=_problem(refused))  # fmt: skip


Transaction = PosSale | PosPickup | PosReturn


def accepted(txn: Transaction, index: int, **recorded: Any) -> PosResult:
    """The result of a transaction that took effect now (201, not a replay)."""
    return PosResult(index=index, client_txn_id=txn.client_txn_id, status=201, replayed=False,
                     **recorded)  # fmt: skip


def once_for(
    txn: Transaction, *, db: Database, principal: Principal, kind: str, index: int,
    effect: Effect, wake: WakeUp = None, **options: Any,
) -> PosResult:  # fmt: skip
    """`once` for a till transaction as sent: its id, its moment, its fingerprint."""
    return once(db=db, principal=principal, client_txn_id=txn.client_txn_id,
                occurred_at=txn.occurred_at, print_=fingerprint(txn.model_dump(mode="json")),
                kind=kind, index=index, effect=effect, wake=wake, **options)  # fmt: skip


def invalid(index: int, raw: Any, exc: ValidationError) -> PosResult:
    errors = [
        {
            "field": ".".join(str(p) for p in ("transactions", index, *e["loc"])),
            "message": e["msg"],
            "type": e["type"],
        }
        for e in exc.errors()
    ]
    txn = raw.get("client_txn_id") if isinstance(raw, dict) else None
    problem = {
        "type": PROBLEM_BASE + "validation-error",
        "title": "Invalid request",
        "status": 422,
        "detail": f"Transaction {index} is malformed",
        "errors": errors,
    }
    return PosResult(index=index, client_txn_id=txn if isinstance(txn, str) else None,
                     status=422, replayed=False, problem=problem)  # fmt: skip
