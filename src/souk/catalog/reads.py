"""Reading products for the admin API: one product, or a page of them, fully loaded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from souk.api.pagination import decode_cursor, encode_cursor
from souk.catalog.queries import listing_state_from
from souk.catalog.schemas import EarlyAccessRead, ListingRead, ProductRead, VariantRead
from souk.catalog.tables import CategoryRow, ListingRow, ProductRow
from souk.channels.tables import ChannelRow
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound
from souk.text import cursor_key


def find_product(session: Session, handle: str) -> ProductRow:
    row = session.scalar(
        select(ProductRow)
        .where(ProductRow.handle == handle)
        .options(selectinload(ProductRow.variants), selectinload(ProductRow.translations))
    )
    if row is None:
        raise NotFound(f"No product {handle!r}")
    return row


def listing_read(row: ListingRow, channel: str, now: datetime) -> ListingRead:
    state = listing_state_from(
        row.published,
        row.available_from,
        row.available_until,
        row.hold_stock,
        row.hold_minutes,
        row.early_access_from,
        row.early_access_tiers,
    )
    early = None
    if state.early_from is not None:
        early = EarlyAccessRead(tiers=sorted(state.early_tiers), from_=state.early_from)
    return ListingRead(
        channel=channel,
        published=state.published,
        available_from=state.available_from,
        available_until=state.available_until,
        hold_stock=state.hold_stock,
        hold_minutes=state.hold_minutes,
        early_access=early,
        open=state.is_open(now),
    )


def to_reads(session: Session, rows: Sequence[ProductRow]) -> list[ProductRead]:
    ids = [r.id for r in rows]
    category_ids = {r.category_id for r in rows if r.category_id is not None}
    categories: dict[int, str] = {}
    if category_ids:
        query = select(CategoryRow.id, CategoryRow.code).where(CategoryRow.id.in_(category_ids))
        categories = {row[0]: row[1] for row in session.execute(query)}
    listings: dict[int, list[ListingRead]] = defaultdict(list)
    now = utcnow()
    if ids:
        for listing, channel in session.execute(
            select(ListingRow, ChannelRow.code)
            .join(ChannelRow, ChannelRow.id == ListingRow.channel_id)
            .where(ListingRow.product_id.in_(ids))
            .order_by(ChannelRow.code)
        ):
            listings[listing.product_id].append(listing_read(listing, channel, now))
    return [
        ProductRead(
            handle=row.handle,
            title={t.locale: t.title for t in sorted(row.translations, key=lambda t: t.locale)},
            description={
                t.locale: t.description
                for t in sorted(row.translations, key=lambda t: t.locale)
                if t.description is not None
            },
            category=categories.get(row.category_id) if row.category_id else None,
            attributes=dict(row.attributes or {}),
            variants=[
                VariantRead(
                    sku=v.sku,
                    options=dict(v.options or {}),
                    barcode=v.barcode,
                    weight_g=v.weight_g,
                    allow_backorder=v.allow_backorder,
                )
                for v in row.variants
            ],
            listings=listings[row.id],
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def get_product(*, uow: UnitOfWork, handle: str) -> ProductRead:
    with uow:
        return to_reads(uow.session, [find_product(uow.session, handle)])[0]


def list_products(
    *,
    uow: UnitOfWork,
    limit: int = 50,
    cursor: str | None = None,
    category: str | None = None,
) -> tuple[list[ProductRead], str | None]:
    """Products by handle, a keyset page at a time."""
    after = cursor_key(decode_cursor(cursor), str)
    with uow:
        query = select(ProductRow).options(
            selectinload(ProductRow.variants), selectinload(ProductRow.translations)
        )
        if after:
            query = query.where(ProductRow.handle > str(after[0]))
        if category is not None:
            query = query.join(CategoryRow, CategoryRow.id == ProductRow.category_id).where(
                CategoryRow.code == category
            )
        rows = list(uow.session.scalars(query.order_by(ProductRow.handle).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].handle]) if more else None
        return to_reads(uow.session, rows), next_cursor
