"""Serving recommendations: for a SKU, what was bought or viewed with it; for a profile,
its personal list (or, for a profile with none yet, what sells most). Only what the channel can
sell now is answered: listed, inside its window, and available to promise (or sold on
backorder)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.catalog.queries import listing_states, variants_by_sku
from souk.cdp.product_views import live_profile
from souk.channels.queries import get_channel
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.inventory.availability import atp
from souk.recommendations.models import (
    WHY_PERSONAL,
    Kind,
    Reason,
    Scored,
    cosine,
    why_together,
)
from souk.recommendations.schemas import RecommendationsRead, RecommendedItem
from souk.recommendations.tables import RecItemRow, RecPairRow, RecProfileItemRow

# Buying together says more than looking together.
KIND_WEIGHT = {Kind.BOUGHT: 1.0, Kind.VIEWED: 0.5}
OVERFETCH = 5  # candidates read per answer slot, since some cannot be sold now


def _together(session: Session, sku: str, limit: int) -> list[Scored]:
    best: dict[str, Scored] = {}
    for kind in Kind:
        rows = session.execute(
            select(RecPairRow.other, RecPairRow.count, RecItemRow.count)
            .join(
                RecItemRow,
                (RecItemRow.kind == RecPairRow.kind) & (RecItemRow.sku == RecPairRow.other),
            )
            .where(RecPairRow.kind == kind.value, RecPairRow.sku == sku)
            .order_by(RecPairRow.count.desc(), RecPairRow.other)
            .limit(limit)
        ).all()
        own = session.scalar(
            select(RecItemRow.count).where(RecItemRow.kind == kind.value, RecItemRow.sku == sku)
        )
        for other, both, theirs in rows:
            score = KIND_WEIGHT[kind] * cosine(both, own or 0, theirs)
            if other not in best or score > best[other].score:
                best[other] = Scored(other, score, why_together(kind, sku, both))
    return sorted(best.values(), key=lambda s: (-s.score, s.sku))


def _personal(session: Session, profile: str, limit: int) -> list[Scored]:
    rows = session.execute(
        select(RecProfileItemRow.sku, RecProfileItemRow.score, RecProfileItemRow.why)
        .where(RecProfileItemRow.profile_id == profile)
        .order_by(RecProfileItemRow.score.desc(), RecProfileItemRow.sku)
        .limit(limit)
    ).all()
    return [
        Scored(sku, score, WHY_PERSONAL[Reason(why or Reason.SHOPPERS_LIKE_YOU)])
        for sku, score, why in rows
    ]


def _popular(session: Session, limit: int) -> list[Scored]:
    rows = session.execute(
        select(RecItemRow.sku, RecItemRow.count)
        .where(RecItemRow.kind == Kind.BOUGHT.value)
        .order_by(RecItemRow.count.desc(), RecItemRow.sku)
        .limit(limit)
    ).all()
    top = rows[0][1] if rows else 1
    return [Scored(sku, n / top, f"a best-seller: in {n} orders") for sku, n in rows]


def _sellable(session: Session, channel_code: str, skus: Collection[str]) -> set[str]:
    channel = get_channel(session=session, code=channel_code)
    now = utcnow()
    variants = variants_by_sku(session=session, skus=skus)
    listings = listing_states(
        session=session, channel=channel_code, product_ids={v.product_id for v in variants.values()}
    )
    stock = atp(session=session, channel=channel, skus=list(variants), now=now)
    return {
        sku
        for sku, v in variants.items()
        if (state := listings.get(v.product_id)) is not None
        and state.published
        and state.is_open(now)
        and (stock.get(sku, 0) > 0 or v.allow_backorder)
    }


def recommend(
    *, uow: UnitOfWork, channel: str, profile: str | None, sku: str | None, limit: int
) -> RecommendationsRead:
    if (profile is None) == (sku is None):
        raise ValidationFailed(
            "Ask for one of profile or sku",
            errors=[field_error("query.profile", "give exactly one of profile and sku")],
        )
    with uow:
        session = uow.session
        get_channel(session=session, code=channel)
        if sku is not None:
            if not variants_by_sku(session=session, skus=[sku]):
                raise NotFound(f"No SKU {sku!r}")
            candidates = _together(session, sku, limit * OVERFETCH)
        else:
            assert profile is not None
            live = live_profile(session=session, profile_id=profile)
            if live is None:
                raise NotFound(f"No profile {profile!r}")
            candidates = _personal(session, live, limit * OVERFETCH) or _popular(
                session, limit * OVERFETCH
            )
        sellable = _sellable(session, channel, {c.sku for c in candidates})
    items = [
        RecommendedItem(sku=c.sku, score=round(c.score, 6), why=c.why)
        for c in candidates
        if c.sku in sellable and c.sku != sku
    ][:limit]
    return RecommendationsRead(channel=channel, profile=profile, sku=sku, items=items)
