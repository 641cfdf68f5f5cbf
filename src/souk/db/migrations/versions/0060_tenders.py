"""carts: the gift cards and loyalty points a shopper chose to pay with

Revision ID: 0060
Revises: 0020
Create Date: 2026-12-02

Expand only: nullable columns, no rewrite of a table under a lock. The cart keeps gift-card
ids, never their codes (a code is a bearer secret, kept only as a digest).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0060"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "gift_cards",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("loyalty_points", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_column("loyalty_points")
        batch_op.drop_column("gift_cards")
