"""The customer data platform's tables: raw events, profiles, identities, the merge graph,
the orders each profile made, consents and segments.

They are separate from every commerce table, so that ingesting events never locks a row
an order needs. `origin_profile_id` on identities, events and orders records the profile
each one first belonged to: undoing a merge moves back exactly what came with it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from souk.db.base import Base
from souk.db.types import BigIntPK, Json


class CdpEventRow(Base):
    __tablename__ = "cdp_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # Segment de-duplicates per source; a source is the channel the write key is bound to.
    source: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    event: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[str | None] = mapped_column(String(200))
    anonymous_id: Mapped[str | None] = mapped_column(String(200))
    profile_id: Mapped[str] = mapped_column(String(40))
    origin_profile_id: Mapped[str] = mapped_column(String(40))
    timestamp: Mapped[datetime]
    received_at: Mapped[datetime]
    # `jsonb` on PostgreSQL. Converting each payload was measured at a sixth of the
    # database's CPU per event, but changing the type rewrites the table under a lock, which
    # no revision may do (tools/online_migrations.py); kept until it can be done online.
    payload: Mapped[dict[str, Any]] = mapped_column(Json)

    __table_args__ = (
        UniqueConstraint("source", "message_id"),
        Index("ix_cdp_events_profile", "profile_id", "timestamp"),
        # Only the retention purge and the analytics extract read by arrival, by range, and
        # rows arrive in its order: on PostgreSQL a BRIN index, a few pages for the whole
        # table, instead of a B-tree entry written with every event.
        Index("ix_cdp_events_received_at", "received_at", postgresql_using="brin"),
    )


class CdpProfileRow(Base):
    __tablename__ = "cdp_profiles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Set while this profile is merged into another; reads follow it to the survivor.
    merged_into: Mapped[str | None] = mapped_column(String(40), index=True)
    traits: Mapped[dict[str, Any]] = mapped_column(Json)
    computed: Mapped[dict[str, Any]] = mapped_column(Json)
    last_seen: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CdpIdentityRow(Base):
    __tablename__ = "cdp_identities"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # Looked up by the unique (profile_id, type, value) index, which it leads: an index of
    # its own was one more written with every new identifier.
    profile_id: Mapped[str] = mapped_column(String(40))
    origin_profile_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(320))
    # "type:value" for identifiers that name one person, so two profiles can never hold
    # the same one; NULL for shared ones (a device id), which many profiles may carry.
    claim: Mapped[str | None] = mapped_column(String(340), unique=True)
    source: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("profile_id", "type", "value"),
        Index("ix_cdp_identities_lookup", "type", "value"),
    )


class CdpMergeRow(Base):
    """One edge of the merge graph: `merged` was folded into `into`, and why."""

    __tablename__ = "cdp_merges"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    into_profile_id: Mapped[str] = mapped_column(String(40), index=True)
    merged_profile_id: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    identity_type: Mapped[str] = mapped_column(String(20))
    identity_value: Mapped[str] = mapped_column(String(320))
    message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    undone_at: Mapped[datetime | None]


class CdpProfileOrderRow(Base):
    __tablename__ = "cdp_profile_orders"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(40), index=True)
    origin_profile_id: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(Integer)
    categories: Mapped[list[str]] = mapped_column(Json)
    placed_at: Mapped[datetime]
    returned: Mapped[int] = mapped_column(Integer, default=0)


class CdpConsentRow(Base):
    """Consent history: the latest row per purpose and channel is the current answer."""

    __tablename__ = "cdp_consents"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    profile_id: Mapped[str] = mapped_column(String(40), index=True)
    origin_profile_id: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]


class CdpSegmentRow(Base):
    __tablename__ = "cdp_segments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rule: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime]


class CdpSegmentMemberRow(Base):
    __tablename__ = "cdp_segment_members"

    segment_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    since: Mapped[datetime]

    # Every refresh reads the memberships of the profiles it touched: by profile, which the
    # primary key (segment first) cannot serve.
    __table_args__ = (Index("ix_cdp_segment_members_profile", "profile_id"),)


class CdpInboxRow(Base):
    """A tracking call answered `200` and not yet resolved (SOUK_CDP_INGEST_ASYNC): its JSON
    body as received (without the write key), deleted in the transaction that stores its
    events. A call that keeps failing stays here with its error after `attempts` tries."""

    __tablename__ = "cdp_inbox"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    # Compressed with lz4 on PostgreSQL where the server has it (migration 0088): pglz was
    # half of the database's CPU for staging a call.
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
