"""Saving and reading journeys. Everything that could make a message fail later is
checked here, once: templates render, the coupon's promotion and the segment exist, an
experiment's variants are named once each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from souk.cdp import queries as cdp
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.engagement import experiments, templates
from souk.engagement.models import Trigger
from souk.engagement.queueing import JOURNEYS
from souk.engagement.schemas import JourneyCreate, JourneyRead, MessageTemplate
from souk.engagement.tables import ExperimentRow, JourneyRow
from souk.errors import NotFound, ValidationFailed, field_error
from souk.promotions.service import load as load_promotion


def _problems(uow: UnitOfWork, data: JourneyCreate) -> list[dict[str, Any]]:
    s = uow.session
    found = templates.problems(_dump(data.template), "body.template")
    if data.trigger is Trigger.SEGMENT_ENTERED and not data.segment:
        found.append(field_error("body.segment", "a segment.entered journey names its segment"))
    if data.segment and not cdp.segment_exists(s, data.segment):
        found.append(field_error("body.segment", f"no segment {data.segment!r}"))
    promotions = [("body.coupon_promotion", data.coupon_promotion)]
    if data.experiment is not None:
        found += experiments.variant_problems(data.experiment.variants, "body.experiment")
        for i, variant in enumerate(data.experiment.variants):
            promotions.append(
                (f"body.experiment.variants.{i}.coupon_promotion", variant.coupon_promotion)
            )
    for field, promotion in promotions:
        if promotion is None:
            continue
        try:
            load_promotion(s, promotion)
        except NotFound:
            found.append(field_error(field, f"no promotion {promotion!r}"))
    return found


def _dump(template: dict[str, MessageTemplate]) -> dict[str, dict[str, str]]:
    return {locale: part.model_dump() for locale, part in template.items()}


def create_journey(*, uow: UnitOfWork, data: JourneyCreate) -> JourneyRead:
    with uow:
        problems = _problems(uow, data)
        if problems:
            raise ValidationFailed("The journey cannot be saved", errors=problems)
        now = utcnow()
        experiment = None
        if data.experiment is not None:
            experiment = experiments.add(uow, name=f"{data.name} (journey)", data=data.experiment)
        row = JourneyRow(
            id=new_id("jny"),
            name=data.name,
            trigger=data.trigger.value,
            delay_s=data.delay_s,
            channel=data.channel.value,
            purpose=data.purpose,
            template=_dump(data.template),
            coupon_promotion=data.coupon_promotion,
            segment=data.segment,
            experiment_id=experiment.id if experiment else None,
            active=data.active,
            created_at=now,
        )
        uow.session.add(row)
        uow.emit("journey.created", {"id": row.id, "trigger": row.trigger})
        uow.session.flush()
        result = journey_read(row, experiment)
        uow.commit()
        JOURNEYS.forget(uow.db)  # this process queues for it at once
        if experiment is not None:
            experiments.EXPERIMENTS.forget(uow.db)
        return result


def journey_read(row: JourneyRow, experiment: ExperimentRow | None) -> JourneyRead:
    return JourneyRead(
        id=row.id,
        name=row.name,
        trigger=Trigger(row.trigger),
        delay_s=row.delay_s,
        channel=row.channel,
        purpose=row.purpose,
        template={k: MessageTemplate(**v) for k, v in row.template.items()},
        coupon_promotion=row.coupon_promotion,
        segment=row.segment,
        experiment=experiments.experiment_read(experiment) if experiment else None,
        active=row.active,
        created_at=row.created_at,
    )


def get_journey(*, uow: UnitOfWork, journey_id: str) -> JourneyRead:
    with uow:
        row = uow.session.get(JourneyRow, journey_id)
        if row is None:
            raise NotFound(f"No journey {journey_id!r}")
        experiment = (
            uow.session.get(ExperimentRow, row.experiment_id) if row.experiment_id else None
        )
        return journey_read(row, experiment)


def list_journeys(*, uow: UnitOfWork, trigger: Trigger | None) -> list[JourneyRead]:
    with uow:
        stmt = select(JourneyRow).order_by(JourneyRow.id)
        if trigger is not None:
            stmt = stmt.where(JourneyRow.trigger == trigger.value)
        rows = list(uow.session.scalars(stmt))
        ids = [r.experiment_id for r in rows if r.experiment_id]
        found = (
            {
                e.id: e
                for e in uow.session.scalars(select(ExperimentRow).where(ExperimentRow.id.in_(ids)))
            }
            if ids
            else {}
        )
        return [journey_read(r, found.get(r.experiment_id or "")) for r in rows]
