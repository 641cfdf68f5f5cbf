"""The Souk app plus one deliberately wrong endpoint, for the hot_sku benchmark only.

`POST /bench/naive-reservations` reserves the way a first attempt often does: read the
available quantity, then write back what it saw plus the request, in two transactions. Two
requests that read the same figure both succeed, so it oversells; hot_sku runs it beside
the real endpoint to show that the race is real and what the guarantees cost. Never part of
the product.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import insert, select, update

from souk.app import create_app_from_env
from souk.catalog.tables import VariantRow
from souk.db.base import new_id, utcnow
from souk.db.engine import Database
from souk.inventory.tables import (
    LocationRow,
    reservation_lines,
    reservations,
    stock_levels,
)


def create() -> FastAPI:
    app = create_app_from_env()

    @app.post("/bench/naive-reservations", status_code=201)
    def naive_reservation(body: dict[str, Any], request: Request) -> Any:
        db: Database = request.app.state.db
        line = body["lines"][0]
        quantity = int(line["quantity"])
        with db.transaction(write=False) as session:
            row = session.execute(
                select(stock_levels.c.id, stock_levels.c.on_hand, stock_levels.c.reserved)
                .join(VariantRow, VariantRow.id == stock_levels.c.variant_id)
                .join(LocationRow, LocationRow.id == stock_levels.c.location_id)
                .where(VariantRow.sku == line["sku"], LocationRow.code == "wh-1")
            ).one()
        stock_id, on_hand, seen_reserved = row
        if on_hand - seen_reserved < quantity:
            return JSONResponse({"type": "out-of-stock"}, status_code=409)
        now = utcnow()
        reservation_id = new_id("res")
        with db.transaction() as session:
            # The bug on purpose: writes back what it read, not `reserved + quantity`.
            session.execute(
                update(stock_levels)
                .where(stock_levels.c.id == stock_id)
                .values(reserved=seen_reserved + quantity)
            )
            expires_at = now + timedelta(seconds=int(body["expires_in_s"]))
            session.execute(
                insert(reservations).values(
                    id=reservation_id,
                    channel=body["channel"],
                    status="active",
                    expires_at=expires_at,
                    created_at=now,
                    updated_at=now,
                )
            )
            session.execute(
                insert(reservation_lines).values(
                    reservation_id=reservation_id,
                    stock_id=stock_id,
                    quantity=quantity,
                    status="held",
                    expires_at=expires_at,
                )
            )
        return {"id": reservation_id}

    return app
