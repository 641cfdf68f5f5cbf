"""How a retry learns a committed outcome whose answer was lost (invariant 9).

The answer to a request with an `Idempotency-Key` is stored before it is sent; only a crash
between the command's commit and that store leaves a key with an outcome (recorded in the
command's own transaction: the ids it minted) and no answer. A rule here says, per route,
which ids mark the transaction that decides the outcome, and how to answer from it: read
the resource directly, or GET its location internally with the caller's own credentials.
Routes without a rule are answered with a GET of their own path (or its parent), which is
what the update and action routes return. This module composes the domains' reads; the
idempotency middleware itself knows none of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from souk.catalog.tables import VariantRow
from souk.errors import NotFound
from souk.inventory.models import MovementType
from souk.inventory.schemas import MovementRead
from souk.inventory.tables import LocationRow, MovementRow
from souk.orders.queries import get_order
from souk.orders.schemas import OrderRead
from souk.pos.tables import PosTransactionRow


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    method: str
    path: str
    params: dict[str, str]
    body: Any


# Reads the answer from what was committed; None if the outcome is not there (the command
# did not get as far as its deciding transaction).
Read = Callable[[Session, dict[str, Any], ReplayRequest], bytes | None]
# The path to GET for the answer, from the outcome and the request.
Where = Callable[[dict[str, Any], ReplayRequest], str | None]
# Extra facts to record with the outcome, inside the command's transaction.
Locate = Callable[[Session, ReplayRequest], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Rule:
    method: str
    pattern: re.Pattern[str]
    status: int
    # Prefixes of the ids (`ord`, `res`) minted by the transaction that decides the outcome;
    # a command's other transactions (claims, compensations) then record nothing. Empty:
    # every write commit of the request records its outcome.
    marks: tuple[str, ...] = ()
    read: Read | None = None
    where: Where | None = None
    locate: Locate | None = None
    # The command is idempotent by itself (a till's `client_txn_id`): a retry after a crash
    # runs it again instead of rebuilding its answer.
    rerun: bool = False

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = self.pattern.match(path)
        return found.groupdict() if found else None


def last_id(outcome: dict[str, Any], prefix: str) -> str | None:
    ids = outcome.get("ids") or []
    return next((i for i in reversed(ids) if str(i).startswith(prefix + "_")), None)


def _order(session: Session, outcome: dict[str, Any], _: ReplayRequest) -> bytes | None:
    order_id = last_id(outcome, "ord")
    if order_id is None:
        return None
    try:
        order = get_order(session=session, order_id=order_id)
    except NotFound:
        return None  # minted, then rolled back: no order was placed
    return order.model_dump_json(by_alias=True).encode()


def _till_sale(session: Session, outcome: dict[str, Any], request: ReplayRequest) -> bytes | None:
    # The till's answer was kept, exactly, in the sale's own transaction (it echoes the time
    # as the till sent it, which a fresh read of the order gives in UTC).
    order_id = last_id(outcome, "ord")
    kept = session.scalar(select(PosTransactionRow.result).where(
        PosTransactionRow.order_id == order_id))  # fmt: skip
    if not isinstance(kept, dict) or not isinstance(kept.get("order"), dict):
        return _order(session, outcome, request)
    return OrderRead.model_validate(kept["order"]).model_dump_json(by_alias=True).encode()


def _movement_id(session: Session, request: ReplayRequest) -> dict[str, Any]:
    # Movements are numbered by the database, not minted: the newest one of this stock row is
    # ours, because recording it locked that row until this transaction commits.
    body = request.body if isinstance(request.body, dict) else {}
    found = session.scalar(
        select(func.max(MovementRow.id))
        .join(VariantRow, VariantRow.id == MovementRow.variant_id)
        .join(LocationRow, LocationRow.id == MovementRow.location_id)
        .where(VariantRow.sku == body.get("sku"), LocationRow.code == body.get("location"))
    )
    return {"movement": found}


def _movement(session: Session, outcome: dict[str, Any], _: ReplayRequest) -> bytes | None:
    movement_id = outcome.get("movement")
    if movement_id is None:
        return None
    found = session.execute(
        select(MovementRow, LocationRow.code, VariantRow.sku)
        .join(VariantRow, VariantRow.id == MovementRow.variant_id)
        .join(LocationRow, LocationRow.id == MovementRow.location_id)
        .where(MovementRow.id == movement_id)
    ).one_or_none()
    if found is None:
        return None
    row, location, sku = found
    return (
        MovementRead(
            id=f"mov_{row.id}",
            sku=sku,
            location=location,
            type=MovementType(row.type),
            quantity=row.quantity,
            on_hand_after=row.on_hand_after,
            reason=row.reason,
            reference=row.reference,
            created_at=row.created_at,
        )
        .model_dump_json()
        .encode()
    )


def _minted(prefix: str, template: str) -> Where:
    def where(outcome: dict[str, Any], _: ReplayRequest) -> str | None:
        found = last_id(outcome, prefix)
        return template.format(found) if found else None

    return where


def _product(_: dict[str, Any], request: ReplayRequest) -> str | None:
    handle = request.body.get("handle") if isinstance(request.body, dict) else None
    return f"/v1/products/{handle}" if isinstance(handle, str) and "/" not in handle else None


def _cart(_: dict[str, Any], request: ReplayRequest) -> str:
    return f"/v1/carts/{request.params['cart_id']}"


def _rule(method: str, path: str, status: int, **how: Any) -> Rule:
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")
    return Rule(method=method, pattern=pattern, status=status, **how)


JOB = _minted("job", "/v1/jobs/{}")
RULES: tuple[Rule, ...] = (
    _rule("POST", "/v1/carts/{cart_id}/checkout", 201, marks=("ord",), read=_order),
    _rule("POST", "/v1/pos/sales", 201, marks=("ord",), read=_till_sale),
    _rule(
        "POST",
        "/v1/inventory/reservations",
        201,
        marks=("res",),
        where=_minted("res", "/v1/inventory/reservations/{}"),
    ),
    _rule("POST", "/v1/inventory/movements", 201, locate=_movement_id, read=_movement),
    _rule("POST", "/v1/products", 201, where=_product),
    _rule("POST", "/v1/carts", 201, marks=("cart",), where=_minted("cart", "/v1/carts/{}")),
    _rule("POST", "/v1/carts/{cart_id}/lines", 201, where=_cart),
    _rule(
        "POST",
        "/v1/orders/{order_id}/returns",
        201,
        marks=("ret",),
        where=_minted("ret", "/v1/returns/{}"),
    ),
    _rule("POST", "/v1/pos/sync", 200, rerun=True),
    _rule("POST", "/v1/promotions/{promotion_id}/codes/jobs", 202, marks=("job",), where=JOB),
    _rule("POST", "/v1/products/imports", 202, marks=("job",), where=JOB),
)


def fallback(request: ReplayRequest, outcome: dict[str, Any]) -> list[tuple[str, int]]:
    """For a route without a rule: where to GET its answer, with the status to answer."""
    path = request.path
    if request.method != "POST":
        # An update answers with what it changed; a deletion of what can no longer be read
        # answers 204, as it did.
        return [(path, 200)] + ([(path, 204)] if request.method == "DELETE" else [])
    body = request.body if isinstance(request.body, dict) else {}
    names = [str(i) for i in (outcome.get("ids") or [])[:1]]
    names += [v for k in ("code", "handle") if isinstance(v := body.get(k), str)]
    # A creation answers with what it created (by its new id or its code); an action on a
    # resource (`…/{id}/ship`) with that resource.
    created = [(f"{path}/{name}", 201) for name in names if name and "/" not in name]
    return [*created, (path.rsplit("/", 1)[0], 200)]


def rule_for(method: str, path: str) -> tuple[Rule | None, dict[str, str]]:
    for rule in RULES:
        params = rule.match(method, path)
        if params is not None:
            return rule, params
    return None, {}
