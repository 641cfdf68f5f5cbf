"""Product use cases: create, change and delete products with their variants and texts."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from souk.catalog.reads import find_product, to_reads
from souk.catalog.schemas import ProductCreate, ProductRead, ProductUpdate, VariantIn
from souk.catalog.tables import CategoryRow, ProductRow, ProductTranslationRow, VariantRow
from souk.channels.locales import normalize_locale
from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists, Conflict, ValidationFailed, field_error

VARIANT_FIELDS = ("options", "barcode", "weight_g", "allow_backorder")

# Other domains keep history about variants (the inventory ledger); they register here which
# variants are in use, so that deleting them is refused rather than wiping that history.
InUseCheck = Callable[[Session, Collection[int]], set[int]]
_in_use_checks: list[InUseCheck] = []


def register_in_use_check(check: InUseCheck) -> None:
    _in_use_checks[:] = [check]


def _refuse_if_in_use(session: Session, variants: Collection[VariantRow]) -> None:
    ids = {v.id for v in variants}
    used = set().union(*(check(session, ids) for check in _in_use_checks)) if ids else set()
    if used:
        skus = sorted(v.sku for v in variants if v.id in used)
        raise Conflict(
            f"{', '.join(skus)} have stock history: withdraw the product from its channels "
            "(DELETE its listings) instead of deleting it"
        )


def canonical_texts(
    texts: Mapping[str, str | None], field: str, errors: list[dict[str, Any]]
) -> dict[str, str | None]:
    """Texts keyed by canonical locale (`fr_ca` → `fr-CA`); unknown locales are errors."""
    result: dict[str, str | None] = {}
    for tag, text in texts.items():
        canonical = normalize_locale(tag)
        if canonical is None:
            errors.append(field_error(f"body.{field}.{tag}", f"unknown locale {tag!r}"))
        elif canonical in result:
            errors.append(field_error(f"body.{field}.{tag}", f"{canonical} given twice"))
        else:
            result[canonical] = text
    return result


def category_id(session: Session, code: str | None) -> int | None:
    """The category's id; a category named for the first time is created on the way, so
    that a product can be filed without a separate call."""
    if code is None:
        return None
    found = session.scalar(select(CategoryRow.id).where(CategoryRow.code == code))
    if found is not None:
        return found
    row = CategoryRow(code=code, names={})
    session.add(row)
    session.flush()
    return row.id


def _duplicate_skus(variants: list[VariantIn], errors: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for i, variant in enumerate(variants):
        if variant.sku in seen:
            errors.append(field_error(f"body.variants.{i}.sku", f"{variant.sku} given twice"))
        seen.add(variant.sku)


def _taken_skus(session: Session, skus: list[str], product_id: int | None = None) -> list[str]:
    if not skus:
        return []
    query = select(VariantRow.sku).where(VariantRow.sku.in_(skus))
    if product_id is not None:
        query = query.where(VariantRow.product_id != product_id)
    return sorted(session.scalars(query))


def _set_translations(
    row: ProductRow, titles: dict[str, str | None], descriptions: dict[str, str | None]
) -> None:
    by_locale = {t.locale: t for t in row.translations}
    for locale, title in titles.items():
        if title is None:
            if locale in by_locale:
                row.translations.remove(by_locale.pop(locale))
        elif locale in by_locale:
            by_locale[locale].title = title
        else:
            by_locale[locale] = ProductTranslationRow(locale=locale, title=title)
            row.translations.append(by_locale[locale])
    for locale, text in descriptions.items():
        if locale in by_locale:
            by_locale[locale].description = text


def create_product(*, uow: UnitOfWork, data: ProductCreate) -> ProductRead:
    with uow:
        session = uow.session
        errors: list[dict[str, Any]] = []
        titles = canonical_texts(data.title, "title", errors)
        descriptions = canonical_texts(data.description or {}, "description", errors)
        for locale in descriptions:
            if locale not in titles:
                errors.append(field_error(f"body.description.{locale}", "no title in this locale"))
        _duplicate_skus(data.variants, errors)
        if errors:
            raise ValidationFailed("The product is not valid", errors=errors)
        if session.scalar(select(ProductRow.id).where(ProductRow.handle == data.handle)):
            raise AlreadyExists(f"A product {data.handle!r} already exists")
        taken = _taken_skus(session, [v.sku for v in data.variants])
        if taken:
            raise AlreadyExists(
                f"SKU already in use: {', '.join(taken)}",
                errors=[field_error("body.variants", f"SKU {sku} already exists") for sku in taken],
            )
        now = utcnow()
        row = ProductRow(
            handle=data.handle,
            category_id=category_id(session, data.category),
            attributes=data.attributes or {},
            created_at=now,
            updated_at=now,
            variants=[
                VariantRow(sku=v.sku, **v.model_dump(include=set(VARIANT_FIELDS)))
                for v in data.variants
            ],
            translations=[],
        )
        _set_translations(row, titles, descriptions)
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:  # a concurrent create took the handle or a SKU
            raise AlreadyExists("The handle or a SKU was taken meanwhile") from exc
        result = to_reads(session, [row])[0]
        uow.emit("product.created", {"product": row.handle})
        uow.commit()
        return result


def update_product(*, uow: UnitOfWork, handle: str, data: ProductUpdate) -> ProductRead:
    with uow:
        session = uow.session
        row = find_product(session, handle)
        errors: list[dict[str, Any]] = []
        titles = canonical_texts(data.title or {}, "title", errors)
        descriptions = canonical_texts(data.description or {}, "description", errors)
        variants = data.variants or []
        _duplicate_skus(variants, errors)
        remaining_titles = {t.locale for t in row.translations} | {
            k for k, v in titles.items() if v is not None
        }
        remaining_titles -= {k for k, v in titles.items() if v is None}
        if not remaining_titles:
            errors.append(field_error("body.title", "a product keeps at least one title"))
        for locale in descriptions:
            if locale not in remaining_titles:
                errors.append(field_error(f"body.description.{locale}", "no title in this locale"))
        existing = {v.sku: v for v in row.variants}
        removed = set(data.remove_skus or [])
        for sku in sorted(removed - set(existing)):
            errors.append(field_error("body.remove_skus", f"{sku} is not a variant of {handle}"))
        if not (set(existing) - removed) and not [v for v in variants if v.sku not in removed]:
            errors.append(field_error("body.remove_skus", "a product keeps at least one variant"))
        if errors:
            raise ValidationFailed("The change is not valid", errors=errors)
        taken = _taken_skus(session, [v.sku for v in variants if v.sku not in existing], row.id)
        if taken:
            raise AlreadyExists(f"SKU already in use: {', '.join(taken)}")
        _set_translations(row, titles, descriptions)
        if "category" in data.model_fields_set:
            row.category_id = category_id(session, data.category)
        if data.attributes is not None:
            row.attributes = data.attributes
        for variant in variants:
            target = existing.get(variant.sku)
            if target is None:
                fields = variant.model_dump(include=set(VARIANT_FIELDS))
                row.variants.append(VariantRow(sku=variant.sku, **fields))
                continue
            for name in VARIANT_FIELDS:
                if name in variant.model_fields_set:
                    setattr(target, name, getattr(variant, name))
        _refuse_if_in_use(session, [existing[sku] for sku in removed])
        for sku in removed:
            row.variants.remove(existing[sku])
        row.updated_at = utcnow()
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict("A SKU was taken meanwhile, or a removed one is still in use") from exc
        result = to_reads(session, [row])[0]
        uow.emit("product.updated", {"product": row.handle})
        uow.commit()
        return result


def delete_product(*, uow: UnitOfWork, handle: str) -> None:
    with uow:
        session = uow.session
        row = find_product(session, handle)
        _refuse_if_in_use(session, row.variants)
        try:
            session.execute(delete(ProductRow).where(ProductRow.id == row.id))
            session.flush()
        except IntegrityError as exc:
            # Stock, carts or orders still point at its variants: history must not dangle.
            raise Conflict(
                f"{handle!r} is still referenced (stock, carts or orders); unpublish it instead"
            ) from exc
        uow.emit("product.deleted", {"product": handle})
        uow.commit()
