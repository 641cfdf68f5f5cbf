"""The one loyalty program: set and read by the admin, read as a value by every use case."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from souk.db.base import utcnow
from souk.db.reference import ReferenceCache
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error
from souk.loyalty.models import EarnRule, Program, Tier
from souk.loyalty.schemas import ProgramBody, ProgramRead
from souk.loyalty.tables import LoyaltyProgramRow
from souk.money import is_currency

PROGRAM_ID = 1


def to_program(definition: dict[str, Any]) -> Program:
    body = ProgramBody.model_validate(definition)
    return Program(
        currency_rates=dict(body.currency_rates),
        point_value=dict(body.point_values),
        earn_rules=tuple(
            EarnRule(
                factor=r.factor,
                channels=frozenset(r.channels),
                categories=frozenset(r.categories),
                skus=frozenset(r.skus),
                bonus=r.bonus,
            )
            for r in body.earn_rules
        ),
        tiers=tuple(
            Tier(
                code=t.code,
                name=t.name,
                threshold_points=t.threshold_points,
                window_days=t.window_days,
                multiplier=t.multiplier,
                benefits=dict(t.benefits),
            )
            for t in body.tiers
        ),
        points_expire_after_days=body.points_expire_after_days,
        pending_days=body.pending_days,
    )


# The program (or its absence), read once per reference-cache period: carts, checkouts and
# every placed order's points ask for it, and it changes a few times a year.
PROGRAM = ReferenceCache("loyalty program")


def load_program(session: Session) -> Program | None:
    def load() -> Program | None:
        row = session.get(LoyaltyProgramRow, PROGRAM_ID)
        return to_program(row.definition) if row is not None else None

    return PROGRAM.get(session, PROGRAM_ID, load)


def put_program(*, uow: UnitOfWork, data: ProgramBody) -> ProgramRead:
    bad = [c for c in (*data.currency_rates, *data.point_values) if not is_currency(c)]
    if bad:
        raise ValidationFailed(
            "Unknown currency",
            errors=[field_error("body.currency_rates", f"{c!r} is not ISO 4217") for c in bad],
        )
    definition = data.model_dump(mode="json")
    now = utcnow()
    with uow:
        row = uow.session.get(LoyaltyProgramRow, PROGRAM_ID, with_for_update=True)
        if row is None:
            uow.session.add(LoyaltyProgramRow(id=PROGRAM_ID, definition=definition, updated_at=now))
        else:
            row.definition, row.updated_at = definition, now
        uow.emit("loyalty.program_changed", {})
        uow.commit()
    PROGRAM.forget(uow.db)
    return ProgramRead.model_validate({**definition, "updated_at": now})


def get_program(*, uow: UnitOfWork) -> ProgramRead:
    with uow:
        row = uow.session.get(LoyaltyProgramRow, PROGRAM_ID)
        if row is None:
            raise NotFound("No loyalty program is set up: PUT /v1/loyalty/program")
        return ProgramRead.model_validate({**row.definition, "updated_at": row.updated_at})
