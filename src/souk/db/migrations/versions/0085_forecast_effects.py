"""forecasting: the effects (promotions, holidays) each stored forecast used, and why

Revision ID: 0085
Revises: 0084
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0085"
down_revision = "0084"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    # Forecasts stored before effects existed used none; the next run replaces them all.
    with op.batch_alter_table("demand_forecasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effects", JSON, nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("why", sa.String(length=1000), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("demand_forecasts", schema=None) as batch_op:
        batch_op.drop_column("why")
        batch_op.drop_column("effects")
