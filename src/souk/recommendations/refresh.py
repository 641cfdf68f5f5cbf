"""The recommendations job (`souk recs refresh`): add what was bought and viewed since the
last refresh to the pair counts, then recompute the personalised lists.

The pair counts are incremental: each refresh reads only the orders and views after its
watermarks, which it moves in the same transaction as the counts, under a row lock, so
two refreshes at once never count a basket twice. The personal lists are recomputed from
every profile's whole order sequence (their recency decay and ALS have no exact incremental
update); see docs/forecasting.md for the cost.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from souk.cdp.product_views import ProductView, profiles_of_orders, views_after, views_of
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.orders.baskets import baskets_after
from souk.recommendations.als import VIEW_WEIGHT, Interaction
from souk.recommendations.models import Kind, Reason, new_pairs, pair_counts
from souk.recommendations.personal import personal_lists
from souk.recommendations.tables import (
    RecItemRow,
    RecPairRow,
    RecProfileItemRow,
    RecWatermarkRow,
)

BATCH = 2000
CHUNK = 500


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    baskets: int
    views: int
    profiles: int
    seconds: float


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _add_counts(
    session: Session, kind: Kind, pairs: Counter[tuple[str, str]], items: Counter[str]
) -> None:
    insert_ = _insert(session)
    rows = [{"kind": kind.value, "sku": a, "other": b, "count": n} for (a, b), n in pairs.items()]
    for start in range(0, len(rows), CHUNK):
        stmt = insert_(RecPairRow).values(rows[start : start + CHUNK])
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["kind", "sku", "other"],
                set_={"count": RecPairRow.count + stmt.excluded["count"]},
            )
        )
    rows = [{"kind": kind.value, "sku": s, "count": n} for s, n in items.items()]
    for start in range(0, len(rows), CHUNK):
        stmt = insert_(RecItemRow).values(rows[start : start + CHUNK])
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["kind", "sku"],
                set_={"count": RecItemRow.count + stmt.excluded["count"]},
            )
        )


def _watermarks(db: Database) -> None:
    with UnitOfWork(db) as uow:
        stmt = _insert(uow.session)(RecWatermarkRow).values(
            [{"name": n, "value": v, "updated_at": utcnow()} for n, v in (("orders", ""),
             ("views", "0"))]
        )  # fmt: skip
        uow.session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
        uow.commit()


def _lock(session: Session) -> dict[str, RecWatermarkRow]:
    rows = session.scalars(select(RecWatermarkRow).with_for_update()).all()
    return {row.name: row for row in rows}


def _view_groups(session: Session, views: list[ProductView], upto: int) -> tuple[Any, Any]:
    """Pairs gained by browsing days (profile × UTC day) that new views joined."""
    fresh: dict[tuple[str, Any], set[str]] = defaultdict(set)
    for v in views:
        fresh[(v.profile_id, v.at.date())].add(v.sku)
    days = [day for _, day in fresh]
    start = datetime.combine(min(days), datetime.min.time(), tzinfo=views[0].at.tzinfo)
    end = datetime.combine(max(days), datetime.min.time(), tzinfo=views[0].at.tzinfo)
    seen: dict[tuple[str, Any], set[str]] = defaultdict(set)
    for v in views_of(
        session=session, profile_ids={p for p, _ in fresh}, start=start,
        end=end + timedelta(days=1), upto=upto,
    ):  # fmt: skip
        seen[(v.profile_id, v.at.date())].add(v.sku)
    pairs: Counter[tuple[str, str]] = Counter()
    items: Counter[str] = Counter()
    for key, skus in fresh.items():
        new = skus - seen[key]
        items.update(new)
        once = list(new_pairs(new, seen[key]))
        pairs.update(once)
        pairs.update((b, a) for a, b in once)
    return pairs, items


def add_new_activity(*, db: Database) -> tuple[int, int]:
    """Count the baskets and views since the watermarks; returns how many of each."""
    _watermarks(db)
    baskets = views = 0
    while True:
        with UnitOfWork(db) as uow:
            session = uow.session
            marks = _lock(session)
            new_baskets = baskets_after(session=session, after=marks["orders"].value, limit=BATCH)
            new_views = views_after(session=session, after=int(marks["views"].value), limit=BATCH)
            if not new_baskets and not new_views:
                return baskets, views
            if new_baskets:
                pairs, items = pair_counts(b.lines for b in new_baskets)
                _add_counts(session, Kind.BOUGHT, pairs, items)
                marks["orders"].value = new_baskets[-1].order_id
            if new_views:
                pairs, items = _view_groups(session, new_views, int(marks["views"].value))
                _add_counts(session, Kind.VIEWED, pairs, items)
                marks["views"].value = str(new_views[-1].id)
            for mark in marks.values():
                mark.updated_at = utcnow()
            uow.commit()
            baskets += len(new_baskets)
            views += len(new_views)


def _activity(session: Session) -> tuple[dict[str, list[dict[str, int]]], list[Interaction]]:
    """Each profile's orders oldest first (order ids sort by creation time), and its views."""
    orders: dict[str, list[dict[str, int]]] = defaultdict(list)
    after = ""
    while batch := baskets_after(session=session, after=after, limit=BATCH):
        owners = profiles_of_orders(session=session, order_ids=[b.order_id for b in batch])
        for b in batch:
            if b.order_id in owners:
                orders[owners[b.order_id]].append(b.lines)
        after = batch[-1].order_id
    views: list[Interaction] = []
    last = 0
    while batch_views := views_after(session=session, after=last, limit=BATCH):
        views.extend(Interaction(v.profile_id, v.sku, VIEW_WEIGHT) for v in batch_views)
        last = batch_views[-1].id
    return orders, views


def refresh(*, db: Database) -> RefreshSummary:
    started = time.perf_counter()
    baskets, new_views = add_new_activity(db=db)
    settings = db.settings
    with UnitOfWork(db, write=False) as uow:
        orders, views = _activity(uow.session)
    lists = personal_lists(
        orders=orders, views=views, factors=settings.recs_factors,
        per_profile=settings.recs_per_profile,
    )  # fmt: skip
    now = utcnow()
    # Built before the write transaction, which then only replaces the rows (on SQLite it
    # holds the database's write lock).
    bought = {p: {sku for order in history for sku in order} for p, history in orders.items()}
    rows = [
        {
            "profile_id": p, "sku": s, "score": score, "computed_at": now,
            "why": (
                Reason.BOUGHT_BEFORE if s in bought.get(p, ()) else Reason.SHOPPERS_LIKE_YOU
            ).value,
        }
        for p, items in lists.items()
        for s, score in items
    ]  # fmt: skip
    with UnitOfWork(db) as uow:
        uow.session.execute(delete(RecProfileItemRow))
        for start in range(0, len(rows), CHUNK):
            uow.session.execute(insert(RecProfileItemRow), rows[start : start + CHUNK])
        uow.commit()
    return RefreshSummary(baskets, new_views, len(lists), time.perf_counter() - started)
