"""The sender: takes due messages and sends them, each through three short steps.

1. Decide and claim, in one transaction, right before it leaves: the consent for the
   message's purpose and channel is read again (a withdrawal after queueing stops it), the
   cart of a reminder must still be open, the profile's frequency cap and quiet hours are
   applied, the coupon is minted, the template rendered, and the row moves `queued →
   sending` by a conditional UPDATE, so that of two workers only one sends it.
2. Hand it to the provider, outside any transaction.
3. Mark it `sent`. A provider that refused it puts it back in the queue with back-off,
   up to SOUK_ENGAGEMENT_MAX_ATTEMPTS; a process that dies between 2 and 3 leaves it
   `sending`, never to be sent again — once at most, rather than twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from jinja2 import TemplateError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from souk.cdp import queries as cdp
from souk.db.base import utcnow
from souk.db.dialects import upsert_insert
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.engagement import experiments, templates
from souk.engagement.models import Status, Trigger, pick_locale, quiet_until, zone
from souk.engagement.providers import DeliveryFailed, Outgoing, Provider
from souk.engagement.tables import CapLockRow, ExperimentRow, JourneyRow, MessageRow
from souk.engagement.variables import cart_snapshot, cart_variables, order_variables
from souk.promotions.codes import add_personal_code
from souk.settings import Settings

log = logging.getLogger(__name__)
OPTIONAL = ("cart", "order", "coupon", "product", "pickup")


# Where links in messages point when SOUK_PUBLIC_URL is unset: `souk serve`'s own address.


@dataclass(frozen=True, slots=True)
class Rules:
    public_url: str
    max_per_day: int
    quiet_start: time
    quiet_end: time
    default_timezone: str
    default_locale: str
    max_attempts: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        start, end = settings.engagement_quiet_hours.split("-")
        return cls(
            public_url=settings.public_address,
            max_per_day=settings.engagement_max_per_day,
            quiet_start=time.fromisoformat(start),
            quiet_end=time.fromisoformat(end),
            default_timezone=settings.engagement_default_timezone,
            default_locale=settings.engagement_default_locale,
            max_attempts=settings.engagement_max_attempts,
        )


class Sender:
    def __init__(self, db: Database, rules: Rules, providers: dict[str, Provider]) -> None:
        self.db = db
        self.rules = rules
        self.providers = providers

    def send_due(self, *, limit: int = 100, now: datetime | None = None) -> int:
        """Send what is due; returns how many left."""
        at = now or utcnow()
        with UnitOfWork(self.db, write=False) as uow:
            due = list(
                uow.session.scalars(
                    select(MessageRow.id)
                    .where(MessageRow.status == Status.QUEUED.value, MessageRow.send_after <= at)
                    .order_by(MessageRow.send_after, MessageRow.id)
                    .limit(limit)
                )
            )
        return sum(self.send_one(message_id, now=at) for message_id in due)

    def send_one(self, message_id: str, *, now: datetime | None = None) -> bool:
        outgoing = self._claim(message_id, now or utcnow())
        if outgoing is None:
            return False
        provider = self.providers.get(outgoing.channel)
        try:
            if provider is None:
                raise DeliveryFailed(f"no provider for {outgoing.channel}")
            provider.send(outgoing)
        except DeliveryFailed as exc:
            self._failed(message_id, str(exc))
            return False
        with UnitOfWork(self.db) as uow:
            uow.session.execute(
                update(MessageRow)
                .where(MessageRow.id == message_id, MessageRow.status == Status.SENDING.value)
                .values(status=Status.SENT.value, reason=None, last_error=None)
            )
            uow.emit("message.sent", {"id": message_id, "channel": outgoing.channel})
            uow.commit()
        return True

    def _failed(self, message_id: str, error: str) -> None:
        with UnitOfWork(self.db) as uow:
            row = uow.session.get(MessageRow, message_id)
            if row is None or row.status != Status.SENDING.value:
                return
            row.last_error = error[:2000]
            row.sent_at = None
            if row.attempts >= self.rules.max_attempts:
                row.status, row.reason = Status.FAILED.value, "the provider refused it"
            else:
                row.status = Status.QUEUED.value
                row.send_after = utcnow() + timedelta(seconds=min(60 * 2**row.attempts, 3600))
            uow.commit()
        log.warning("message %s not delivered: %s", message_id, error)

    def _claim(self, message_id: str, now: datetime) -> Outgoing | None:
        with UnitOfWork(self.db) as uow:
            s = uow.session
            row = s.get(MessageRow, message_id)
            if row is None or row.status != Status.QUEUED.value or row.send_after > now:
                return None
            _take_turn_at_the_cap(s, row.profile_id, now)
            # Read again after the turn: a worker that held it may have claimed this very
            # message, and deciding on the stale row would overwrite its `sending`.
            s.refresh(row)
            if row.status != Status.QUEUED.value or row.send_after > now:
                return None
            journey = s.get(JourneyRow, row.journey_id)
            outgoing = self._decide(uow, row, journey, now) if journey else None
            if outgoing is None:
                uow.commit()
                return None
            taken = s.execute(
                update(MessageRow)
                .where(MessageRow.id == row.id, MessageRow.status == Status.QUEUED.value)
                .values(
                    status=Status.SENDING.value,
                    attempts=MessageRow.attempts + 1,
                    sent_at=now,
                    recipient=outgoing.recipient,
                    subject=outgoing.subject,
                    body=outgoing.body,
                )
                .execution_options(synchronize_session=False)
            )
            if not getattr(taken, "rowcount", 0):
                return None
            uow.commit()
            return outgoing

    def _stop(self, row: MessageRow, status: Status, reason: str) -> None:
        row.status, row.reason = status.value, reason

    def _decide(
        self, uow: UnitOfWork, row: MessageRow, journey: JourneyRow, now: datetime
    ) -> Outgoing | None:
        s = uow.session
        facts = cdp.facts(s, row.profile_id)
        if facts is None:
            self._stop(row, Status.CANCELLED, "the profile no longer exists")
            return None
        if not cdp.consent_granted(s, facts.id, purpose=row.purpose, channel=row.channel):
            self._stop(row, Status.SUPPRESSED, f"no {row.purpose} consent for {row.channel}")
            return None
        recipient = {"email": facts.email, "sms": facts.phone, "push": facts.push_token}.get(
            row.channel
        )
        if not recipient:
            self._stop(row, Status.SUPPRESSED, f"the profile has no address for {row.channel}")
            return None
        # What a trigger does not have is None, so `{% if coupon %}` works everywhere.
        variables: dict[str, Any] = {
            **dict.fromkeys(OPTIONAL),
            "profile": facts.as_variables(),
            **row.context,
        }
        cart_id = row.context.get("cart_id")
        if isinstance(cart_id, str):
            cart = cart_snapshot(s, cart_id)
            if row.trigger == Trigger.CART_ABANDONED.value and (
                cart is None or cart.status != "active" or not cart.lines
            ):
                self._stop(row, Status.CANCELLED, "the cart checked out first")
                return None
            if cart is not None:
                variables["cart"] = cart_variables(cart)
        order_id = row.context.get("order_id")
        if isinstance(order_id, str):
            variables["order"] = order_variables(s, order_id)
        if self._capped(uow, facts.id, now):
            self._stop(row, Status.SUPPRESSED, f"frequency cap: {self.rules.max_per_day} a day")
            return None
        tz = zone(facts.timezone, self.rules.default_timezone)
        until = quiet_until(now, tz, self.rules.quiet_start, self.rules.quiet_end)
        if until is not None:
            row.send_after, row.reason = until, f"quiet hours in {tz.key}; waits until then"
            return None
        template, promotion = journey.template, journey.coupon_promotion
        if journey.experiment_id:
            experiment = s.get(ExperimentRow, journey.experiment_id)
            if experiment is not None:
                row.variant = experiments.expose(uow, experiment, facts.id, now)
                chosen = next(v for v in experiment.variants if v["name"] == row.variant)
                template = chosen.get("template") or template
                promotion = chosen.get("coupon_promotion") or promotion
        if promotion and row.coupon_code is None:
            # Bound to the customer account when the profile has one (a Souk user id is the
            # customer id); otherwise single-use by whoever holds it.
            row.coupon_code = add_personal_code(
                uow, promotion_id=promotion, customer_id=facts.user_id
            )
        if row.coupon_code:
            variables["coupon"] = {"code": row.coupon_code}
        return self._render(row, template, variables, facts.locale, recipient)

    def _render(
        self,
        row: MessageRow,
        template: dict[str, dict[str, str]],
        variables: dict[str, Any],
        profile_locale: str | None,
        recipient: str,
    ) -> Outgoing | None:
        base = self.rules.public_url
        unsubscribe_url = f"{base}/v1/unsubscribe/{row.token}"
        variables["unsubscribe_url"] = unsubscribe_url
        cart = variables.get("cart")
        wanted = [profile_locale, cart.get("locale") if isinstance(cart, dict) else None]
        locale = pick_locale(list(template), wanted, self.rules.default_locale)
        try:
            subject = templates.render(template[locale].get("subject", ""), variables)
            body = templates.render(template[locale]["body"], variables)
        except TemplateError as exc:
            self._stop(row, Status.FAILED, f"the template does not render: {exc}")
            return None
        links = [u for u in templates.links_of(body) if u != unsubscribe_url]
        for n, url in enumerate(links):
            body = body.replace(url, f"{base}/v1/t/c/{row.token}/{n}")
        row.links, row.locale = links, locale
        return Outgoing(
            message_id=row.id,
            channel=row.channel,
            recipient=recipient,
            subject=subject,
            body=body,
            unsubscribe_url=unsubscribe_url,
            open_pixel_url=f"{base}/v1/t/o/{row.token}.gif",
        )

    def _capped(self, uow: UnitOfWork, profile_id: str, now: datetime) -> bool:
        sent = uow.session.scalar(
            select(func.count()).where(
                MessageRow.profile_id == profile_id,
                MessageRow.status.in_([Status.SENT.value, Status.SENDING.value]),
                MessageRow.sent_at >= now - timedelta(days=1),
            )
        )
        return int(sent or 0) >= self.rules.max_per_day


def _take_turn_at_the_cap(session: Session, profile_id: str, now: datetime) -> None:
    """Lock the profile's cap row until this claim commits. On PostgreSQL the upsert's
    DO UPDATE row-locks it (a racing claim for the same profile waits, then, under READ
    COMMITTED, counts with a fresh snapshot that holds the first claim's `sending` row);
    on SQLite the claim's BEGIN IMMEDIATE already serialises writers."""
    stmt = upsert_insert(session, CapLockRow).values(profile_id=profile_id, claimed_at=now)
    session.execute(
        stmt.on_conflict_do_update(index_elements=["profile_id"], set_={"claimed_at": now})
    )
