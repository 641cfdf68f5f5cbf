"""The declarative base every domain's `tables.py` maps onto."""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, MetaData, Table
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC and always read back timezone-aware.

    SQLite keeps no zone, PostgreSQL's timestamptz does; this makes both behave the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


def table_of(model: type[Base]) -> Table:
    """A mapped class's Core table, typed as one (the ORM types `__table__` as any FROM
    clause): for the statements a hot path builds once on the table itself."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def utcnow() -> datetime:
    return datetime.now(UTC)


# The ids minted while a request with an `Idempotency-Key` runs: they name the resource its
# command produced, so that a retry after a crash can answer with it.
minted_ids: ContextVar[list[str] | None] = ContextVar("souk_minted_ids", default=None)


def new_id(prefix: str) -> str:
    """A server id with its type prefix (`ord_…`, `ret_…`), sortable by creation time.

    Not a secret: 48 random bits keep ids unique, not unguessable. An id that by itself
    grants access (an anonymous cart) comes from `new_capability_id`."""
    return _minted(f"{prefix}_{_millis():011x}{secrets.token_hex(6)}")


def _minted(value: str) -> str:
    # The idempotency middleware records which ids a request minted (its outcome).
    minted = minted_ids.get()
    if minted is not None:
        minted.append(value)
    return value


BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CAPABILITY_BITS = 128


def new_capability_id(prefix: str) -> str:
    """An id that is also a bearer capability (`cart_…`: whoever holds an anonymous cart's
    id may read and change it): the creation time, for index locality, then 128 random bits
    as 22 base-62 characters, so that guessing one is as hard as guessing a key. A cart id
    is 38 characters, within the 40 its columns hold."""
    value = secrets.randbits(CAPABILITY_BITS)
    chars = []
    for _ in range(22):  # 62**22 > 2**128
        value, digit = divmod(value, 62)
        chars.append(BASE62[digit])
    return _minted(f"{prefix}_{_millis():011x}{''.join(chars)}")


def _millis() -> int:
    return int(utcnow().timestamp() * 1000)
