"""Property, on SQLite and PostgreSQL: whatever the order and number of deliveries of the
triggers (an outbox redelivers after a crash, two scans find the same cart) and however
the send rounds interleave with them, each (journey, object, profile) is sent exactly
once — and a consent withdrawn between queueing and sending means never."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from souk.cdp.consents import record_consents
from souk.cdp.ingestion import ingest
from souk.cdp.schemas import ConsentUpdate
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.engagement.journeys import create_journey
from souk.engagement.models import Trigger
from souk.engagement.providers import LoggingProvider
from souk.engagement.queueing import Occurrence, queue_all
from souk.engagement.schemas import JourneyCreate
from souk.engagement.sending import Rules, Sender
from souk.engagement.tables import JourneyRow, MessageRow
from souk.settings import Settings

TEMPLATE = {"en": {"subject": "Hi", "body": "About {{ product.sku }} {{ unsubscribe_url }}"}}
steps = st.lists(
    st.one_of(
        st.tuples(st.just("deliver"), st.integers(min_value=0, max_value=4)),
        st.tuples(st.just("send"), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


def _profile(db: Database, email: str, granted: bool) -> str:
    done = ingest(
        uow_factory=lambda: UnitOfWork(db),
        source="web",
        messages=[{"type": "identify", "userId": email, "traits": {"email": email}}],
    )
    [profile] = done.profiles
    if granted:
        consent = ConsentUpdate(purpose="marketing", channel="email", granted=True, source="t")
        record_consents(uow=UnitOfWork(db), profile_id=profile, consents=[consent])
    return profile


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=steps, withdrawn=st.booleans())
def test_each_object_is_sent_once_or_never(
    db: Database, settings: Settings, plan: list[tuple[str, int]], withdrawn: bool
) -> None:
    # Examples share the test's database: each starts with one journey and no messages.
    with db.transaction() as session:
        session.execute(delete(MessageRow))
        session.execute(delete(JourneyRow))
    create_journey(uow=UnitOfWork(db), data=JourneyCreate.model_validate(
        {"name": "Back", "trigger": "back_in_stock", "channel": "email", "template": TEMPLATE}
    ))  # fmt: skip
    profile = _profile(db, "anne@example.com", granted=True)
    provider = LoggingProvider("email")
    unlimited = {"engagement_max_per_day": 1000, "engagement_quiet_hours": "00:00-00:00"}
    rules = Rules.from_settings(settings.model_copy(update=unlimited))
    senders = [Sender(db, rules, {"email": provider}) for _ in range(2)]
    delivered: set[int] = set()
    for i, (step, n) in enumerate(plan):
        if step == "deliver":
            occurrence = Occurrence(Trigger.BACK_IN_STOCK, profile, f"SKU-{n}", utcnow(),
                                    {"product": {"sku": f"SKU-{n}"}})  # fmt: skip
            queue_all(uow=UnitOfWork(db), occurrences=[occurrence])
            delivered.add(n)
        else:
            senders[i % 2].send_due(now=utcnow() + timedelta(seconds=1))
    if withdrawn:
        off = ConsentUpdate(purpose="marketing", channel="email", granted=False, source="t")
        record_consents(uow=UnitOfWork(db), profile_id=profile, consents=[off])
    already = [m.body for m in provider.sent]
    for s in senders:
        s.send_due(now=utcnow() + timedelta(seconds=1))
    bodies = [m.body.split(" http")[0] for m in provider.sent]
    assert len(bodies) == len(set(bodies))
    if withdrawn:
        assert len(provider.sent) == len(already)
    else:
        assert sorted(bodies) == sorted(f"About SKU-{n}" for n in delivered)
    if withdrawn:
        # Restore for the next example, which starts from a consenting profile.
        on = ConsentUpdate(purpose="marketing", channel="email", granted=True, source="t")
        record_consents(uow=UnitOfWork(db), profile_id=profile, consents=[on])
