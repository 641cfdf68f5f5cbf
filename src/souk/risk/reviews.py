"""The review queue and its outcomes: reading an order's risk, listing what waits, and
deciding a held order — which releases it (legitimate) or keeps it from fulfilment for
good (fraud) and moves the weights of the signals that fired on it."""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import InvalidState, NotFound
from souk.orders.tables import OrderRow
from souk.risk.schemas import ReviewOutcome, ReviewRead, RiskRead, SignalRead, WeightRead
from souk.risk.service import HOLDING, RISK_WEIGHTS, Policy, screen
from souk.risk.signals import DEFAULT_WEIGHTS, MAX_WEIGHT, MIN_WEIGHT
from souk.risk.tables import RiskAssessmentRow, RiskWeightRow


def risk_read(row: RiskAssessmentRow) -> RiskRead:
    review = None
    if row.outcome is not None and row.reviewed_at is not None:
        review = ReviewRead(
            outcome=row.outcome, note=row.review_note, by=row.reviewed_by, at=row.reviewed_at
        )
    return RiskRead(
        order_id=row.order_id,
        channel=row.channel,
        score=row.score,
        decision=row.decision,
        status=row.status,
        on_hold=row.status in HOLDING,
        signals=[SignalRead(**s) for s in row.signals],
        placed_at=row.placed_at,
        assessed_at=row.assessed_at,
        review=review,
    )


def order_risk(*, uow: UnitOfWork, order_id: str, policy: Policy) -> RiskRead:
    """The order's assessment; an order not screened yet is screened now."""
    with uow:
        row = screen(uow.session, order_id, policy)
        if row is None:
            if uow.session.get(OrderRow, order_id) is None:
                raise NotFound(f"No order {order_id!r}")
            raise NotFound(
                f"Order {order_id!r} is not screened: only orders placed at an online "
                "checkout are (a till sale or a marketplace import is not)"
            )
        result = risk_read(row)
        uow.commit()
        return result


def queue(*, uow: UnitOfWork, status: str, limit: int) -> list[RiskRead]:
    """Held orders, riskiest first, then oldest first."""
    with uow:
        rows = uow.session.scalars(
            select(RiskAssessmentRow)
            .where(RiskAssessmentRow.status == status)
            .order_by(
                RiskAssessmentRow.score.desc(),
                RiskAssessmentRow.placed_at,
                RiskAssessmentRow.order_id,
            )
            .limit(limit)
        )
        return [risk_read(r) for r in rows]


def decide(
    *, uow: UnitOfWork, order_id: str, data: ReviewOutcome, reviewer: str, policy: Policy
) -> RiskRead:
    """Record a reviewer's outcome on a held order, once: the second decision of the same
    order (or one of an order that is not held) is refused and changes nothing."""
    fraud = data.outcome == "fraud"
    now = utcnow()
    with uow:
        s = uow.session
        row = s.get(RiskAssessmentRow, order_id)
        if row is None:
            raise NotFound(f"Order {order_id!r} has no risk assessment")
        moved = s.execute(
            update(RiskAssessmentRow)
            .where(RiskAssessmentRow.order_id == order_id, RiskAssessmentRow.status == "held")
            .values(
                status="rejected" if fraud else "released",
                outcome=data.outcome,
                review_note=data.note,
                reviewed_by=reviewer[:100],
                reviewed_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if not getattr(moved, "rowcount", 0):
            s.refresh(row)  # another reviewer may have decided it since it was read
            raise InvalidState(f"Order {order_id} is not waiting for a review (it is {row.status})")
        for signal in sorted({str(s["name"]) for s in row.signals}):
            _learn(uow, signal, fraud=fraud, rate=policy.learning_rate)
        s.refresh(row)
        uow.emit(
            "risk.reviewed",
            {"order_id": order_id, "outcome": data.outcome, "status": row.status},
        )
        result = risk_read(row)
        uow.commit()
        RISK_WEIGHTS.forget(uow.db)  # this process screens with the new weights at once
        return result


def _learn(uow: UnitOfWork, signal: str, *, fraud: bool, rate: float) -> None:
    """The update rule of `signals.updated_weight`, applied in one UPDATE so that two
    reviews at once both count (neither overwrites the other's result)."""
    s = uow.session
    if signal not in DEFAULT_WEIGHTS:
        return
    if s.get(RiskWeightRow, signal) is None:
        try:
            with s.begin_nested():
                s.add(
                    RiskWeightRow(
                        signal=signal, weight=DEFAULT_WEIGHTS[signal], confirmed=0, cleared=0,
                        updated_at=utcnow(),
                    )
                )  # fmt: skip
                s.flush()
        except IntegrityError:
            pass  # another review made it first
    factor = (1 + rate) if fraud else (1 - rate)
    moved = RiskWeightRow.weight * factor
    counted = (
        {"confirmed": RiskWeightRow.confirmed + 1}
        if fraud
        else {"cleared": RiskWeightRow.cleared + 1}
    )
    s.execute(
        update(RiskWeightRow)
        .where(RiskWeightRow.signal == signal)
        .values(
            weight=case(
                (moved > MAX_WEIGHT, MAX_WEIGHT), (moved < MIN_WEIGHT, MIN_WEIGHT), else_=moved
            ),
            updated_at=utcnow(),
            **counted,
        )
        .execution_options(synchronize_session=False)
    )


def current_weights(*, uow: UnitOfWork) -> list[WeightRead]:
    with uow:
        rows = {r.signal: r for r in uow.session.scalars(select(RiskWeightRow))}
        return [
            WeightRead(
                signal=name,
                weight=round(rows[name].weight, 4) if name in rows else default,
                default=default,
                confirmed=rows[name].confirmed if name in rows else 0,
                cleared=rows[name].cleared if name in rows else 0,
            )
            for name, default in DEFAULT_WEIGHTS.items()
        ]
