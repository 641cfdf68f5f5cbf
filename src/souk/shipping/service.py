"""Shipping rates, configured by an operator."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from souk.channels.queries import channel_exists
from souk.db.base import utcnow
from souk.db.reference import SHIPPING_RATES
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists, NotFound, ValidationFailed, field_error
from souk.money import is_currency
from souk.shipping.schemas import RatePrice, ShippingRateCreate, ShippingRateRead
from souk.shipping.tables import ShippingRateRow


def _read(row: ShippingRateRow) -> ShippingRateRead:
    return ShippingRateRead(
        code=row.code,
        name=row.name,
        countries=list(row.countries),
        prices=[RatePrice.model_validate(p) for p in row.prices],
        min_weight_g=row.min_weight_g,
        max_weight_g=row.max_weight_g,
        channels=list(row.channels) if row.channels is not None else None,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _validate(uow: UnitOfWork, data: ShippingRateCreate) -> None:
    errors = [
        field_error(f"body.prices.{i}.currency", f"unknown currency {p.currency!r}")
        for i, p in enumerate(data.prices)
        if not is_currency(p.currency)
    ]
    errors += [
        field_error(f"body.channels.{i}", f"unknown channel {code!r}")
        for i, code in enumerate(data.channels or [])
        if not channel_exists(uow, code)
    ]
    if errors:
        raise ValidationFailed("The shipping rate is not valid", errors=errors)


def _fill(row: ShippingRateRow, data: ShippingRateCreate) -> None:
    row.name = data.name
    row.countries = sorted(set(data.countries))
    row.prices = [p.model_dump() for p in data.prices]
    row.min_weight_g = data.min_weight_g
    row.max_weight_g = data.max_weight_g
    row.channels = sorted(set(data.channels)) if data.channels is not None else None
    row.updated_at = utcnow()


def create_rate(*, uow: UnitOfWork, data: ShippingRateCreate) -> ShippingRateRead:
    with uow:
        _validate(uow, data)
        row = ShippingRateRow(code=data.code, created_at=utcnow())
        _fill(row, data)
        uow.session.add(row)
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(
                f"A shipping rate {data.code!r} already exists",
                errors=[field_error("body.code", "already exists")],
            ) from exc
        result = _read(row)
        uow.commit()
        SHIPPING_RATES.forget(uow.db)
        return result


def _get(uow: UnitOfWork, code: str) -> ShippingRateRow:
    row = uow.session.scalar(select(ShippingRateRow).where(ShippingRateRow.code == code))
    if row is None:
        raise NotFound(f"No shipping rate {code!r}")
    return row


def replace_rate(*, uow: UnitOfWork, code: str, data: ShippingRateCreate) -> ShippingRateRead:
    with uow:
        if data.code != code:
            raise ValidationFailed(
                "The code in the body differs from the one in the path",
                errors=[field_error("body.code", f"must be {code!r}")],
            )
        row = _get(uow, code)
        _validate(uow, data)
        _fill(row, data)
        result = _read(row)
        uow.commit()
        SHIPPING_RATES.forget(uow.db)
        return result


def get_rate(*, uow: UnitOfWork, code: str) -> ShippingRateRead:
    with uow:
        return _read(_get(uow, code))


def list_rates(*, uow: UnitOfWork) -> list[ShippingRateRead]:
    with uow:
        rows = uow.session.scalars(select(ShippingRateRow).order_by(ShippingRateRow.code))
        return [_read(r) for r in rows]


def delete_rate(*, uow: UnitOfWork, code: str) -> None:
    with uow:
        uow.session.delete(_get(uow, code))
        uow.commit()
        SHIPPING_RATES.forget(uow.db)
