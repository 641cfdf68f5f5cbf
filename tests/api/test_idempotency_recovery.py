"""What a retry learns when the first request's answer never got stored (both back ends).

The process that ran the command can die after its commit and before its answer was kept;
the retry must then be answered from the committed outcome — the same status and body, once —
and never be told 409 "still running". A claim whose owner died before committing anything
is taken over once its lease has run out, and a request whose claim was taken over cannot
commit its effect any more.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from souk.api.idempotency import caller_scope, fingerprint
from souk.api.idempotency_store import IdempotencyRecord, IdempotencyStore
from souk.carts.tables import CartRow
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.inventory.reservation_service import sweep_expired
from souk.inventory.tables import reservation_lines, reservations
from souk.orders.tables import OrderRow
from souk.payments import service as payments_service
from souk.payments.tables import PaymentRow
from tests.api.test_idempotency import CHECKOUT, count, ready_cart, stock, till
from tests.catalog_factories import product_body
from tests.conftest import ADMIN_KEY
from tests.fulfilment_factories import FrenchShop, french_shop

PROBLEM = "https://souk.dev/problems/"


@pytest.fixture
def fr(admin: TestClient, db: Database) -> FrenchShop:
    return french_shop(admin, db)


@pytest.fixture
def answers_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server dies between the commit and keeping the answer: the owner's store is lost
    (the answer still reaches this test, to compare the replay against)."""
    keep = IdempotencyStore.store

    def lossy(self: IdempotencyStore, scope: str, key: str, holder: str | None, *rest: Any) -> bool:
        return True if holder is not None else keep(self, scope, key, holder, *rest)

    monkeypatch.setattr(IdempotencyStore, "store", lossy)


Send = Callable[[], Any]


def _checkout(fr: FrenchShop) -> tuple[Send, Callable[[], Any]]:
    cart_id = ready_cart(fr, quantity=2)

    def send() -> Any:
        return fr.shop.call(
            "POST",
            f"/v1/carts/{cart_id}/checkout",
            "web",
            json=CHECKOUT,
            **{"Idempotency-Key": "buy"},
        )

    return send, lambda: (
        count(fr.db, OrderRow),
        count(fr.db, PaymentRow),
        stock(fr, "TEE-M", "store-paris"),
        stock(fr, "TEE-M", "wh-marseille"),
    )


def _sale(fr: FrenchShop) -> tuple[Send, Callable[[], Any]]:
    client = till(fr)
    sale = {
        "client_txn_id": "t-1",
        "occurred_at": "2026-11-22T10:15:00+01:00",
        "lines": [{"sku": "CAP", "quantity": 1}],
        "payments": [{"method": "cash", "amount": 1500}],
    }

    def send() -> Any:
        return client.post("/v1/pos/sales", json=sale, headers={"Idempotency-Key": "sale"})

    return send, lambda: (count(fr.db, OrderRow), stock(fr, "CAP", "store-paris"))


def _reservation(fr: FrenchShop) -> tuple[Send, Callable[[], Any]]:
    body = {"channel": "web", "lines": [{"sku": "TEE-M", "quantity": 3}], "expires_in_s": 600}

    def send() -> Any:
        return fr.admin.post(
            "/v1/inventory/reservations", json=body, headers={"Idempotency-Key": "hold"}
        )

    return send, lambda: fr.admin.get("/v1/inventory/TEE-M").json()["total"]


def _movement(fr: FrenchShop) -> tuple[Send, Callable[[], Any]]:
    body = {"sku": "MUG", "location": "store-lyon", "type": "receipt", "quantity": 4}

    def send() -> Any:
        return fr.admin.post(
            "/v1/inventory/movements", json=body, headers={"Idempotency-Key": "asn"}
        )

    return send, lambda: fr.admin.get("/v1/inventory/MUG/movements").json()["data"]


def _product(fr: FrenchShop) -> tuple[Send, Callable[[], Any]]:
    body = product_body("scarf", ("SCARF-1",))

    def send() -> Any:
        return fr.admin.post("/v1/products", json=body, headers={"Idempotency-Key": "p"})

    return send, lambda: fr.admin.get("/v1/products").json()["data"]


@pytest.mark.usefixtures("answers_lost")
@pytest.mark.parametrize("command", [_checkout, _sale, _reservation, _movement, _product])
def test_a_retry_after_a_lost_answer_is_answered_from_the_committed_outcome(
    fr: FrenchShop, command: Callable[[FrenchShop], tuple[Send, Callable[[], Any]]]
) -> None:
    # Given a command whose answer was lost after it committed
    send, state = command(fr)
    first = send()
    assert first.status_code == 201, first.text
    after_first = state()
    # When the client retries, twice
    again, third = send(), send()
    # Then both retries are the first answer, rebuilt from what was committed, and nothing
    # happened twice
    assert again.status_code == third.status_code == 201, again.text
    assert again.json() == first.json()
    assert third.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert state() == after_first


@pytest.mark.usefixtures("answers_lost")
def test_an_update_with_a_lost_answer_is_answered_with_the_resource_it_changed(
    fr: FrenchShop,
) -> None:
    cart = fr.shop.cart("web", currency="EUR")
    path = f"/v1/carts/{cart['id']}"

    def send() -> Any:
        return fr.shop.call(
            "PATCH", path, "web", json={"email": "zoe@example.com"}, **{"Idempotency-Key": "mail"}
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["email"] == "zoe@example.com"
    assert again.headers["idempotent-replayed"] == "true"


MOVE = {"sku": "MUG", "location": "store-lyon", "type": "receipt", "quantity": 4}


def _dead_claim(fr: FrenchShop, *, lease_left_s: float, key: str = "asn") -> None:
    """A claim left by a process that died before committing anything."""
    path = "/v1/inventory/movements"
    signer = fr.admin.app.state.token_signer  # type: ignore[attr-defined]
    scope = caller_scope(path, {b"authorization": f"Bearer {ADMIN_KEY}".encode()}, signer)
    assert scope is not None
    print_ = fingerprint("POST", path, b"", json.dumps(MOVE).encode())
    now = utcnow()
    with fr.db.transaction() as session:
        session.execute(
            insert(IdempotencyRecord).values(
                scope=scope,
                key=key,
                fingerprint=print_,
                holder="dead",
                created_at=now,
                lease_until=now + timedelta(seconds=lease_left_s),
            )
        )


def test_a_claim_whose_owner_died_answers_409_only_until_its_lease_ends(fr: FrenchShop) -> None:
    # Given a claim whose owner may still be running
    _dead_claim(fr, lease_left_s=60)
    # Then a retry is told it is still in progress, and nothing moves
    busy = fr.admin.post("/v1/inventory/movements", json=MOVE, headers={"Idempotency-Key": "asn"})
    assert busy.status_code == 409
    assert busy.json()["type"] == PROBLEM + "idempotency-key-in-use"
    assert stock(fr, "MUG", "store-lyon")["on_hand"] == 3


def test_a_claim_whose_lease_ran_out_with_nothing_committed_is_run_again(fr: FrenchShop) -> None:
    # Given a claim whose owner died and whose lease ran out
    _dead_claim(fr, lease_left_s=-1)
    # When the client retries
    ran = fr.admin.post("/v1/inventory/movements", json=MOVE, headers={"Idempotency-Key": "asn"})
    again = fr.admin.post("/v1/inventory/movements", json=MOVE, headers={"Idempotency-Key": "asn"})
    # Then the retry runs the command, once, and is itself replayed afterwards
    assert ran.status_code == again.status_code == 201, ran.text
    assert "idempotent-replayed" not in ran.headers
    assert again.json() == ran.json()
    assert stock(fr, "MUG", "store-lyon")["on_hand"] == 7


def test_a_request_whose_claim_was_taken_over_commits_nothing(
    fr: FrenchShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a request whose lease a retry takes over while the request runs
    claim = IdempotencyStore.claim

    def taken_over_at_once(
        self: IdempotencyStore, scope: str, key: str, fingerprint: str, holder: str
    ) -> Any:
        seen = claim(self, scope, key, fingerprint, holder)
        with self.db.transaction() as other:
            other.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.key == key)
                .values(holder="the-retry")
            )
        return seen

    monkeypatch.setattr(IdempotencyStore, "claim", taken_over_at_once)
    # When it tries to commit its movement
    late = fr.admin.post("/v1/inventory/movements", json=MOVE, headers={"Idempotency-Key": "asn"})
    # Then it is refused, and the stock did not move: only the retry may now take effect
    assert late.status_code == 409
    assert late.json()["type"] == PROBLEM + "idempotency-key-in-use"
    assert stock(fr, "MUG", "store-lyon")["on_hand"] == 3
    with fr.db.transaction(write=False) as session:
        row = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "asn"))
        assert row is not None
        assert (row.holder, row.outcome, row.status) == ("the-retry", None, None)


def test_a_failure_before_any_commit_frees_the_key(fr: FrenchShop) -> None:
    # A refused command (here 409: more than is on hand) keeps its answer like any other...
    take = {**MOVE, "type": "damage", "quantity": -40}
    refused = fr.admin.post("/v1/inventory/movements", json=take, headers={"Idempotency-Key": "d"})
    again = fr.admin.post("/v1/inventory/movements", json=take, headers={"Idempotency-Key": "d"})
    assert refused.status_code == again.status_code
    assert refused.status_code in (409, 422)
    assert again.json() == refused.json()
    assert stock(fr, "MUG", "store-lyon")["on_hand"] == 3


@pytest.mark.usefixtures("answers_lost")
def test_a_create_without_a_rule_is_answered_with_what_it_created(fr: FrenchShop) -> None:
    body = {
        "code": "wh-lille",
        "name": "Lille",
        "type": "warehouse",
        "address": {"line1": "1 rue", "city": "Lille", "country": "FR"},
        "lat": 50.63,
        "lon": 3.06,
        "timezone": "Europe/Paris",
        "can_ship": True,
        "can_pickup": False,
        "accepts_returns": False,
    }
    first = fr.admin.post("/v1/locations", json=body, headers={"Idempotency-Key": "lille"})
    again = fr.admin.post("/v1/locations", json=body, headers={"Idempotency-Key": "lille"})
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


@pytest.mark.usefixtures("answers_lost")
def test_a_release_with_a_lost_answer_is_answered_with_the_released_reservation(
    fr: FrenchShop,
) -> None:
    body = {"channel": "web", "lines": [{"sku": "TEE-M", "quantity": 1}], "expires_in_s": 600}
    held = fr.admin.post("/v1/inventory/reservations", json=body).json()
    path = f"/v1/inventory/reservations/{held['id']}"
    first = fr.admin.delete(path, headers={"Idempotency-Key": "free"})
    again = fr.admin.delete(path, headers={"Idempotency-Key": "free"})
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.json()["status"] == "released"


class _Died(BaseException):
    """The process stops here: nothing after this line of the request runs."""


def test_a_checkout_that_died_before_its_order_is_run_again_once_its_holds_lapse(
    fr: FrenchShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a checkout whose process died while the payment provider was being asked: its
    # claim on the cart and the stock committed, its order never did
    cart_id = ready_cart(fr, quantity=2)
    dying = True

    def provider_call(**_: Any) -> Any:
        if dying:
            raise _Died
        return authorize(**_)

    authorize = payments_service.call_authorize
    monkeypatch.setattr(payments_service, "call_authorize", provider_call)
    monkeypatch.setattr(IdempotencyStore, "release", lambda *_: None)  # the dead release nothing

    def send() -> Any:
        return fr.shop.call(
            "POST",
            f"/v1/carts/{cart_id}/checkout",
            "web",
            json=CHECKOUT,
            **{"Idempotency-Key": "buy"},
        )

    with pytest.raises(_Died):
        send()
    dying = False
    # Then a retry while its lease runs is told it is in progress, and nothing was ordered
    busy = send()
    assert busy.status_code == 409
    assert busy.json()["type"] == PROBLEM + "idempotency-key-in-use"
    assert count(fr.db, OrderRow) == 0
    # When the lease and the checkout's holds have lapsed
    past = utcnow() - timedelta(seconds=1)
    with fr.db.transaction() as session:
        session.execute(update(IdempotencyRecord).values(lease_until=past))
        session.execute(update(CartRow).values(checkout_until=past))
        session.execute(update(reservations).values(expires_at=past))
        session.execute(update(reservation_lines).values(expires_at=past))
    sweep_expired(uow=UnitOfWork(fr.db))
    # Then the retry runs the checkout again: one order, paid once, two units allocated
    placed = send()
    assert placed.status_code == 201, placed.text
    assert "idempotent-replayed" not in placed.headers
    assert count(fr.db, OrderRow) == 1
    with fr.db.transaction(write=False) as session:
        paid = [(p.status, p.order_id) for p in session.scalars(select(PaymentRow))]
    assert ("authorized", placed.json()["id"]) in paid
    assert sorted(s for s, _ in paid).count("authorized") == 1
    figures = [stock(fr, "TEE-M", loc) for loc in ("store-paris", "wh-marseille")]
    assert sum(f["allocated"] for f in figures) == 2
    assert sum(f["reserved"] for f in figures) == 0
    assert send().json() == placed.json()
