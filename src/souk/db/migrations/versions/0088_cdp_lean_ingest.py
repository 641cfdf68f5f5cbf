"""cdp: identities without the index on `profile_id` alone (the unique one on profile_id,
type and value serves the same look-ups); on PostgreSQL, the raw events' `received_at`
index as BRIN, and the staged calls' bodies compressed with lz4 where
the server has it (the CPU each ingested event costs the database, docs/benchmarks.md
2026-12-07)

Revision ID: 0088
Revises: 0087
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0088"
down_revision = "0087"
branch_labels = None
depends_on = None


def _lz4_available(bind: sa.engine.Connection) -> bool:
    # PostgreSQL 14+ built with lz4 lists it among the values of this setting.
    found = bind.execute(
        sa.text(
            "SELECT count(*) FROM pg_settings"
            " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
    ).scalar_one()
    return bool(found)


def upgrade() -> None:
    with op.batch_alter_table("cdp_identities") as batch:
        batch.drop_index("ix_cdp_identities_profile_id")
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.drop_index("ix_cdp_events_received_at", table_name="cdp_events")
    op.create_index(
        "ix_cdp_events_received_at", "cdp_events", ["received_at"], postgresql_using="brin"
    )
    if _lz4_available(bind):
        op.execute("ALTER TABLE cdp_inbox ALTER COLUMN body SET COMPRESSION lz4")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        if _lz4_available(bind):
            op.execute("ALTER TABLE cdp_inbox ALTER COLUMN body SET COMPRESSION pglz")
        op.drop_index("ix_cdp_events_received_at", table_name="cdp_events")
        op.create_index("ix_cdp_events_received_at", "cdp_events", ["received_at"])
    with op.batch_alter_table("cdp_identities") as batch:
        batch.create_index("ix_cdp_identities_profile_id", ["profile_id"], unique=False)
