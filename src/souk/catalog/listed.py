"""What a channel lists: a page of open listings with their localized texts, in one
statement whatever the page size — the catalog's part of the storefront page
(`souk.storefront`), which adds its own condition on prices through `also`.

The statements are built once per shape with bound parameters: building and hashing a
SELECT costs more than running it on a warm database, and a catalog page runs several."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, String, and_, bindparam, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from souk.catalog.tables import (
    CategoryRow,
    ListingRow,
    ProductRow,
    ProductTranslationRow,
)

# The listed product's id, for conditions other domains add to a listing query.
LISTED_PRODUCT_ID = ListingRow.product_id
Condition = Callable[[], Any]


@dataclass(frozen=True, slots=True)
class Filters:
    channel_id: int
    currency: str
    now: datetime
    after_id: int | None = None
    handle: str | None = None
    q: str | None = None
    category_ids: Collection[int] | None = None
    chain: tuple[str, ...] = ("en",)
    # The signed-in shopper's loyalty tier: a drop's early window is open to its members.
    tier: str | None = None


def category_tree_ids(session: Session, code: str) -> list[int]:
    """The category and all its descendants (the table is small: read it whole)."""
    rows = session.execute(select(CategoryRow.id, CategoryRow.code, CategoryRow.parent_id)).all()
    children: dict[int | None, list[int]] = defaultdict(list)
    root = None
    for cid, ccode, parent in rows:
        children[parent].append(cid)
        if ccode == code:
            root = cid
    if root is None:
        return []
    found, todo = [], [root]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children[current])
    return found


def _like(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _tier_pattern(tier: str | None) -> str | None:
    if tier is None:
        return None
    escaped = tier.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f'%"{escaped}"%'


CHAIN_SLOTS = 4  # fallback_chain gives at most: locale, its language, default, its language


def _localized(column: Any, *, need: Any = None) -> Any:
    """The product's text in the first locale of the fallback chain that has one, else in
    any locale (the first by tag): one correlated subquery, so that a page's texts come with
    its rows."""
    t = aliased(ProductTranslationRow)
    rank = case(
        *((t.locale == bindparam(f"locale_{i}"), i) for i in range(CHAIN_SLOTS)),
        else_=CHAIN_SLOTS,
    )
    query = select(getattr(t, column)).where(t.product_id == ListingRow.product_id)
    if need is not None:
        query = query.where(getattr(t, need).is_not(None))
    return query.order_by(rank, t.locale).limit(1).correlate(ListingRow).scalar_subquery()


@cache
def _listed_statement(
    by_handle: bool, after: bool, by_category: bool, search: bool, also: Condition | None
) -> Any:
    now: BindParameter[datetime] = bindparam("now")
    query = (
        select(
            ProductRow.id,
            ProductRow.handle,
            CategoryRow.code,
            ProductRow.attributes,
            ListingRow.available_from,
            ListingRow.available_until,
            ListingRow.hold_stock,
            ListingRow.hold_minutes,
            _localized("title"),
            _localized("description", need="description"),
        )
        .select_from(ListingRow)
        .join(ProductRow, ProductRow.id == ListingRow.product_id)
        .outerjoin(CategoryRow, CategoryRow.id == ProductRow.category_id)
        .where(
            ListingRow.channel_id == bindparam("channel_id"),
            ListingRow.published.is_(True),
            or_(
                ListingRow.available_from.is_(None),
                ListingRow.available_from <= now,
                and_(
                    ListingRow.early_access_from <= now,
                    # The tier codes as JSON text; the pattern is '%"<tier>"%' (NULL for a
                    # guest, which matches nothing).
                    cast(ListingRow.early_access_tiers, String).like(
                        bindparam("early_pattern"), escape="\\"
                    ),
                ),
            ),
            or_(ListingRow.available_until.is_(None), ListingRow.available_until > now),
        )
    )
    if also is not None:
        query = query.where(also())
    if by_handle:
        query = query.where(ProductRow.handle == bindparam("handle"))
    if after:
        query = query.where(ListingRow.product_id > bindparam("after_id"))
    if by_category:
        query = query.where(ProductRow.category_id.in_(bindparam("category_ids", expanding=True)))
    if search:
        pattern: BindParameter[str] = bindparam("pattern")
        titled = exists().where(
            ProductTranslationRow.product_id == ListingRow.product_id,
            func.lower(ProductTranslationRow.title).like(pattern, escape="\\"),
        )
        query = query.where(or_(ProductRow.handle.like(pattern, escape="\\"), titled))
    return query.order_by(ListingRow.product_id).limit(bindparam("limit"))


def listed_products(
    session: Session,
    filters: Filters,
    limit: int,
    *,
    also: Condition | None = None,
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """Rows (id, handle, category, attributes, window…, title, description) of products
    open in the channel, in product order, after the cursor, with their texts in the first
    locale of `filters.chain` that has them. `also` builds one more condition on
    `LISTED_PRODUCT_ID` (the same function each time: the statement is built once per
    shape), with its bound `params`."""
    statement = _listed_statement(
        filters.handle is not None,
        filters.after_id is not None,
        filters.category_ids is not None,
        bool(filters.q),
        also,
    )
    params = {
        **(params or {}),
        "channel_id": filters.channel_id,
        "now": filters.now,
        "limit": limit,
        "early_pattern": _tier_pattern(filters.tier),
    }
    chain = list(filters.chain)[:CHAIN_SLOTS]
    chain += [chain[-1]] * (CHAIN_SLOTS - len(chain))
    params.update({f"locale_{i}": tag for i, tag in enumerate(chain)})
    if filters.handle is not None:
        params["handle"] = filters.handle
    if filters.after_id is not None:
        params["after_id"] = filters.after_id
    if filters.category_ids is not None:
        params["category_ids"] = list(filters.category_ids)
    if filters.q:
        params["pattern"] = _like(filters.q)
    return list(session.execute(statement, params))
