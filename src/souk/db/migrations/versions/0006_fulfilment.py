"""fulfilment: fulfilment orders, shipments, returns, refunds, point of sale

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import souk.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fulfillment_holds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("order_line_id", sa.String(length=40), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", souk.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_holds")),
    )
    with op.batch_alter_table("fulfillment_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fulfillment_holds_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fulfillment_holds_status"), ["status"], unique=False)

    op.create_table(
        "fulfillment_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pickup_code_hash", sa.String(length=64), nullable=True),
        sa.Column("pickup_failures", sa.Integer(), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("rerouted_from", sa.String(length=40), nullable=True),
        sa.Column("estimated_ready_at", souk.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_orders")),
    )
    with op.batch_alter_table("fulfillment_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fulfillment_orders_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            "ix_fulfillment_orders_queue", ["location", "status", "created_at"], unique=False
        )

    op.create_table(
        "order_routings",
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("solver_status", sa.String(length=100), nullable=False),
        sa.Column("cost", sa.Double(), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_routings")),
    )
    op.create_table(
        "pos_transactions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("client_txn_id", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("occurred_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pos_transactions")),
        sa.UniqueConstraint(
            "location", "client_txn_id", name=op.f("uq_pos_transactions_location_client_txn_id")
        ),
    )
    with op.batch_alter_table("pos_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pos_transactions_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "returns",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=True),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=128), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("received_location", sa.String(length=64), nullable=True),
        sa.Column("exchange_order_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", souk.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
    )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_returns_order_id"), ["order_id"], unique=False)

    op.create_table(
        "stock_discrepancies",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", souk.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_discrepancies")),
    )
    with op.batch_alter_table("stock_discrepancies", schema=None) as batch_op:
        batch_op.create_index("ix_stock_discrepancies_open", ["location", "status"], unique=False)

    op.create_table(
        "store_credits",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_credits")),
    )
    with op.batch_alter_table("store_credits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_store_credits_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "fulfillment_order_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("fulfillment_order_id", sa.String(length=40), nullable=False),
        sa.Column("order_line_id", sa.String(length=40), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.String(length=40), nullable=True),
        sa.Column("transfer_id", sa.String(length=40), nullable=True),
        sa.Column("transfer_from", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["fulfillment_order_id"],
            ["fulfillment_orders.id"],
            name=op.f("fk_fulfillment_order_lines_fulfillment_order_id_fulfillment_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_order_lines")),
    )
    with op.batch_alter_table("fulfillment_order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fulfillment_order_lines_fulfillment_order_id"),
            ["fulfillment_order_id"],
            unique=False,
        )

    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("destination", sa.String(length=20), nullable=False),
        sa.Column("store_credit_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_refunds_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refunds_return_id"), ["return_id"], unique=False)

    op.create_table(
        "return_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("order_line_id", sa.String(length=40), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("exchange_sku", sa.String(length=64), nullable=True),
        sa.Column("resellable", sa.Integer(), nullable=False),
        sa.Column("damaged", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns.id"],
            name=op.f("fk_return_lines_return_id_returns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
    )
    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_lines_return_id"), ["return_id"], unique=False)

    op.create_table(
        "shipments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("fulfillment_order_id", sa.String(length=40), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("tracking_number", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("created_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", souk.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["fulfillment_order_id"],
            ["fulfillment_orders.id"],
            name=op.f("fk_shipments_fulfillment_order_id_fulfillment_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipments_fulfillment_order_id"), ["fulfillment_order_id"], unique=False
        )

    op.create_table(
        "tracking_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shipment_id", sa.String(length=40), nullable=False),
        sa.Column("carrier_event_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("occurred_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", souk.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_tracking_events_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint(
            "shipment_id",
            "carrier_event_id",
            name=op.f("uq_tracking_events_shipment_id_carrier_event_id"),
        ),
    )
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracking_events_shipment_id"), ["shipment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tracking_events_shipment_id"))

    op.drop_table("tracking_events")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_fulfillment_order_id"))

    op.drop_table("shipments")
    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_lines_return_id"))

    op.drop_table("return_lines")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_return_id"))
        batch_op.drop_index(batch_op.f("ix_refunds_order_id"))

    op.drop_table("refunds")
    with op.batch_alter_table("fulfillment_order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfillment_order_lines_fulfillment_order_id"))

    op.drop_table("fulfillment_order_lines")
    with op.batch_alter_table("store_credits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_credits_customer_id"))

    op.drop_table("store_credits")
    with op.batch_alter_table("stock_discrepancies", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_discrepancies_open")

    op.drop_table("stock_discrepancies")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returns_order_id"))

    op.drop_table("returns")
    with op.batch_alter_table("pos_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pos_transactions_order_id"))

    op.drop_table("pos_transactions")
    op.drop_table("order_routings")
    with op.batch_alter_table("fulfillment_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_fulfillment_orders_queue")
        batch_op.drop_index(batch_op.f("ix_fulfillment_orders_order_id"))

    op.drop_table("fulfillment_orders")
    with op.batch_alter_table("fulfillment_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfillment_holds_status"))
        batch_op.drop_index(batch_op.f("ix_fulfillment_holds_order_id"))

    op.drop_table("fulfillment_holds")
