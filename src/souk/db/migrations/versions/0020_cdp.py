"""cdp: raw events, profiles, identities, the merge graph, profile orders, consents, segments

Revision ID: 0020
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import souk.db.base

revision = "0020"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cdp_consents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("origin_profile_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdp_consents")),
    )
    with op.batch_alter_table("cdp_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cdp_consents_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "cdp_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("event", sa.String(length=200), nullable=True),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("anonymous_id", sa.String(length=200), nullable=True),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("origin_profile_id", sa.String(length=40), nullable=False),
        sa.Column("timestamp", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdp_events")),
        sa.UniqueConstraint("source", "message_id", name=op.f("uq_cdp_events_source_message_id")),
    )
    with op.batch_alter_table("cdp_events", schema=None) as batch_op:
        batch_op.create_index("ix_cdp_events_profile", ["profile_id", "timestamp"], unique=False)
        batch_op.create_index("ix_cdp_events_received_at", ["received_at"], unique=False)

    op.create_table(
        "cdp_identities",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("origin_profile_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("claim", sa.String(length=340), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdp_identities")),
        sa.UniqueConstraint("claim", name=op.f("uq_cdp_identities_claim")),
        sa.UniqueConstraint(
            "profile_id", "type", "value", name=op.f("uq_cdp_identities_profile_id_type_value")
        ),
    )
    with op.batch_alter_table("cdp_identities", schema=None) as batch_op:
        batch_op.create_index("ix_cdp_identities_lookup", ["type", "value"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cdp_identities_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "cdp_merges",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("into_profile_id", sa.String(length=40), nullable=False),
        sa.Column("merged_profile_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("identity_type", sa.String(length=20), nullable=False),
        sa.Column("identity_value", sa.String(length=320), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", souk.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdp_merges")),
    )
    with op.batch_alter_table("cdp_merges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cdp_merges_into_profile_id"), ["into_profile_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cdp_merges_merged_profile_id"), ["merged_profile_id"], unique=False
        )

    op.create_table(
        "cdp_profile_orders",
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("origin_profile_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column(
            "categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("placed_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_cdp_profile_orders")),
    )
    with op.batch_alter_table("cdp_profile_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cdp_profile_orders_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "cdp_profiles",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column(
            "traits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "computed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_seen", souk.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdp_profiles")),
    )
    with op.batch_alter_table("cdp_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cdp_profiles_merged_into"), ["merged_into"], unique=False
        )

    op.create_table(
        "cdp_segment_members",
        sa.Column("segment_id", sa.String(length=40), nullable=False),
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("since", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("segment_id", "profile_id", name=op.f("pk_cdp_segment_members")),
    )
    op.create_table(
        "cdp_segments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "rule",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdp_segments")),
    )


def downgrade() -> None:
    op.drop_table("cdp_segments")
    op.drop_table("cdp_segment_members")
    with op.batch_alter_table("cdp_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cdp_profiles_merged_into"))

    op.drop_table("cdp_profiles")
    with op.batch_alter_table("cdp_profile_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cdp_profile_orders_profile_id"))

    op.drop_table("cdp_profile_orders")
    with op.batch_alter_table("cdp_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cdp_merges_merged_profile_id"))
        batch_op.drop_index(batch_op.f("ix_cdp_merges_into_profile_id"))

    op.drop_table("cdp_merges")
    with op.batch_alter_table("cdp_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cdp_identities_profile_id"))
        batch_op.drop_index("ix_cdp_identities_lookup")

    op.drop_table("cdp_identities")
    with op.batch_alter_table("cdp_events", schema=None) as batch_op:
        batch_op.drop_index("ix_cdp_events_received_at")
        batch_op.drop_index("ix_cdp_events_profile")

    op.drop_table("cdp_events")
    with op.batch_alter_table("cdp_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cdp_consents_profile_id"))

    op.drop_table("cdp_consents")
