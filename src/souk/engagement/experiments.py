"""A/B experiments: a standalone one a storefront asks for layouts, or one inside a journey
that varies its message and coupon. Assignment is a hash of (experiment, profile), so it
needs no lookup and never changes; the first assignment asked for, or the first message
sent, is the exposure; an order placed by an exposed profile within the attribution window
is its conversion (once per profile and experiment)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from souk.cdp import queries as cdp
from souk.db.base import new_id, table_of, utcnow
from souk.db.reference import ReferenceCache
from souk.db.uow import UnitOfWork
from souk.engagement import templates
from souk.engagement.models import Variant, assign
from souk.engagement.rows import insert_once
from souk.engagement.schemas import (
    AssignmentRead,
    ExperimentCreate,
    ExperimentIn,
    ExperimentRead,
    ExperimentVariantIn,
    ExperimentVariantRead,
)
from souk.engagement.tables import ExperimentRow, ExposureRow
from souk.errors import NotFound, ValidationFailed, field_error


def variant_problems(variants: list[ExperimentVariantIn], field: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    names = [v.name for v in variants]
    for i, name in enumerate(names):
        if name in names[:i]:
            found.append(field_error(f"{field}.variants.{i}.name", f"{name!r} is used twice"))
    for i, v in enumerate(variants):
        if v.template is not None:
            dumped = {k: t.model_dump() for k, t in v.template.items()}
            found += templates.problems(dumped, f"{field}.variants.{i}.template")
    return found


def add(uow: UnitOfWork, *, name: str, data: ExperimentIn) -> ExperimentRow:
    row = ExperimentRow(
        id=new_id("exp"),
        name=name,
        variants=[v.model_dump(exclude_none=True) for v in data.variants],
        min_exposures=data.min_exposures,
        alpha=str(Decimal(str(data.alpha))),
        attribution_days=data.attribution_days,
        created_at=utcnow(),
    )
    uow.session.add(row)
    return row


def experiment_read(row: ExperimentRow) -> ExperimentRead:
    return ExperimentRead(
        id=row.id,
        name=row.name,
        variants=[ExperimentVariantRead(**v) for v in row.variants],
        min_exposures=row.min_exposures,
        alpha=float(row.alpha),
        attribution_days=row.attribution_days,
        created_at=row.created_at,
    )


def create_experiment(*, uow: UnitOfWork, data: ExperimentCreate) -> ExperimentRead:
    problems = variant_problems(data.variants, "body")
    if problems:
        raise ValidationFailed("The experiment cannot be saved", errors=problems)
    with uow:
        row = add(uow, name=data.name, data=data)
        uow.session.flush()
        result = experiment_read(row)
        uow.commit()
        EXPERIMENTS.forget(uow.db)
        return result


def load(uow: UnitOfWork, experiment_id: str) -> ExperimentRow:
    row = uow.session.get(ExperimentRow, experiment_id)
    if row is None:
        raise NotFound(f"No experiment {experiment_id!r}")
    return row


def get_experiment(*, uow: UnitOfWork, experiment_id: str) -> ExperimentRead:
    with uow:
        return experiment_read(load(uow, experiment_id))


def variant_of(row: ExperimentRow, profile_id: str) -> str:
    return assign(row.id, profile_id, [Variant(v["name"], int(v["weight"])) for v in row.variants])


def expose(uow: UnitOfWork, row: ExperimentRow, profile_id: str, at: datetime) -> str:
    variant = variant_of(row, profile_id)
    insert_once(
        uow.session,
        ExposureRow,
        {
            "experiment_id": row.id,
            "profile_id": profile_id,
            "variant": variant,
            "exposed_at": at,
        },
    )
    return variant


def assignment(*, uow: UnitOfWork, experiment_id: str, profile_id: str) -> AssignmentRead:
    """The storefront asks which layout to show: the answer is the exposure."""
    with uow:
        row = load(uow, experiment_id)
        root = cdp.root(uow.session, profile_id)
        if root is None:
            raise ValidationFailed(
                "Unknown profile",
                errors=[field_error("query.profile", f"no profile {profile_id!r}")],
            )
        variant = expose(uow, row, root, utcnow())
        uow.commit()
        return AssignmentRead(experiment=row.id, profile=root, variant=variant)


_exposures, _experiments = table_of(ExposureRow), table_of(ExperimentRow)
# Built once, in Core: every placed order of a known buyer reads it.
_OPEN_EXPOSURES = (
    select(_exposures.c.id, _exposures.c.exposed_at, _experiments.c.attribution_days)
    .join(_experiments, _experiments.c.id == _exposures.c.experiment_id)
    .where(_exposures.c.profile_id == bindparam("profile"), _exposures.c.converted_order.is_(None))
)


# Whether any experiment exists (none is ever deleted), kept by each process for
# SOUK_REFERENCE_CACHE_MS: a shop that runs none, the common case, reads no exposure for
# each placed order. The process that creates one forgets its copy at commit; another
# converts exposures to it from within that time after its creation.
EXPERIMENTS = ReferenceCache("experiments")
_ANY_EXPERIMENT = select(_experiments.c.id).limit(1)


def any_experiment(session: Session) -> bool:
    return EXPERIMENTS.get(
        session, "any", lambda: session.execute(_ANY_EXPERIMENT).first() is not None
    )


def open_exposures(session: Session, profile_id: str, placed_at: datetime) -> list[str]:
    """The profile's exposures not converted yet whose experiment's window holds an order
    placed at `placed_at`: what that order would convert. A read, so that a placed order
    with nothing to convert takes no write lock."""
    if not any_experiment(session):
        return []
    return [
        exposure_id
        for exposure_id, exposed_at, days in session.execute(
            _OPEN_EXPOSURES, {"profile": profile_id}
        )
        if exposed_at <= placed_at <= exposed_at + timedelta(days=days)
    ]


def convert(*, uow: UnitOfWork, exposures: list[str], order_id: str, placed_at: datetime) -> int:
    """Count `order_id` as the conversion of each of `exposures` (`open_exposures`); returns
    how many it converted."""
    converted = 0
    for exposure_id in exposures:
        # Conditional, so two deliveries of one order.placed convert an exposure once.
        result = uow.session.execute(
            update(ExposureRow)
            .where(ExposureRow.id == exposure_id, ExposureRow.converted_order.is_(None))
            .values(converted_order=order_id, converted_at=placed_at)
        )
        converted += int(getattr(result, "rowcount", 0))
    return converted
