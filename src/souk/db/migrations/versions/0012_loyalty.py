"""loyalty: the program, member accounts (cached sums) and the points ledger

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import souk.db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loyalty_accounts",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("card_number", sa.String(length=64), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_loyalty_accounts")),
        sa.UniqueConstraint("card_number", name=op.f("uq_loyalty_accounts_card_number")),
    )
    op.create_table(
        "loyalty_program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_program")),
    )
    op.create_table(
        "loyalty_ledger",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("matured", sa.Boolean(), nullable=False),
        sa.Column("available_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", souk.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "lines",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["loyalty_accounts.customer_id"],
            name=op.f("fk_loyalty_ledger_customer_id_loyalty_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_ledger")),
        sa.UniqueConstraint("type", "reference", name=op.f("uq_loyalty_ledger_type_reference")),
    )
    with op.batch_alter_table("loyalty_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_loyalty_ledger_customer", ["customer_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loyalty_ledger_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("loyalty_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_ledger_order_id"))
        batch_op.drop_index("ix_loyalty_ledger_customer")

    op.drop_table("loyalty_ledger")
    op.drop_table("loyalty_program")
    op.drop_table("loyalty_accounts")
