"""Channel use cases: create, read, list and change the channels a retailer sells through."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from souk.api.pagination import decode_cursor, encode_cursor
from souk.channels.locales import is_country, normalize_locale
from souk.channels.queries import to_channel
from souk.channels.schemas import ChannelCreate, ChannelRead, ChannelUpdate
from souk.channels.tables import ChannelLocationRow, ChannelRow
from souk.db.base import utcnow
from souk.db.reference import CHANNELS
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists, NotFound, ValidationFailed, field_error
from souk.money import is_currency
from souk.text import cursor_key

# Locations belong to the inventory domain, which depends on channels; it registers its
# check here (in wiring.py) so that channels can validate codes without importing it. The
# check returns field errors for codes that are unknown or cannot play their role.
LocationCheck = Callable[[Session, Sequence[str], Sequence[str]], list[dict[str, Any]]]
_location_check: list[LocationCheck] = []


def register_location_check(check: LocationCheck) -> None:
    _location_check[:] = [check]


def _check_locations(session: Session, values: dict[str, Any]) -> list[dict[str, Any]]:
    errors = []
    for role in ("ship_from", "pickup_at"):
        codes = values[role]
        if len(set(codes)) != len(codes):
            errors.append(field_error(f"body.{role}", "lists a location twice"))
    if _location_check:
        errors.extend(_location_check[0](session, values["ship_from"], values["pickup_at"]))
    return errors


def _validated(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Checks the whole channel as it will be stored; returns it with locales canonical."""
    errors = []
    for i, currency in enumerate(values["currencies"]):
        if not is_currency(currency):
            errors.append(field_error(f"body.currencies.{i}", f"{currency!r} is not ISO 4217"))
    if len(set(values["currencies"])) != len(values["currencies"]):
        errors.append(field_error("body.currencies", "lists a currency twice"))
    if not is_currency(values["default_currency"]):
        errors.append(field_error("body.default_currency", "not an ISO 4217 currency code"))
    elif values["default_currency"] not in values["currencies"]:
        errors.append(field_error("body.default_currency", "must be one of `currencies`"))
    locales = []
    for i, tag in enumerate(values["locales"]):
        canonical = normalize_locale(tag)
        if canonical is None:
            errors.append(field_error(f"body.locales.{i}", f"unknown locale {tag!r}"))
        locales.append(canonical or tag)
    if len(set(locales)) != len(locales):
        errors.append(field_error("body.locales", "lists a locale twice"))
    default_locale = normalize_locale(values["default_locale"])
    if default_locale is None:
        errors.append(field_error("body.default_locale", "unknown locale"))
    elif default_locale not in locales:
        errors.append(field_error("body.default_locale", "must be one of `locales`"))
    if not is_country(values["country"]):
        errors.append(field_error("body.country", "not an ISO 3166-1 alpha-2 country code"))
    errors.extend(_check_locations(session, values))
    if errors:
        raise ValidationFailed("The channel is not valid", errors=errors)
    return {**values, "locales": locales, "default_locale": default_locale}


def _set_locations(row: ChannelRow, ship_from: list[str], pickup_at: list[str]) -> None:
    wanted = [("ship_from", code) for code in ship_from] + [("pickup", code) for code in pickup_at]
    existing = {(loc.role, loc.location_code): loc for loc in row.locations}
    kept = []
    for role, code in wanted:
        loc = existing.get((role, code)) or ChannelLocationRow(role=role, location_code=code)
        kept.append(loc)
    row.locations = kept
    for position, loc in enumerate(kept):
        loc.position = position


def to_read(row: ChannelRow) -> ChannelRead:
    return ChannelRead(
        **asdict(to_channel(row)), created_at=row.created_at, updated_at=row.updated_at
    )


def _row(session: Session, code: str) -> ChannelRow:
    row = session.scalar(
        select(ChannelRow)
        .where(ChannelRow.code == code)
        .options(selectinload(ChannelRow.locations))
    )
    if row is None:
        raise NotFound(f"No channel {code!r}")
    return row


def create_channel(*, uow: UnitOfWork, data: ChannelCreate) -> ChannelRead:
    with uow:
        session = uow.session
        if session.scalar(select(ChannelRow.id).where(ChannelRow.code == data.code)):
            raise AlreadyExists(f"A channel {data.code!r} already exists")
        values = _validated(session, data.model_dump(mode="json"))
        now = utcnow()
        row = ChannelRow(
            code=values["code"],
            name=values["name"],
            type=values["type"],
            default_currency=values["default_currency"],
            currencies=values["currencies"],
            default_locale=values["default_locale"],
            locales=values["locales"],
            country=values["country"],
            prices_include_tax=values["prices_include_tax"],
            created_at=now,
            updated_at=now,
            locations=[],
        )
        _set_locations(row, values["ship_from"], values["pickup_at"])
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:  # a concurrent create of the same code won
            raise AlreadyExists(f"A channel {data.code!r} already exists") from exc
        result = to_read(row)
        uow.emit("channel.created", {"channel": row.code})
        uow.commit()
        CHANNELS.forget(uow.db)
        return result


def update_channel(*, uow: UnitOfWork, code: str, data: ChannelUpdate) -> ChannelRead:
    with uow:
        session = uow.session
        row = _row(session, code)
        current = to_read(row).model_dump(mode="json")
        values = _validated(session, {**current, **data.changes()})
        for field in (
            "name",
            "type",
            "default_currency",
            "currencies",
            "default_locale",
            "locales",
            "country",
            "prices_include_tax",
        ):
            setattr(row, field, values[field])
        _set_locations(row, values["ship_from"], values["pickup_at"])
        row.updated_at = utcnow()
        session.flush()
        result = to_read(row)
        uow.emit("channel.updated", {"channel": row.code})
        uow.commit()
        CHANNELS.forget(uow.db)
        return result


def get_channel(*, uow: UnitOfWork, code: str) -> ChannelRead:
    with uow:
        return to_read(_row(uow.session, code))


def list_channels(
    *, uow: UnitOfWork, limit: int = 50, cursor: str | None = None
) -> tuple[list[ChannelRead], str | None]:
    after = cursor_key(decode_cursor(cursor), str)
    with uow:
        query = select(ChannelRow).options(selectinload(ChannelRow.locations))
        if after:
            query = query.where(ChannelRow.code > str(after[0]))
        rows = list(uow.session.scalars(query.order_by(ChannelRow.code).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor([rows[-1].code]) if more else None
        return [to_read(r) for r in rows], next_cursor
