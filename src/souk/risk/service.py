"""Screening orders, holding the risky ones, and learning from reviews.

An order is screened once (its assessment's primary key is the order id): by the
`order.placed` handler as a rule, or by whichever comes first of a fulfilment transition
and a read of its risk, so that no unit moves before the order was looked at. Orders that
score `review` or `reject` are held: fulfilment refuses to move them (see
`souk.fulfilment.release`) until a reviewer releases them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.db.base import table_of, utcnow
from souk.db.dialects import dialect_of, upsert_insert_for
from souk.db.reference import ReferenceCache
from souk.errors import NotFound
from souk.fulfilment.release import ReleaseCheck
from souk.orders.placed import PlacedOrder, read_placed
from souk.risk.facts import facts_of, keys_of
from souk.risk.signals import DEFAULT_WEIGHTS, Decision, Limits, assess
from souk.risk.tables import RiskAssessmentRow, RiskWeightRow
from souk.settings import Settings

# Orders a shopper placed online; a sale at the till or a marketplace's import was paid
# for in front of staff or screened by the marketplace.
SCREENED_SOURCES = frozenset({"checkout"})
HOLDING = frozenset({"held", "rejected"})


@dataclass(frozen=True, slots=True)
class Policy:
    review_at: int
    reject_at: int
    high_value: dict[str, int]
    learning_rate: float
    limits: Limits

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            review_at=settings.risk_review_threshold,
            reject_at=settings.risk_reject_threshold,
            high_value=dict(settings.risk_high_value),
            learning_rate=settings.risk_learning_rate,
            limits=Limits(new_account_days=settings.risk_new_account_days),
        )


# The learnt weights, read once per reference-cache period rather than for every order: they
# move only when a reviewer decides a held order (which forgets them in that process).
RISK_WEIGHTS = ReferenceCache("risk weights")


_assessments = table_of(RiskAssessmentRow)


@cache
def _insert_assessment(dialect: str) -> Any:
    # One statement, where a savepoint around an ORM insert took three: a concurrent
    # screening of the same order that committed first keeps its assessment. Built once
    # per back end: every placed order is screened.
    return (
        upsert_insert_for(dialect, _assessments)
        .on_conflict_do_nothing(index_elements=["order_id"])
        .returning(_assessments.c.order_id)
    )


def weights(session: Session) -> dict[str, float]:
    def load() -> dict[str, float]:
        learnt = {r.signal: r.weight for r in session.scalars(select(RiskWeightRow))}
        return {name: learnt.get(name, default) for name, default in DEFAULT_WEIGHTS.items()}

    return dict(RISK_WEIGHTS.get(session, "weights", load))


def screen(
    session: Session,
    order_id: str,
    policy: Policy,
    *,
    order: PlacedOrder | None = None,
    look_first: bool = True,
) -> RiskAssessmentRow | None:
    """The order's assessment, made now if it has none (None: not an order Souk screens).
    Runs in the caller's transaction; a concurrent screening of the same order wins and its
    assessment is returned. `look_first=False` (the order.placed reaction, which nearly
    always sees an order first) skips the look for an assessment: the insert finds one."""
    found = session.get(RiskAssessmentRow, order_id) if look_first else None
    if found is not None:
        return found
    if order is None:
        try:
            order = read_placed(session, order_id)
        except NotFound:
            return None
    if order.source not in SCREENED_SOURCES:
        return None
    keys = keys_of(order)
    facts = facts_of(session, order, keys, high_value=policy.high_value)
    score, decision, signals = assess(
        facts,
        weights(session),
        policy.limits,
        review_at=policy.review_at,
        reject_at=policy.reject_at,
    )
    row = RiskAssessmentRow(
        order_id=order.id,
        channel=order.channel,
        score=score,
        decision=decision.value,
        status="clear" if decision is Decision.ACCEPT else "held",
        signals=[{"name": s.name, "weight": s.weight, "detail": s.detail} for s in signals],
        card_key=keys.card,
        email_key=keys.email,
        ip=keys.ip,
        device=keys.device,
        placed_at=order.placed_at,
        assessed_at=utcnow(),
    )
    fields = {c.key: getattr(row, c.key) for c in _assessments.columns}
    inserted = session.execute(_insert_assessment(dialect_of(session)), fields).first()
    if inserted is None:
        return session.get(RiskAssessmentRow, order_id)
    return row


def release_check(policy: Policy) -> ReleaseCheck:
    """The fulfilment release check: screen if need be, then refuse while held."""

    def check(session: Session, order_id: str) -> str | None:
        row = screen(session, order_id, policy)
        if row is None or row.status not in HOLDING:
            return None
        if row.status == "rejected":
            return f"Order {order_id} was rejected as fraudulent on review: cancel it"
        return (
            f"Order {order_id} is on hold for a fraud review (score {row.score}, "
            f"{row.decision}): decide it in the review queue first"
        )

    return check
