"""How other domains read the catalog, inside their own transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from souk.catalog.tables import CategoryRow, ProductRow, VariantRow


@dataclass(frozen=True, slots=True)
class VariantInfo:
    sku: str
    variant_id: int
    product_id: int
    product_handle: str
    category: str | None
    weight_g: int | None
    allow_backorder: bool


def variants_by_sku(*, session: Session, skus: Collection[str]) -> dict[str, VariantInfo]:
    """The variants among `skus` that exist; a missing SKU is simply absent."""
    if not skus:
        return {}
    rows = session.execute(
        select(
            VariantRow.sku,
            VariantRow.id,
            VariantRow.product_id,
            ProductRow.handle,
            CategoryRow.code,
            VariantRow.weight_g,
            VariantRow.allow_backorder,
        )
        .join(ProductRow, ProductRow.id == VariantRow.product_id)
        .outerjoin(CategoryRow, CategoryRow.id == ProductRow.category_id)
        .where(VariantRow.sku.in_(list(set(skus))))
    )
    return {
        sku: VariantInfo(sku, vid, pid, handle, category, weight, bool(backorder))
        for sku, vid, pid, handle, category, weight, backorder in rows
    }
