"""Categories: a tree of codes with names per locale, for navigation and tax classes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from souk.catalog.schemas import CategoryCreate, CategoryRead
from souk.catalog.service import canonical_texts
from souk.catalog.tables import CategoryRow
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists, ValidationFailed, field_error


def create_category(*, uow: UnitOfWork, data: CategoryCreate) -> CategoryRead:
    with uow:
        session = uow.session
        errors: list[dict[str, Any]] = []
        names = canonical_texts(data.names, "names", errors)
        parent_id = None
        if data.parent is not None:
            parent_id = session.scalar(
                select(CategoryRow.id).where(CategoryRow.code == data.parent)
            )
            if parent_id is None:
                errors.append(field_error("body.parent", f"unknown category {data.parent!r}"))
        if errors:
            raise ValidationFailed("The category is not valid", errors=errors)
        if session.scalar(select(CategoryRow.id).where(CategoryRow.code == data.code)):
            raise AlreadyExists(f"A category {data.code!r} already exists")
        kept = {k: v for k, v in names.items() if v is not None}
        session.add(CategoryRow(code=data.code, parent_id=parent_id, names=kept))
        try:
            session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(f"A category {data.code!r} already exists") from exc
        uow.commit()
        return CategoryRead(code=data.code, names=kept, parent=data.parent)


def list_categories(*, uow: UnitOfWork) -> list[CategoryRead]:
    parent = aliased(CategoryRow)
    with uow:
        rows = uow.session.execute(
            select(CategoryRow.code, CategoryRow.names, parent.code)
            .outerjoin(parent, parent.id == CategoryRow.parent_id)
            .order_by(CategoryRow.code)
        )
        return [CategoryRead(code=c, names=dict(n or {}), parent=p) for c, n, p in rows]
