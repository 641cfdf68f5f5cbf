"""risk: fraud assessments and learnt signal weights; the checkout context on orders

Revision ID: 0070
Revises: 0020
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import souk.db.base

revision = "0070"
down_revision = "0031"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkout_context", JSON, nullable=True))
    op.create_table(
        "risk_assessments",
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("signals", JSON, nullable=False),
        sa.Column("card_key", sa.String(length=100), nullable=True),
        sa.Column("email_key", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("device", sa.String(length=100), nullable=True),
        sa.Column("placed_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assessed_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("review_note", sa.String(length=500), nullable=True),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", souk.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_risk_assessments")),
    )
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.create_index("ix_risk_card", ["card_key", "placed_at"], unique=False)
        batch_op.create_index("ix_risk_email", ["email_key", "placed_at"], unique=False)
        batch_op.create_index("ix_risk_ip", ["ip", "placed_at"], unique=False)
        batch_op.create_index("ix_risk_device", ["device", "placed_at"], unique=False)
        batch_op.create_index("ix_risk_status_score", ["status", "score"], unique=False)
    op.create_table(
        "risk_weights",
        sa.Column("signal", sa.String(length=40), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.Column("cleared", sa.Integer(), nullable=False),
        sa.Column("updated_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signal", name=op.f("pk_risk_weights")),
    )


def downgrade() -> None:
    op.drop_table("risk_weights")
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_status_score")
        batch_op.drop_index("ix_risk_device")
        batch_op.drop_index("ix_risk_ip")
        batch_op.drop_index("ix_risk_email")
        batch_op.drop_index("ix_risk_card")
    op.drop_table("risk_assessments")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("checkout_context")
