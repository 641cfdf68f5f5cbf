"""The frequency cap under a race, on SQLite and PostgreSQL: workers claiming different
messages to one profile at the same instant never send it more than the cap allows —
exactly the cap's worth leave, the rest are suppressed by the cap."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

from sqlalchemy import select

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.engagement.journeys import create_journey
from souk.engagement.models import Trigger
from souk.engagement.providers import LoggingProvider
from souk.engagement.queueing import Occurrence, queue_all
from souk.engagement.schemas import JourneyCreate
from souk.engagement.sending import Rules, Sender
from souk.engagement.tables import MessageRow
from souk.settings import Settings
from tests.integration.engagement.test_never_twice import TEMPLATE, _profile

CAP, MESSAGES, WORKERS = 3, 8, 4


def test_racing_workers_never_send_a_profile_more_than_the_cap(
    db: Database, settings: Settings
) -> None:
    create_journey(uow=UnitOfWork(db), data=JourneyCreate.model_validate(
        {"name": "Back", "trigger": "back_in_stock", "channel": "email", "template": TEMPLATE}
    ))  # fmt: skip
    rules = Rules.from_settings(
        settings.model_copy(
            update={"engagement_max_per_day": CAP, "engagement_quiet_hours": "00:00-00:00"}
        )
    )
    provider = LoggingProvider("email")
    profiles = [_profile(db, f"p{n}@example.com", granted=True) for n in range(3)]
    for profile in profiles:
        # Given more messages queued for one profile than its cap allows
        queue_all(uow=UnitOfWork(db), occurrences=[
            Occurrence(Trigger.BACK_IN_STOCK, profile, f"SKU-{n}", utcnow(),
                       {"product": {"sku": f"SKU-{n}"}})
            for n in range(MESSAGES)
        ])  # fmt: skip
        with db.transaction(write=False) as session:
            ids = list(
                session.scalars(select(MessageRow.id).where(MessageRow.profile_id == profile))
            )
        assert len(ids) == MESSAGES
        # When four workers claim them at the same instant, each its own share
        sent = _race(db, rules, provider, [ids[i::WORKERS] for i in range(WORKERS)])
        # Then exactly the cap's worth left, and the others say why they did not
        assert sent == CAP
        with db.transaction(write=False) as session:
            rows = list(session.scalars(select(MessageRow).where(MessageRow.profile_id == profile)))
        assert Counter(r.status for r in rows) == {"sent": CAP, "suppressed": MESSAGES - CAP}
        assert {r.reason for r in rows if r.status == "suppressed"} == {
            f"frequency cap: {CAP} a day"
        }
    recipients = Counter(m.recipient for m in provider.sent)
    assert recipients == {f"p{n}@example.com": CAP for n in range(3)}


def _race(db: Database, rules: Rules, provider: LoggingProvider, shares: list[list[str]]) -> int:
    start = Barrier(len(shares))
    later = utcnow() + timedelta(seconds=1)

    def work(share: list[str]) -> int:
        sender = Sender(db, rules, {"email": provider})
        start.wait()
        return sum(sender.send_one(message_id, now=later) for message_id in share)

    with ThreadPoolExecutor(len(shares)) as pool:
        return sum(pool.map(work, shares))
