"""Set-based batch ingestion on both back ends: a batch costs a bounded number of statements
whatever its size, and resolving a batch at once gives exactly what resolving its messages
one call at a time gives (merges inside the batch included)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg.sql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Select, Text, select, text
from sqlalchemy import cast as sa_cast
from sqlalchemy.orm import Session

from souk.cdp import ingestion
from souk.cdp.bulk import insert_rows
from souk.cdp.tables import CdpEventRow, CdpIdentityRow, CdpProfileRow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from tests.support.statements import counting

# The messageIds seen, the claims' owners, the segments, the touched profiles' orders, the
# new profiles, identities and events (and, with a segment, its memberships): 7 measured on
# SQLite, 5 on PostgreSQL, whose two COPYs pass by the hook. It was 12 while the new
# profiles were inserted and then updated with their computed traits.
BATCH_STATEMENTS = 8


def _visitors(size: int, start: int = 0) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for n in range(start, start + size):
        visitor = f"v{n // 10}"
        if n % 10 == 9:
            messages.append({"type": "identify", "anonymousId": visitor, "userId": f"u-{visitor}",
                             "traits": {"email": f"{visitor}@example.com"},
                             "messageId": f"m{n}"})  # fmt: skip
        else:
            messages.append({"type": "track", "anonymousId": visitor, "event": "Product Viewed",
                             "properties": {"sku": f"S{n % 7}"}, "messageId": f"m{n}"})  # fmt: skip
    return messages


def _ingest(db: Database, messages: list[dict[str, Any]]) -> ingestion.IngestResult:
    return ingestion.ingest(uow_factory=lambda: UnitOfWork(db), source="web", messages=messages)


def test_a_batch_costs_the_same_few_statements_whatever_its_size(db: Database) -> None:
    for size in (10, 100, 300):
        with counting(db.engine) as count:
            result = _ingest(db, _visitors(size, start=size * 1000))
        assert result.accepted == size
        assert len(count) <= BATCH_STATEMENTS, count.report()


def test_an_event_filed_before_a_merge_in_the_same_batch_follows_the_profile(
    db: Database,
) -> None:
    # Given a signed-in user known from an earlier batch
    _ingest(db, [{"type": "identify", "userId": "u-1", "anonymousId": "phone", "messageId": "a"}])
    # When one batch brings a new browser's views, then the sign-in that joins it
    batch = [
        {"type": "track", "anonymousId": "laptop", "event": "Product Viewed", "messageId": "b"},
        {"type": "track", "anonymousId": "laptop", "event": "Cart Viewed", "messageId": "c"},
        {"type": "identify", "userId": "u-1", "anonymousId": "laptop", "messageId": "d"},
    ]
    result = _ingest(db, batch)
    # Then every event lives in the user's profile and remembers where it was born
    with db.transaction(write=False) as s:
        events = {e.message_id: e for e in s.scalars(select(CdpEventRow))}
        root = events["a"].profile_id
        assert result.profiles == [root]
        assert {e.profile_id for e in events.values()} == {root}
        assert events["b"].origin_profile_id == events["c"].origin_profile_id != root
        merged = s.get(CdpProfileRow, events["b"].origin_profile_id)
        assert merged is not None and merged.merged_into == root
        owners = set(s.scalars(select(CdpIdentityRow.profile_id)))
        assert owners == {root}


message = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["track", "identify", "alias"]),
        "anonymousId": st.sampled_from(["a1", "a2", "a3"]),
        "userId": st.sampled_from([None, "u1", "u2"]),
        "email": st.sampled_from([None, "x@example.com", "y@example.com"]),
    }
)


def _as_segment(i: int, m: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": m["type"], "anonymousId": m["anonymousId"],
                           "messageId": f"h{i}"}  # fmt: skip
    if m["type"] == "track":
        out["event"] = "Product Viewed"
    if m["type"] == "alias":
        out["userId"], out["previousId"] = m["userId"] or "u1", m["anonymousId"]
    elif m["userId"]:
        out["userId"] = m["userId"]
    if m["email"]:
        out["traits"] = {"email": m["email"]}
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(message, min_size=1, max_size=12))
def test_any_batch_keeps_the_identity_invariants(
    db: Database, messages: list[dict[str, Any]]
) -> None:
    with db.transaction() as s:
        for table in (CdpEventRow, CdpIdentityRow, CdpProfileRow):
            s.query(table).delete()
    batch = [_as_segment(i, m) for i, m in enumerate(messages)]
    result = _ingest(db, batch)
    assert result.accepted == len(batch)
    with db.transaction(write=False) as s:
        profiles = {p.id: p for p in s.scalars(select(CdpProfileRow))}

        def root(pid: str) -> str:
            while profiles[pid].merged_into is not None:
                pid = str(profiles[pid].merged_into)
            return pid

        events = list(s.scalars(select(CdpEventRow)))
        # every message stored once, on a live profile that its birth profile leads to
        assert sorted(e.message_id for e in events) == sorted(m["messageId"] for m in batch)
        for event in events:
            assert profiles[event.profile_id].merged_into is None
            assert root(event.origin_profile_id) == event.profile_id
        held: dict[str, list[str]] = {}
        for identity in s.scalars(select(CdpIdentityRow)):
            assert profiles[identity.profile_id].merged_into is None
            held.setdefault(identity.profile_id, []).append(identity.type)
        # one user id per person, never two people joined
        assert all(kinds.count("user_id") <= 1 for kinds in held.values())
        assert sorted(result.profiles) == sorted({e.profile_id for e in events})


def _rows_read(s: Session, table: str) -> int:
    """Rows this transaction has read from `table` (as the search path finds it) so far,
    by scans and index fetches."""
    read = s.execute(
        text(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"
            " FROM pg_stat_xact_user_tables WHERE relid = CAST(:table AS regclass)"
        ),
        {"table": table},
    ).scalar_one()
    return int(read)


def _run_generic(s: Session, stmt: Select[Any], params: dict[str, Any]) -> list[Any]:
    """Run `stmt` as PostgreSQL runs a statement psycopg has prepared once its generic plan
    is chosen (which it is, from the sixth execution, when it looks cheaper): PREPARE with
    parameters, then EXECUTE."""
    dialect = s.get_bind().dialect
    compiled = stmt.compile(dialect=dialect)
    sql, values = str(compiled), []
    for n, (name, value) in enumerate(compiled.construct_params(params).items(), start=1):
        sql = sql.replace(f"%({name})s", f"${n}")
        convert = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        values.append(convert(value) if convert else value)
    driver = s.connection().connection.driver_connection
    literals = ", ".join(psycopg.sql.Literal(v).as_string(driver) for v in values)
    s.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    s.execute(text(f"PREPARE probe AS {sql}"))
    try:
        return list(s.execute(text(f"EXECUTE probe({literals})")).scalars())
    finally:
        s.execute(text("DEALLOCATE probe"))


def test_a_look_up_of_many_messageids_reads_only_the_messages_it_finds(
    db: Database, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("a PostgreSQL plan; SQLite has no generic plans")
    with db.transaction() as s:
        # Given 20,000 events in a table PostgreSQL has not analysed yet (a shop's first
        # minutes of tracking; a temporary table of the same shape, which nothing analyses)
        s.execute(text("CREATE TEMP TABLE cdp_events (LIKE public.cdp_events INCLUDING ALL)"
                       " ON COMMIT DROP"))  # fmt: skip
        received = datetime(2026, 12, 1, tzinfo=UTC)
        insert_rows(s, "cdp_events", [
            {"source": "web", "message_id": f"m{n}", "type": "track", "profile_id": "p",
             "origin_profile_id": "p", "timestamp": received, "received_at": received,
             "payload": {}}
            for n in range(20_000)
        ])  # fmt: skip
        before = _rows_read(s, "cdp_events")
        # When a batch of 1,000 messageIds, half of them resent, is looked up with the plan a
        # prepared statement gets
        wanted = [f"m{n}" for n in range(0, 1000, 2)] + [f"new{n}" for n in range(500)]
        found = _run_generic(s, ingestion._KNOWN.statement(s), {"values": wanted, "source": "web"})
        # Then it finds exactly the resent ones
        assert sorted(found) == sorted(f"m{n}" for n in range(0, 1000, 2))
        # and reads only those rows, not the 20,000: `message_id = ANY(array)`, which this
        # replaced, read them all and compared each with every messageId (0.2-0.8 s a look-up)
        assert _rows_read(s, "cdp_events") - before <= 500


def test_a_stored_payload_keeps_what_was_sent_and_is_searchable_as_text(db: Database) -> None:
    # Given a batch whose event carries a name in Japanese and characters JSON escapes
    properties = {"name": "アン・シークレット", "note": 'tab\there "quoted" \\ back'}
    batch = [{"type": "track", "anonymousId": "jp-1", "event": "Signed Up",
              "properties": properties, "messageId": "jp-m1"}]  # fmt: skip
    assert _ingest(db, batch).accepted == 1
    with db.transaction(write=False) as s:
        # Then it is read back exactly as sent
        (payload,) = s.scalars(select(CdpEventRow.payload))
        assert payload["properties"] == properties
        if db.is_sqlite:
            return  # SQLite keeps JSON with non-ASCII escaped (docs/customer-data.md, limits)
        # and on PostgreSQL its text holds the name as written, which is what the erasure's
        # scrub searches (souk.privacy.scrub casts JSON columns to text)
        found = s.scalars(
            select(CdpEventRow.message_id).where(
                sa_cast(CdpEventRow.payload, Text).ilike("%アン・シークレット%")
            )
        ).all()
        assert found == ["jp-m1"]


def test_an_event_recorded_by_souk_itself_is_searchable_as_text_too(db: Database) -> None:
    # Given an event written through the ORM (as Souk's own domain events are)
    with UnitOfWork(db) as uow:
        ingestion.record_event(
            uow, source="souk", message_id="own-1",
            message={"type": "track", "event": "Note", "properties": {"by": "アン"}},
            profile_id="prof_x", timestamp=datetime.now(UTC), received_at=datetime.now(UTC),
        )  # fmt: skip
        uow.commit()
    if db.is_sqlite:
        return  # SQLite keeps JSON with non-ASCII escaped (docs/customer-data.md, limits)
    # Then on PostgreSQL its text holds the name as written, as for ingested events
    with db.transaction(write=False) as s:
        text_of = sa_cast(CdpEventRow.payload, Text)
        found = s.scalars(select(CdpEventRow.message_id).where(text_of.ilike("%アン%"))).all()
        assert found == ["own-1"]
