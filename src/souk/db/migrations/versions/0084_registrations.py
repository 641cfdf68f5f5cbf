"""customers: sign-ups waiting for their email to be confirmed

Revision ID: 0084
Revises: 0083
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import souk.db.base

revision = "0084"
down_revision = "0083"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_registrations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("cart_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_registrations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_customer_registrations_token_hash")),
    )
    with op.batch_alter_table("customer_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_registrations_email"), ["email"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_customer_registrations_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("customer_registrations")
