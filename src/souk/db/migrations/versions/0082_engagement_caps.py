"""engagement: one row per profile that the sender locks while it checks the frequency cap

Revision ID: 0082
Revises: 0070
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import souk.db.base

revision = "0082"
down_revision = "0070"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engagement_cap_locks",
        sa.Column("profile_id", sa.String(length=40), nullable=False),
        sa.Column("claimed_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", name=op.f("pk_engagement_cap_locks")),
    )


def downgrade() -> None:
    op.drop_table("engagement_cap_locks")
