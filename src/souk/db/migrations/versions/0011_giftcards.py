"""gift cards: cards (code digests, cached balance) and their ledger

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import souk.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gift_cards",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("expires_at", souk.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_cards")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_gift_cards_code_hash")),
    )
    with op.batch_alter_table("gift_cards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gift_cards_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "gift_card_ledger",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("gift_card_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["gift_card_id"],
            ["gift_cards.id"],
            name=op.f("fk_gift_card_ledger_gift_card_id_gift_cards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_card_ledger")),
    )
    with op.batch_alter_table("gift_card_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gift_card_ledger_gift_card_id"), ["gift_card_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_gift_card_ledger_order_id"), ["order_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("gift_card_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gift_card_ledger_order_id"))
        batch_op.drop_index(batch_op.f("ix_gift_card_ledger_gift_card_id"))

    op.drop_table("gift_card_ledger")
    with op.batch_alter_table("gift_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gift_cards_customer_id"))

    op.drop_table("gift_cards")
