"""recommendations: each personal item keeps why it is on the list (bought before, or
bought by shoppers like this one)

Revision ID: 0087
Revises: 0086
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0087"
down_revision = "0086"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rec_profile_items") as batch:
        batch.add_column(sa.Column("why", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rec_profile_items") as batch:
        batch.drop_column("why")
