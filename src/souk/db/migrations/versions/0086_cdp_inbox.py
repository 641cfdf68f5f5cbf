"""cdp: the inbox of tracking calls answered and not yet resolved (SOUK_CDP_INGEST_ASYNC);
segment memberships indexed by profile (every refresh reads them so)

Revision ID: 0086
Revises: 0085
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import souk.db.base

revision = "0086"
down_revision = "0085"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cdp_inbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdp_inbox")),
    )
    op.create_index(
        "ix_cdp_segment_members_profile", "cdp_segment_members", ["profile_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_cdp_segment_members_profile", table_name="cdp_segment_members")
    op.drop_table("cdp_inbox")
