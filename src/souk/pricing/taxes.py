"""Tax rates per country, narrowed by region and product category."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from souk.channels.locales import is_country
from souk.db.base import utcnow
from souk.db.reference import TAX_RATES
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists, ValidationFailed, field_error
from souk.pricing.models import format_rate, scope_of
from souk.pricing.schemas import TaxRateCreate, TaxRateRead
from souk.pricing.tables import TaxRateRow


def _read(row: TaxRateRow) -> TaxRateRead:
    return TaxRateRead(
        country=row.country,
        region=row.region,
        category=row.category,
        rate=format_rate(Decimal(row.rate)),
        name=row.name,
        updated_at=row.updated_at,
    )


def create_tax_rate(*, uow: UnitOfWork, data: TaxRateCreate) -> TaxRateRead:
    if not is_country(data.country):
        raise ValidationFailed(
            "Unknown country",
            errors=[field_error("body.country", "not an ISO 3166-1 alpha-2 country code")],
        )
    scope = scope_of(data.country, data.region, data.category)
    with uow:
        session = uow.session
        if session.scalar(select(TaxRateRow.id).where(TaxRateRow.scope == scope)):
            raise AlreadyExists(f"A tax rate for {scope} already exists")
        row = TaxRateRow(
            scope=scope,
            country=data.country,
            region=data.region,
            category=data.category,
            rate=Decimal(data.rate),
            name=data.name,
            updated_at=utcnow(),
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(f"A tax rate for {scope} already exists") from exc
        result = _read(row)
        uow.commit()
        TAX_RATES.forget(uow.db)
        return result


def list_tax_rates(*, uow: UnitOfWork, country: str | None = None) -> list[TaxRateRead]:
    with uow:
        query = select(TaxRateRow).order_by(TaxRateRow.scope)
        if country is not None:
            query = query.where(TaxRateRow.country == country)
        return [_read(r) for r in uow.session.scalars(query)]
